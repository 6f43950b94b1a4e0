// Package digest holds the newsletter's domain types — Article, Edition, Item,
// Subscriber, Delivery — and the pipeline that turns sources into one mailed
// edition: collect, select, summarize, render, deliver, record.
//
// The package imports only the standard library. The stages it calls are
// declared here as small interfaces (Collector, Summarizer, Renderer,
// Transport, Store) and implemented in the subpackages; only cmd/digest wires
// concrete types in.
package digest
