// Package draw pictures a lab: hosts with their bridges, gateways, host
// ports and containers, the VXLAN tunnels between bridges and the underlay
// router, as Graphviz DOT, a Mermaid flowchart or an SVG laid out here.
// An Overlay colours each link, tunnel and host by what a check found.
//
// It reads only the topology's plans and never grades, probes or changes
// anything: what a check result crossed is worked out by the check side,
// which names the parts of the picture with the XKey functions.
package draw
