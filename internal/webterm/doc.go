// Package webterm carries a terminal to a browser over a websocket, and
// serves the page that shows it (xterm.js, pinned and embedded).
//
// The protocol, one websocket per terminal:
//
//   - binary frame, browser → server: bytes typed, to the terminal's input;
//   - binary frame, server → browser: bytes the terminal wrote;
//   - text frame, browser → server: {"resize":[COLS,ROWS]}, a JSON object
//     with that one key, 1 ≤ COLS ≤ 1000, 1 ≤ ROWS ≤ 1000; anything else
//     closes the socket (1003, "bad message");
//   - the server closes with 1000 and "terminal ended" when the terminal
//     does, 1000 and "idle" after Options.IdleTimeout without a frame
//     either way, 1009 for a message over Options.ReadLimit, 1011 when the
//     terminal could not start (Conn.Fail's reason).
//
// When the socket closes for any reason the terminal is closed: a
// sandboxed shell's PID namespace dies with it, a container exec's session
// is killed. Two backends satisfy Terminal: StartPTY (a local process,
// such as a sandbox.Sandbox's command) and containers.Client.ExecTTY.
//
// It never decides who may open a terminal: the caller authenticates the
// request, and checks Origin through Options.CheckOrigin or leaves the
// default (same host only).
package webterm
