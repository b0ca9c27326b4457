package probe

import (
	"testing"
)

func TestChecksum(t *testing.T) {
	// An echo request with its checksum in place sums to zero.
	b := echoRequest(0x1234, 1, 56)
	if c := checksum(b); c != 0 {
		t.Fatalf("checksum over a finished packet = %#x, want 0", c)
	}
	odd := echoRequest(1, 1, 57)
	if c := checksum(odd); c != 0 {
		t.Fatalf("odd-length checksum = %#x, want 0", c)
	}
}
