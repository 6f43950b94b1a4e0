package digest

import "testing"

// TestRefusal checks which permanent SMTP refusals are hard bounces (the
// mailbox does not exist or is disabled) and which count like soft ones.
func TestRefusal(t *testing.T) {
	for _, tc := range []struct {
		status DeliveryStatus
		reply  string
		kind   BounceKind // "": not a refusal
		code   string
	}{
		{Failed, "smtp 550: 5.1.1 <bob@example.net>: Recipient address rejected: User unknown", HardBounce, "5.1.1"},
		{Failed, "smtp 550: 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found", HardBounce, "5.1.10"},
		{Failed, "smtp 550: 5.2.1 The email account that you tried to reach is disabled", HardBounce, "5.2.1"},
		{Failed, "smtp 554: 5.7.1 Message rejected as spam", SoftBounce, "5.7.1"},
		{Failed, "smtp 552: 5.2.2 Mailbox full", SoftBounce, "5.2.2"},
		{Failed, "smtp 550: No such user here", SoftBounce, ""},
		{Failed, "smtp 550: 5.1.100 odd", SoftBounce, "5.1.100"},
		{Failed, "outbox: name taken", "", ""},
		{Deferred, "smtp 450: 4.2.1 try later", "", ""},
		{Sent, "smtp 250: ok", "", ""},
	} {
		b, ok := refusal(Delivery{Email: "x@example.net", Edition: "2026-11-29", Status: tc.status, Reply: tc.reply})
		if ok != (tc.kind != "") || b.Kind != tc.kind || b.Status != tc.code {
			t.Errorf("%s %q: kind %q status %q ok %v, want %q %q", tc.status, tc.reply, b.Kind, b.Status, ok, tc.kind, tc.code)
		}
	}
}
