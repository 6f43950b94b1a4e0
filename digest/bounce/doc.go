// Package bounce reads what comes back from a newsletter's mail: delivery
// status notifications (RFC 3464), complaint feedback reports (ARF,
// RFC 5965) and the common plain-text bounces, from a Maildir, an mbox
// file or an IMAP folder, and attributes each to a subscriber and an
// edition. It also makes and checks the signed VERP tokens of the return
// paths (bounces+TOKEN@domain) that let a report be attributed without
// trusting what it says.
//
// It never guesses: a report whose VERP token does not verify, or that
// names an address the newsletter never mailed, is left in the mailbox and
// counted. What a bounce does to an address (the policy) is the state's
// business: see store.RecordBounces. Only the first MaxReportBytes of each
// message are read.
package bounce
