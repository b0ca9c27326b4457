package topology

import (
	"os"
	"strings"
	"testing"
)

// TestDocsNameEveryKey keeps docs/topology.md, the users' field reference,
// in step with the keys the parser accepts.
func TestDocsNameEveryKey(t *testing.T) {
	b, err := os.ReadFile("../docs/topology.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, set := range []struct {
		section string
		keys    []string
	}{
		{"### Top level", topKeys},
		{"### `hosts.NAME`", hostKeys},
		{"### `networks.NAME`", networkKeys},
		{"### `networks.NAME`", prefixed("gateway.", gatewayKeys)},
		{"### `containers.NAME`", containerKeys},
		{"Each interface:", interfaceKeys},
		{"### `underlay`", []string{"underlay.mtu"}},
		{"### `emulation`", []string{"emulation.wan"}},
		{"### `expect`", expectKeys},
		{"### `stages`", append(append([]string{}, stageKeys...), allFaultKeys()...)},
	} {
		_, body, ok := strings.Cut(doc, set.section)
		if !ok {
			t.Errorf("docs/topology.md has no section %q", set.section)
			continue
		}
		if end := strings.Index(body, "\n#"); end >= 0 {
			body = body[:end]
		}
		for _, k := range set.keys {
			if !strings.Contains(body, "`"+k+"`") {
				t.Errorf("docs/topology.md, %s: key `%s` is not described", set.section, k)
			}
		}
	}
}

func prefixed(prefix string, keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = prefix + k
	}
	return out
}
