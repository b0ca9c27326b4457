package webterm

import (
	"fmt"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ovslab/ovslab/internal/testenv"
)

// TestBrowserShell: in Chromium, the page's terminal carries a local shell
// both ways, and tells it the size xterm.js fitted to the window.
func TestBrowserShell(t *testing.T) {
	ctx := testenv.Browser(t)
	base := termServer(t, func() (Terminal, func(), error) {
		cmd := exec.Command("/bin/sh")
		cmd.Env = []string{"PS1=$ ", "PATH=/usr/bin:/bin"}
		p, err := StartPTY(cmd, 80, 24)
		return p, func() {}, err
	})
	openTerminal(t, ctx, base)
	typeAndSee(t, ctx, "echo $((6*7))\r", "42")
	size, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](
		`(t => [t.rows, t.cols])(document.getElementById('terminal').ovslabTerminal.term)`))
	if err != nil {
		t.Fatal(err)
	}
	if size[0] == 24 && size[1] == 80 {
		t.Fatalf("xterm.js kept 80x24 in a 1200x800 window: the fit addon did nothing")
	}
	typeAndSee(t, ctx, "stty size\r", fmt.Sprintf("%d %d", size[0], size[1]))
	testenv.Screenshot(t, ctx, "shell")
}
