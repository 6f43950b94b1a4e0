// Package browsertest starts a headless Chromium for tests that must look
// at a page or an email the way a reader's browser shows it: the rendered
// message's layout, the sign-up pages. It drives Debian's chromium through
// chromedp and is for tests only.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Path returns the Chromium to drive. Without one it skips the test, or
// fails it when DIGEST_REQUIRE_CHROMIUM=1 (as in CI), so that a missing
// browser cannot pass for a passing test there.
func Path(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("DIGEST_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("chromium not found and DIGEST_REQUIRE_CHROMIUM=1")
	}
	t.Skip("chromium not found (apt-get install chromium); set DIGEST_REQUIRE_CHROMIUM=1 to fail instead")
	return ""
}

// Start starts a headless Chromium with a profile of its own and returns a
// chromedp context for one tab. The browser stops when the test ends or
// after timeout. It reaches no network but what the test serves: background
// networking, updates, sync and QUIC are off.
func Start(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	path := Path(t)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	return ctx
}

// ColorScheme makes the page prefer a "light" or "dark" colour scheme, as a
// reader's system setting does.
func ColorScheme(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: name}},
		})
		return err
	})
}
