// Package svg renders Graphviz DOT to SVG inside this process, with
// Graphviz compiled to WebAssembly (github.com/goccy/go-graphviz): no dot
// binary, no cgo, nothing for the user to install.
package svg
