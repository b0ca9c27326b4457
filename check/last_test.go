package check

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestWriteLastRoundTrip: the report written a result at a time reads
// back as the report, with and without results.
func TestWriteLastRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	for _, rep := range []*Report{
		{Lab: "empty", OK: true},
		{Lab: "l3-vxlan", Stage: "broken", Results: []Result{
			{Kind: KindPing, From: "doc1", To: "doc3 (10.0.1.20)", OK: true, Detail: "84 bytes, 1.2ms"},
			{Kind: KindPMTU, From: "doc1", To: "doc3 (10.0.1.20)", Detail: "no reply", Path: &Path{From: "doc1", To: "doc3", Size: 1500}},
			{Kind: "expect", From: "doc2", To: "wan", OK: true, Want: "reach: false", Message: "quote \" and \n newline", Skipped: true, Stage: "broken"},
		}},
	} {
		var b bytes.Buffer
		if err := writeLast(&b, at, rep); err != nil {
			t.Fatal(err)
		}
		var got Last
		if err := json.Unmarshal(b.Bytes(), &got); err != nil {
			t.Fatalf("%s: %v\n%s", rep.Lab, err, b.String())
		}
		if !got.At.Equal(at) || got.Report == nil {
			t.Fatalf("%s: read back at %s, report %v", rep.Lab, got.At, got.Report)
		}
		if len(rep.Results) == 0 && len(got.Report.Results) == 0 {
			got.Report.Results = rep.Results
		}
		if !reflect.DeepEqual(got.Report, rep) {
			t.Errorf("%s: read back\n%+v\nwant\n%+v", rep.Lab, got.Report, rep)
		}
	}
}
