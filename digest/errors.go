package digest

import (
	"errors"
	"fmt"
)

// An InputError is a problem found in a file the user wrote: a subscriber
// row, a sources-list line, a template. It names the place so the user can
// fix it. Line and Column are 1-based; zero means unknown.
type InputError struct {
	File   string
	Line   int
	Column int
	Field  string // the column, key or setting at fault, if any
	Err    error
}

func (e *InputError) Error() string {
	pos := e.File
	if e.Line > 0 {
		pos += fmt.Sprintf(":%d", e.Line)
		if e.Column > 0 {
			pos += fmt.Sprintf(":%d", e.Column)
		}
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %v", pos, e.Field, e.Err)
	}
	return fmt.Sprintf("%s: %v", pos, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// A SendError is a refusal by the mail server, with its reply. Permanent
// refusals (5xx) are recorded as failed; temporary ones (4xx) are retried and
// then deferred. An error from a Conn that is not a SendError (a dial error, a
// dropped connection) is transient: the connection is redialled.
type SendError struct {
	Code      int    // the SMTP reply code, 0 if none
	Reply     string // the server's reply text
	Permanent bool
	Err       error
}

func (e *SendError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("smtp %d: %s", e.Code, e.Reply)
	}
	if e.Err != nil {
		return e.Err.Error()
	}
	return e.Reply
}

func (e *SendError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a permanent refusal of the message.
func IsPermanent(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Permanent
}

// ErrLocked is returned when another run holds the state's lock.
var ErrLocked = errors.New("digest: another run holds the state lock")

// ErrMaybeDelivered marks a Conn.Send error that came after the whole
// message was handed to the server (the connection broke while waiting for
// the final reply): the server may have accepted it. Such a delivery is
// recorded as unknown and not retried, so that nobody is mailed twice.
var ErrMaybeDelivered = errors.New("digest: connection lost after the message was sent; it may have been delivered")

// A SettingsError is a failure only the operator can fix, in the settings:
// the server refused the login, offers no usable AUTH mechanism, or the TLS
// handshake failed. Retrying would fail the same way for every subscriber,
// so a run stops at the first one and leaves the deliveries pending for the
// run after the fix. Fix says what to change, if the transport knows.
type SettingsError struct {
	Fix string
	Err error
}

func (e *SettingsError) Error() string {
	if e.Fix == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + " (" + e.Fix + ")"
}

func (e *SettingsError) Unwrap() error { return e.Err }
