package server

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ovslab/ovslab/internal/sandbox"
	"github.com/ovslab/ovslab/internal/testenv"
)

// TestMain lets this test binary start sandboxed shells, as ovslab's
// main does.
func TestMain(m *testing.M) {
	sandbox.Init()
	os.Exit(m.Run())
}

// browserStep bounds each step in a browser; a check of a lab copy
// takes a few seconds.
const browserStep = 60 * time.Second

// js quotes s as a JavaScript string.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// newTab is a tab of its own cookies (a browser context) in the
// browser of tab: a second person at the same browser. If the test
// fails, what the tab showed is saved as NAME-failed.
func newTab(t *testing.T, tab context.Context, name string) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(tab, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			testenv.Screenshot(t, ctx, name+"-failed")
		}
	})
	return ctx
}

// open navigates tab to url and waits until the page's body says
// data-page (board or student), after the sign-in page moved on.
func open(t *testing.T, tab context.Context, url, page string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserStep)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s page: %v", page, err)
	}
	waitJS(t, tab, `document.body && document.body.dataset.page === `+js(page)+` && document.getElementById('live').dataset.state === 'open'`,
		"the "+page+" page, its events connected")
}

// waitJS polls a JavaScript condition in tab until it is true. A page
// that moves on (the sign-in page) loses the evaluation's context:
// that is tried again, not a failure.
func waitJS(t *testing.T, tab context.Context, cond, what string) {
	t.Helper()
	deadline := time.Now().Add(browserStep)
	var err error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tab, 5*time.Second)
		var ok bool
		ok, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+cond+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	body, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	t.Fatalf("waiting for %s: %v\npage:\n%s", what, err, body)
}

// eval runs JavaScript in tab and returns its value.
func eval[T any](t *testing.T, tab context.Context, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserStep)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// click clicks the element sel selects.
func click(t *testing.T, tab context.Context, sel string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserStep)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
}

// terminal is the selector of the terminal panel on node.
func terminal(node string) string { return `.term-panel[data-node="` + node + `"]` }

// screenOf is the text of node's terminal, line by line.
func screenOf(node string) string {
	return `(document.querySelector(` + js(terminal(node)+` .xterm-rows`) + `) || {innerText: ''}).innerText.replace(/\u00a0/g, ' ')`
}

// openTerminal clicks node's terminal button and waits for its socket.
func openTerminal(t *testing.T, tab context.Context, node string) {
	t.Helper()
	click(t, tab, `#term-buttons button[data-node="`+node+`"]`)
	waitJS(t, tab, `(e => e && e.dataset.state === 'open')(document.querySelector(`+js(terminal(node)+` .term-box`)+`))`,
		"the terminal on "+node+" to open")
}

// typeIn types keys into node's terminal and waits until its screen
// holds want.
func typeIn(t *testing.T, tab context.Context, node, keys, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserStep)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(terminal(node)+` .xterm-helper-textarea`)), testenv.TypeKeys(keys)); err != nil {
		t.Fatalf("typing in %s: %v", node, err)
	}
	ok, err := chromedp.Run(ctx, chromedp.Poll[bool](screenOf(node)+`.includes(`+js(want)+`)`, chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil || !ok {
		screen, _ := chromedp.Run(tab, chromedp.Evaluate[string](screenOf(node)))
		t.Fatalf("typed %q in %s, waiting for %q: %v\nscreen:\n%s", keys, node, want, err, screen)
	}
}

// fullScreenshot saves the whole page, beyond the window, as
// $OVSLAB_SCREENSHOTS/TEST-NAME-full.png (testenv.Screenshot keeps the
// window only).
func fullScreenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	dir := os.Getenv(testenv.ScreenshotsEnv)
	if dir == "" {
		return
	}
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+"-"+name+"-full.png"), png, 0o644)
	}
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
	}
}
