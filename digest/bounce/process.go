package bounce

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/digest-newsletter/digest/digest"
)

// A Store is the state the Processor reads and writes; *store.Store is
// one.
type Store interface {
	// ReportRecorded reports whether a report has been acted on.
	ReportRecorded(ctx context.Context, report string) (bool, error)
	// RecordBounces records a report's bounces and applies the policy, in
	// one transaction; already is true when the report was recorded
	// before, and nothing changed.
	RecordBounces(ctx context.Context, report string, bs []digest.Bounce, p digest.BouncePolicy) (outs []digest.BounceOutcome, already bool, err error)
	// EditionIDs returns the newest n editions' IDs, newest first.
	EditionIDs(ctx context.Context, n int) ([]string, error)
	// Recipients returns the addresses an edition was mailed to.
	Recipients(ctx context.Context, edition string) ([]string, error)
	// Mailed reports whether the edition was mailed to the address.
	Mailed(ctx context.Context, edition, email string) (bool, error)
}

// editionsSearched is how many of the newest editions a token or an
// address is looked for in: a bounce about an older edition is left.
const editionsSearched = 400

// A Processor reads reports and acts on them: it attributes each to a
// subscriber and an edition, and records it in the Store, which applies
// the policy. It never guesses: a report it cannot attribute (a token
// that does not verify, an address never mailed, a message that is not a
// report) is left where it is and counted.
type Processor struct {
	Store Store
	// Signer checks VERP tokens; nil when no secret is set, and then no
	// report to a VERP address is attributed.
	Signer *Signer
	// BounceAddress is the base of the VERP return paths
	// (DIGEST_BOUNCE_ADDRESS), "" if none.
	BounceAddress string
	// Plain are the addresses a report may be addressed to and still be
	// attributed by the recipients it names (Final-Recipient,
	// Original-Recipient, Original-Rcpt-To, the returned To): the plain
	// bounce address and the sender's address.
	Plain  []string
	Policy digest.BouncePolicy
	Logger *slog.Logger
	Now    func() time.Time

	editions   []string
	recipients map[string]map[[8]byte]string // edition → address hash → address
}

// A Message is one message of a mailbox.
type Message struct {
	Name string // where it is: a file name, an mbox offset, an IMAP UID
	Data []byte // its first MaxReportBytes bytes
	Size int64  // its whole size

	uid uint32 // in an IMAP folder
}

// Key identifies a message by its content, the same whichever mailbox it
// is read from: a hash of its first MaxReportBytes and its size.
func (m Message) Key() string {
	return fmt.Sprintf("%x/%d", sha256Sum(m.Data), m.Size)
}

// The actions of an Outcome.
const (
	ActionSuppressed = "suppressed" // at least one address was suppressed
	ActionCounted    = "counted"    // recorded, no address newly suppressed
	ActionAlready    = "already"    // acted on by an earlier run
	ActionLeft       = "left"       // not attributed: left in the mailbox
)

// An Outcome is what the Processor did with one message.
type Outcome struct {
	Message string // the message's name
	Format  string
	Action  string
	Why     string // for ActionLeft: the reason
	Bounces []digest.BounceOutcome
}

// Process reads one message and acts on it. Its error is the Store's: a
// bad message is an Outcome with ActionLeft.
func (p *Processor) Process(ctx context.Context, m Message) (Outcome, error) {
	out := Outcome{Message: m.Name, Action: ActionLeft}
	key := m.Key()
	done, err := p.Store.ReportRecorded(ctx, key)
	if err != nil {
		return out, err
	}
	if done {
		out.Action = ActionAlready
		return out, nil
	}
	rep, err := Parse(bytes.NewReader(m.Data))
	if err != nil {
		out.Why = "unreadable: " + err.Error()
		return out, nil
	}
	out.Format = rep.Format
	if rep.Format == "" {
		out.Why = "not a bounce or complaint"
		if rep.Malformed {
			out.Why = "malformed report: no readable delivery status or feedback part"
		}
		return out, nil
	}
	bs, why, err := p.attribute(ctx, rep)
	if err != nil {
		return out, err
	}
	if why != "" {
		out.Why = why
		return out, nil
	}
	outs, already, err := p.Store.RecordBounces(ctx, key, bs, p.Policy)
	if err != nil {
		return out, err
	}
	if already {
		out.Action = ActionAlready
		return out, nil
	}
	out.Bounces = outs
	out.Action = ActionCounted
	for _, o := range outs {
		if o.Suppressed {
			out.Action = ActionSuppressed
		}
	}
	return out, nil
}

// attribute turns a report into bounces, or says why it cannot.
func (p *Processor) attribute(ctx context.Context, rep *Report) ([]digest.Bounce, string, error) {
	var kinds []Recipient
	for _, rc := range rep.Recipients {
		if rc.Kind != "" {
			kinds = append(kinds, rc)
		}
	}
	if len(kinds) == 0 {
		if rep.Format == FormatARF {
			return nil, fmt.Sprintf("feedback type %q is not a complaint", rep.FeedbackType), nil
		}
		return nil, "reports no failure (delivered or relayed)", nil
	}
	now := p.now()
	bounce := func(email, edition string, rc Recipient) digest.Bounce {
		return digest.Bounce{Email: email, Edition: edition, Kind: rc.Kind, Status: rc.Status, Diagnostic: rc.Diagnostic, At: now}
	}
	// A report to a VERP address is attributed by its token alone.
	for _, list := range [][]string{rep.To, rep.ReturnPaths} {
		for _, a := range list {
			tok, ok := p.verp(a)
			if !ok {
				continue
			}
			edition, email, err := p.resolve(ctx, tok)
			if err != nil {
				return nil, "", err
			}
			if email == "" {
				return nil, "VERP token does not verify (forged, or for an edition not in the state): " + a, nil
			}
			return []digest.Bounce{bounce(email, edition, worst(kinds))}, "", nil
		}
	}
	if rep.Format == FormatPlain {
		return nil, "plain-text bounce without a VERP address: not attributed", nil
	}
	if !p.toPlain(rep) {
		return nil, "not addressed to the bounce address, and no VERP token", nil
	}
	var bs []digest.Bounce
	var unknown []string
	for _, rc := range kinds {
		cands := []string{rc.Address, rc.Original}
		if rc.Address == "" && rc.Original == "" {
			cands = rep.ReturnedTo
		}
		found := false
		for _, a := range cands {
			if a == "" {
				continue
			}
			edition, err := p.lastEdition(ctx, a, rep.ReturnedMessageID)
			if err != nil {
				return nil, "", err
			}
			if edition == "" {
				unknown = append(unknown, a)
				continue
			}
			bs = append(bs, bounce(a, edition, rc))
			found = true
			break
		}
		if !found && len(cands) == 0 {
			unknown = append(unknown, "(no recipient named)")
		}
	}
	if len(bs) == 0 {
		if len(unknown) == 0 {
			return nil, "names no recipient", nil
		}
		return nil, "not on the list (never mailed): " + strings.Join(unknown, ", "), nil
	}
	return bs, "", nil
}

// worst returns the recipient whose kind weighs most: a complaint, then a
// hard bounce, then a soft one.
func worst(rcs []Recipient) Recipient {
	rank := map[digest.BounceKind]int{digest.Complaint: 3, digest.HardBounce: 2, digest.SoftBounce: 1}
	w := rcs[0]
	for _, rc := range rcs[1:] {
		if rank[rc.Kind] > rank[w.Kind] {
			w = rc
		}
	}
	return w
}

// verp returns the token of a VERP address made from BounceAddress.
func (p *Processor) verp(addr string) (string, bool) {
	if p.BounceAddress == "" {
		return "", false
	}
	return TokenOf(p.BounceAddress, addr)
}

// toPlain reports whether the report was addressed to one of the plain
// addresses, or names one as the returned message's envelope sender.
func (p *Processor) toPlain(rep *Report) bool {
	for _, list := range [][]string{rep.To, rep.ReturnPaths} {
		for _, a := range list {
			for _, pl := range p.Plain {
				if pl != "" && strings.EqualFold(a, pl) {
					return true
				}
			}
		}
	}
	return false
}

// resolve finds the edition and address a token names and checks its
// signature; email is "" when it does not verify.
func (p *Processor) resolve(ctx context.Context, s string) (edition, email string, err error) {
	if p.Signer == nil {
		return "", "", nil
	}
	tok, err := ParseToken(s)
	if err != nil {
		return "", "", nil
	}
	if p.editions == nil {
		if p.editions, err = p.Store.EditionIDs(ctx, editionsSearched); err != nil {
			return "", "", err
		}
		p.recipients = map[string]map[[8]byte]string{}
	}
	for _, ed := range p.editions {
		if !tok.NamesEdition(ed) {
			continue
		}
		byHash, ok := p.recipients[ed]
		if !ok {
			emails, err := p.Store.Recipients(ctx, ed)
			if err != nil {
				return "", "", err
			}
			byHash = make(map[[8]byte]string, len(emails))
			for _, e := range emails {
				byHash[addressHash(e)] = e
			}
			p.recipients[ed] = byHash
		}
		if e, ok := byHash[tok.email]; ok && p.Signer.Verify(tok, ed, e) {
			return ed, e, nil
		}
	}
	return "", "", nil
}

// lastEdition returns the edition a report about an address is for: the
// one the returned Message-ID names if it was mailed to the address, else
// the newest edition mailed to it; "" if none was.
func (p *Processor) lastEdition(ctx context.Context, email, messageID string) (string, error) {
	if local, _, ok := strings.Cut(messageID, "@"); ok {
		if i := strings.LastIndexByte(local, '.'); i > 0 {
			ok, err := p.Store.Mailed(ctx, local[:i], email)
			if err != nil || ok {
				return local[:i], err
			}
		}
	}
	if p.editions == nil {
		var err error
		if p.editions, err = p.Store.EditionIDs(ctx, editionsSearched); err != nil {
			return "", err
		}
		p.recipients = map[string]map[[8]byte]string{}
	}
	for _, ed := range p.editions {
		ok, err := p.Store.Mailed(ctx, ed, email)
		if err != nil {
			return "", err
		}
		if ok {
			return ed, nil
		}
	}
	return "", nil
}

func (p *Processor) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// A Mailbox holds the messages to read: a Maildir, an mbox file or an IMAP
// folder.
type Mailbox interface {
	// Each calls fn with every message, oldest first; an error from fn
	// stops it and is returned.
	Each(ctx context.Context, fn func(Message) error) error
	// Done files a message that was acted on away from the messages still
	// to read (the Processed folder), or does nothing where the mailbox
	// cannot be changed (mbox): the state's record of the report then
	// makes a rerun skip it.
	Done(ctx context.Context, m Message) error
	Close() error
}

// A Summary is what Run did.
type Summary struct {
	Outcomes []Outcome
	// Counts by action.
	Suppressed, Counted, Already, Left int
}

// Run processes every message of the mailbox and files away those acted
// on. It stops at the first error of the Store or the mailbox.
func (p *Processor) Run(ctx context.Context, mb Mailbox) (*Summary, error) {
	s := &Summary{}
	err := mb.Each(ctx, func(m Message) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		o, err := p.Process(ctx, m)
		if err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
		s.Outcomes = append(s.Outcomes, o)
		switch o.Action {
		case ActionSuppressed:
			s.Suppressed++
		case ActionCounted:
			s.Counted++
		case ActionAlready:
			s.Already++
		case ActionLeft:
			s.Left++
			return nil
		}
		if err := mb.Done(ctx, m); err != nil {
			return fmt.Errorf("%s: file as processed: %w", m.Name, err)
		}
		return nil
	})
	return s, err
}
