package testenv

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// ScreenshotsEnv names the directory where browser tests save their
// screenshots (scripts/test.sh sets it; CI keeps it as an artefact).
// Unset, none are saved.
const ScreenshotsEnv = "OVSLAB_SCREENSHOTS"

// chromiumFlags are the flags that run Debian's Chromium headless as root
// on a machine whose only network is the package registries: without the
// background-networking ones it tries Google's hosts at every start.
var chromiumFlags = []chromedp.ExecAllocatorOption{
	chromedp.Headless,
	chromedp.NoSandbox, // root; the sandbox needs an unprivileged user
	chromedp.DisableGPU,
	chromedp.NoFirstRun,
	chromedp.NoDefaultBrowserCheck,
	chromedp.Flag("disable-quic", true),
	chromedp.Flag("disable-background-networking", true),
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("disable-sync", true),
	chromedp.WindowSize(1200, 800),
}

// Browser starts a headless Chromium (Debian's chromium package) with a
// fresh profile for the test and returns the context of a tab in it, for
// chromedp.Run. The browser is closed when the test ends, pass or fail.
// Without chromium the test is skipped, or fails under CI.
func Browser(t testing.TB) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		missing(t, "needs chromium on PATH (scripts/install-deps.sh installs it)")
	}
	opts := append([]chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.UserDataDir(t.TempDir())},
		chromiumFlags...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// Start it now, so that a browser that cannot start fails here.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Screenshot saves what the tab shows as $OVSLAB_SCREENSHOTS/TEST-NAME.png,
// when ScreenshotsEnv names a directory.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv(ScreenshotsEnv)
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	file := filepath.Join(dir, unsafeName.ReplaceAllString(t.Name()+"-"+name, "_")+".png")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	t.Logf("screenshot: %s", file)
}

// TypeKeys types keys into the focused element as a keyboard does: per
// key a keyDown that carries its text, then a keyUp. chromedp's SendKeys
// sends the text in a char event of its own, which a page that handles
// keydown itself (xterm.js) takes as a second keystroke.
func TypeKeys(keys string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, r := range keys {
			evs := kb.Encode(r)
			var text, unmodified string
			for _, e := range evs {
				if e.Type == kb.KeyChar {
					text, unmodified = e.Text, e.UnmodifiedText
				}
			}
			for _, e := range evs {
				if e.Type == kb.KeyChar {
					continue
				}
				k := *e
				if k.Type == kb.KeyDown {
					k.Text, k.UnmodifiedText = text, unmodified
				}
				if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, k); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
