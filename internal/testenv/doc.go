// Package testenv gives tests the real components they need (root, binaries,
// daemons, throwaway network namespaces) and removes them afterwards.
//
// Outside CI a missing component skips the test with the reason; under CI
// (CI=true) it fails it, so a machine that lost a package cannot pass by
// skipping.
//
// It also reads what tests get back: pcap files (ReadPcap, down to VXLAN
// and the frame inside) and SVG (SVGText), written from the formats'
// definitions rather than from ovslab's own writers.
package testenv
