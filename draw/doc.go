// Package draw pictures a lab: hosts with their bridges, gateways, host
// ports and containers, the VXLAN tunnels between bridges and the underlay
// router, as Graphviz DOT, a Mermaid flowchart or an SVG laid out here
// for a student to read at a glance. An Overlay lays a check over the
// picture; the SVG marks each failure where its cause is (blame.go).
//
// It reads only the topology's plans and never grades, probes or changes
// anything: what a check result crossed is worked out by the check side,
// which names the parts of the picture with the XKey functions; which of
// those parts caused a failure is worked out here, from the results alone.
package draw
