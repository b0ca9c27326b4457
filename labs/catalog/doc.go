// Package catalog holds the built-in labs: each is a directory with a
// commented topology.yaml and a README.md that walks a student through it,
// embedded in the binary so that `ovslab up --emulate l3-vxlan` needs no file.
//
// The catalog only serves bytes. It never parses them (package topology
// does) and never touches the machine.
//
// Every README is run as written by a test (TestRootWalkthroughs in
// cmd/ovslab), on a copy of its lab, so a walkthrough that drifts from the
// product fails CI. Each ```sh block runs in order, one command a line;
// the comment on a line says what the reader should see, and the test
// holds the product to it:
//
//   - A command must succeed unless its comment says it does not: "no
//     reply", "lost" or "fails" in it, or "FAIL" first (a ping then gets
//     no reply).
//   - "all green" or "all passed" on a check: every check passes.
//   - Text in double quotes in a comment must be in the command's output
//     (# "no container recreated").
//   - A command ending in & runs in the background until its block ends.
//   - "# ?" leaves the outcome for the reader to find: an HTML comment
//     <!-- answers: works, no reply --> before the block gives the
//     outcomes of its "?" lines, in order, for the test.
//   - <!-- run: COMMAND --> runs COMMAND at that point: an edit the text
//     describes in words, made the way the text says.
//
// HTML comments are for the test alone: README strips them, so `ovslab
// labs NAME` never shows them.
package catalog
