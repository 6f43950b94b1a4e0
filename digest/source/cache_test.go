package source

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// memCache is an in-memory Cache for tests.
type memCache struct {
	mu      sync.Mutex
	fetches map[string]memFetch
	first   map[string]time.Time
}

type memFetch struct {
	etag, lastModified string
	body               []byte
}

func newMemCache() *memCache {
	return &memCache{fetches: map[string]memFetch{}, first: map[string]time.Time{}}
}

func (c *memCache) LoadFetch(_ context.Context, url string) (string, string, []byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.fetches[url]
	return f.etag, f.lastModified, f.body, nil
}

func (c *memCache) SaveFetch(_ context.Context, url, etag, lastModified string, body []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fetches[url] = memFetch{etag, lastModified, append([]byte(nil), body...)}
	return nil
}

func (c *memCache) FirstSeen(_ context.Context, id string, now time.Time) (time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.first[id]; ok {
		return t, nil
	}
	c.first[id] = now
	return now, nil
}

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
