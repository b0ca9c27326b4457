// Command ovslab builds multi-host container networks on Open vSwitch from
// one topology file. This package holds flags, output and exit codes only;
// the work is in package labs.
package main
