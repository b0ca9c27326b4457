package containers

import (
	"context"
	"strings"
	"testing"
)

func TestOwnership(t *testing.T) {
	for _, tc := range []struct {
		name, owner string
		labels      map[string]string
		wantVal     string
		wantErr     string
	}{
		{"key form", LabLabel, map[string]string{LabLabel: "l1"}, "l1", ""},
		{"key=value adds the label", LabLabel + "=l1", nil, "l1", ""},
		{"key=value agrees", LabLabel + "=l1", map[string]string{LabLabel: "l1"}, "l1", ""},
		{"key=value contradicts", LabLabel + "=l1", map[string]string{LabLabel: "l2"}, "", "contradicts"},
		{"missing label", LabLabel, map[string]string{"x": "y"}, "", "lack the ownership label"},
		{"empty owner", "", nil, "", "empty ownership label"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(tc.labels)
			_, val, labels, err := ownership(Spec{Labels: tc.labels}, tc.owner)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || val != tc.wantVal || labels[LabLabel] != tc.wantVal {
				t.Fatalf("got %q %v %v", val, labels, err)
			}
			if len(tc.labels) != before {
				t.Fatalf("caller's labels modified: %v", tc.labels)
			}
		})
	}
}

func TestSpecHashIgnoresMapOrder(t *testing.T) {
	a := Spec{Image: "i", Labels: map[string]string{"a": "1", "b": "2"}}
	b := Spec{Image: "i", Labels: map[string]string{"b": "2", "a": "1"}}
	if specHash(a) != specHash(b) {
		t.Fatal("equal specs hash differently")
	}
	b.Command = []string{"sleep", "1"}
	if specHash(a) == specHash(b) {
		t.Fatal("different commands hash equally")
	}
}

func TestConnectErrorNamesEndpoint(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	_, err := Connect(context.Background())
	if err == nil {
		t.Fatal("Connect to a missing socket succeeded")
	}
	for _, want := range []string{"cannot reach Docker at unix:///nonexistent/docker.sock", "is dockerd running?", "DOCKER_HOST"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
}
