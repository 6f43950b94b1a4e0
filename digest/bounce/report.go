package bounce

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decodes the common charsets of bounce texts

	"github.com/digest-newsletter/digest/digest"
)

// MaxReportBytes is how much of a message Parse reads: the parts of a
// delivery status notification or feedback report come first, so a large
// returned message or attachment after them is never read.
const MaxReportBytes = 1 << 20

// maxPartBytes caps what Parse reads of any one part.
const maxPartBytes = 256 << 10

// The formats of a report.
const (
	FormatDSN   = "dsn"   // RFC 3464 delivery status notification
	FormatARF   = "arf"   // RFC 5965 feedback report
	FormatPlain = "plain" // a plain-text bounce, such as Exim's or qmail's
)

// A Report is what Parse found in one message: a delivery status
// notification, a feedback report (complaint) or a plain-text bounce.
type Report struct {
	Format string // FormatDSN, FormatARF, FormatPlain, or "" when not a report
	// To holds the addresses the report was addressed to: its To,
	// Delivered-To, X-Original-To and Envelope-To headers. A report to a
	// VERP address is attributed by its token.
	To []string
	// ReturnPaths holds the envelope senders of the returned message that
	// the report names: a feedback report's Original-Mail-From, the
	// returned headers' Return-Path.
	ReturnPaths []string
	// Recipients are the recipients the report is about, with what
	// happened to each.
	Recipients []Recipient
	// Returned holds the returned message's To and Message-ID, if the
	// report carries its headers.
	ReturnedTo        []string
	ReturnedMessageID string
	FeedbackType      string // a feedback report's Feedback-Type
	Subject           string
	// Malformed is true for a multipart/report with no part that could
	// be read as a status or feedback report.
	Malformed bool
}

// A Recipient is one recipient of a report, with its kind.
type Recipient struct {
	Address    string // Final-Recipient (or Original-Rcpt-To), "" if none
	Original   string // Original-Recipient
	Action     string // failed, delayed, delivered, relayed, expanded
	Status     string // the enhanced status code
	Diagnostic string
	Kind       digest.BounceKind // "" when the recipient is not a bounce
}

// ErrNotMessage is wrapped by Parse's error for input that has no header.
var ErrNotMessage = errors.New("bounce: not a mail message")

var (
	enhancedStatus = regexp.MustCompile(`\b([245])\.(\d{1,3})\.(\d{1,3})\b`)
	smtpReply      = regexp.MustCompile(`(?m)(?:^|[\s:])([45])\d\d[\s:-]`)
	bounceSubject  = regexp.MustCompile(`(?i)(undeliver|delivery (status notification|failure|has failed|failed)|mail delivery failed|returned mail|failure notice|could not be delivered|delivery problem|non[- ]?delivery|rejected)`)
	daemonFrom     = regexp.MustCompile(`(?i)^(mailer-daemon|postmaster|mail-daemon|mailer_daemon)@`)
)

// Parse reads one message and says what it reports. It reads at most
// MaxReportBytes of r. A message that is not a report (an auto-reply, a
// malformed notification) yields a Report with an empty Format and no
// error; an error means the input is not a mail message at all.
func Parse(r io.Reader) (*Report, error) {
	br := bufio.NewReader(io.LimitReader(r, MaxReportBytes))
	ent, err := message.Read(br)
	if err != nil && ent == nil {
		return nil, fmt.Errorf("%w: %w", ErrNotMessage, err)
	}
	rep := &Report{}
	h := ent.Header
	rep.Subject, _ = h.Text("Subject")
	for _, k := range []string{"To", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To"} {
		for _, v := range h.Values(k) {
			rep.To = append(rep.To, addresses(v)...)
		}
	}
	mt, params, _ := h.ContentType()
	if mt == "multipart/report" {
		parseReport(ent, strings.ToLower(params["report-type"]), rep)
		if rep.Format != "" {
			return rep, nil
		}
		rep.Malformed = true
		rep.Recipients = nil
	}
	from := addresses(h.Get("From"))
	fromDaemon := len(from) > 0 && daemonFrom.MatchString(from[0])
	if !fromDaemon && !bounceSubject.MatchString(rep.Subject) {
		return rep, nil
	}
	if !fromDaemon && isAutoReply(h) {
		return rep, nil
	}
	text := firstText(ent, 0)
	if kind, status, diag := plainKind(text); kind != "" {
		rep.Format = FormatPlain
		rep.Recipients = []Recipient{{Action: "failed", Status: status, Diagnostic: diag, Kind: kind}}
	}
	return rep, nil
}

// isAutoReply reports a vacation or out-of-office reply: these go to the
// envelope sender too, and are not bounces.
func isAutoReply(h message.Header) bool {
	as := strings.ToLower(h.Get("Auto-Submitted"))
	return strings.HasPrefix(as, "auto-replied") || h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != ""
}

// parseReport reads the parts of a multipart/report.
func parseReport(ent *message.Entity, reportType string, rep *Report) {
	mr := ent.MultipartReader()
	if mr == nil {
		return
	}
	var firstTextPart string
	for {
		p, err := mr.NextPart()
		if err != nil { // the end, or a part cut off by the size cap
			break
		}
		mt, _, _ := p.Header.ContentType()
		switch mt {
		case "message/delivery-status", "message/global-delivery-status":
			if reportType == "delivery-status" || reportType == "global-delivery-status" || reportType == "" {
				if parseDeliveryStatus(p.Body, rep) {
					rep.Format = FormatDSN
				}
			}
		case "message/feedback-report":
			if parseFeedback(p.Body, rep) {
				rep.Format = FormatARF
			}
		case "text/rfc822-headers", "message/rfc822", "message/global", "message/global-headers":
			parseReturned(p.Body, rep)
		case "text/plain":
			if firstTextPart == "" {
				b, _ := io.ReadAll(io.LimitReader(p.Body, maxPartBytes))
				firstTextPart = string(b)
			}
		}
	}
	if rep.Format == FormatDSN && len(rep.Recipients) == 0 {
		rep.Format = "" // a status part with no recipient: malformed
	}
}

// parseDeliveryStatus reads the per-message block and the per-recipient
// blocks of a message/delivery-status part (RFC 3464 section 2.1). It
// reports whether the part held at least one recipient block.
func parseDeliveryStatus(body io.Reader, rep *Report) bool {
	tr := textproto.NewReader(bufio.NewReader(io.LimitReader(body, maxPartBytes)))
	first := true
	for {
		h, err := tr.ReadMIMEHeader()
		if len(h) > 0 && !first {
			rep.Recipients = append(rep.Recipients, dsnRecipient(h))
		} else if len(h) > 0 && h.Get("Final-Recipient") != "" {
			// No per-message block: the first block is a recipient's.
			rep.Recipients = append(rep.Recipients, dsnRecipient(h))
		}
		if len(h) > 0 {
			first = false
		}
		if err != nil {
			break
		}
	}
	return len(rep.Recipients) > 0
}

func dsnRecipient(h textproto.MIMEHeader) Recipient {
	rc := Recipient{
		Address:    typedAddress(h.Get("Final-Recipient")),
		Original:   typedAddress(h.Get("Original-Recipient")),
		Action:     strings.ToLower(strings.TrimSpace(h.Get("Action"))),
		Status:     strings.TrimSpace(h.Get("Status")),
		Diagnostic: strings.TrimSpace(h.Get("Diagnostic-Code")),
	}
	if m := enhancedStatus.FindString(rc.Status); m != "" {
		rc.Status = m
	} else if m := enhancedStatus.FindString(rc.Diagnostic); m != "" {
		rc.Status = m
	}
	rc.Kind = dsnKind(rc.Action, rc.Status, rc.Diagnostic)
	return rc
}

// dsnKind classifies one recipient of a notification: failed with a
// permanent status is hard, unless the status is a policy or security
// refusal (5.7.x), which counts as soft like any temporary failure or
// delay; delivered, relayed and expanded are not bounces.
func dsnKind(action, status, diag string) digest.BounceKind {
	switch action {
	case "delivered", "relayed", "expanded":
		return ""
	case "delayed":
		return digest.SoftBounce
	}
	class := ""
	if status != "" {
		class = status[:1]
	} else if m := smtpReply.FindStringSubmatch(diag); m != nil {
		class = m[1]
	}
	switch {
	case class == "5" && Permanent(status):
		return digest.HardBounce
	case class == "5", class == "4":
		return digest.SoftBounce
	case action == "failed":
		return digest.SoftBounce // failed, with no status to say how: not enough to drop a reader
	}
	return ""
}

// Permanent reports whether a 5.x.x enhanced status says the address
// itself is bad, so that it should be suppressed at once: anything but a
// security or policy refusal (5.7.x), which a spam filter gives for one
// message, and a message too big (5.3.4). A status without detail ("") is
// permanent.
func Permanent(status string) bool {
	return !strings.HasPrefix(status, "5.7.") && status != "5.3.4"
}

// parseFeedback reads a message/feedback-report part (RFC 5965 section 3).
func parseFeedback(body io.Reader, rep *Report) bool {
	tr := textproto.NewReader(bufio.NewReader(io.LimitReader(body, maxPartBytes)))
	h, _ := tr.ReadMIMEHeader()
	ft := strings.ToLower(strings.TrimSpace(h.Get("Feedback-Type")))
	if ft == "" {
		return false
	}
	rep.FeedbackType = ft
	if from := addresses(h.Get("Original-Mail-From")); len(from) > 0 {
		rep.ReturnPaths = append(rep.ReturnPaths, from...)
	}
	kind := digest.BounceKind("")
	if ft == "abuse" || ft == "fraud" {
		kind = digest.Complaint
	}
	rcpts := h.Values("Original-Rcpt-To")
	for _, v := range rcpts {
		for _, a := range addresses(v) {
			rep.Recipients = append(rep.Recipients, Recipient{Address: a, Kind: kind})
		}
	}
	if len(rep.Recipients) == 0 {
		rep.Recipients = append(rep.Recipients, Recipient{Kind: kind})
	}
	return true
}

// parseReturned reads the header of the returned message.
func parseReturned(body io.Reader, rep *Report) {
	ent, err := message.Read(bufio.NewReader(io.LimitReader(body, maxPartBytes)))
	if ent == nil {
		_ = err
		return
	}
	for _, v := range ent.Header.Values("Return-Path") {
		rep.ReturnPaths = append(rep.ReturnPaths, addresses(v)...)
	}
	for _, v := range ent.Header.Values("To") {
		rep.ReturnedTo = append(rep.ReturnedTo, addresses(v)...)
	}
	rep.ReturnedMessageID = strings.Trim(strings.TrimSpace(ent.Header.Get("Message-Id")), "<>")
}

// firstText returns the first text/plain part's text, at most
// maxPartBytes.
func firstText(ent *message.Entity, depth int) string {
	if depth > 5 {
		return ""
	}
	if mr := ent.MultipartReader(); mr != nil {
		for {
			p, err := mr.NextPart()
			if err != nil {
				return ""
			}
			if s := firstText(p, depth+1); s != "" {
				return s
			}
		}
	}
	mt, _, _ := ent.Header.ContentType()
	if mt != "" && mt != "text/plain" {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(ent.Body, maxPartBytes))
	return string(b)
}

// plainKind finds what a plain-text bounce says: the first enhanced status
// code, else the first SMTP reply code, else Exim's words for a permanent
// or temporary error.
func plainKind(text string) (kind digest.BounceKind, status, diag string) {
	line := func(i int) string {
		s := text[i:]
		if j := strings.IndexByte(s, '\n'); j >= 0 {
			s = s[:j]
		}
		return strings.TrimSpace(s)
	}
	if loc := enhancedStatus.FindStringIndex(text); loc != nil {
		status = text[loc[0]:loc[1]]
		start := strings.LastIndexByte(text[:loc[0]], '\n') + 1
		diag = line(start)
		if status[0] == '2' {
			return "", "", ""
		}
		if status[0] == '5' && Permanent(status) {
			return digest.HardBounce, status, diag
		}
		return digest.SoftBounce, status, diag
	}
	if m := smtpReply.FindStringSubmatchIndex(text); m != nil {
		start := strings.LastIndexByte(text[:m[2]], '\n') + 1
		diag = line(start)
		if text[m[2]] == '5' {
			return digest.HardBounce, "", diag
		}
		return digest.SoftBounce, "", diag
	}
	low := strings.ToLower(text)
	switch {
	case strings.Contains(low, "permanent error"), strings.Contains(low, "permanent failure"):
		return digest.HardBounce, "", "permanent error"
	case strings.Contains(low, "temporary error"), strings.Contains(low, "delayed"), strings.Contains(low, "will keep trying"):
		return digest.SoftBounce, "", "temporary error"
	}
	return "", "", ""
}

// typedAddress returns the address of an RFC 3464 address field
// ("rfc822; a@example.org"), in lower case.
func typedAddress(v string) string {
	v = strings.TrimSpace(v)
	if t, a, ok := strings.Cut(v, ";"); ok && !strings.Contains(t, "@") {
		v = strings.TrimSpace(a)
	}
	v = strings.Trim(v, "<>")
	if !strings.Contains(v, "@") || strings.ContainsAny(v, " \t<>") {
		return ""
	}
	return strings.ToLower(v)
}

// addresses returns the addresses of a header value, in lower case; a
// value that does not parse as an address list is tried as one bare
// address.
func addresses(v string) []string {
	v = strings.TrimSpace(v)
	if v == "" || v == "<>" {
		return nil
	}
	list, err := mail.ParseAddressList(v)
	if err != nil {
		if a := typedAddress(v); a != "" {
			return []string{a}
		}
		return nil
	}
	out := make([]string, 0, len(list))
	for _, a := range list {
		out = append(out, strings.ToLower(a.Address))
	}
	return out
}
