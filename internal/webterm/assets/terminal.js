// ovslab web terminal: drives xterm.js over a websocket that carries
// binary frames of terminal bytes both ways and {"resize":[cols,rows]}
// text frames from here (internal/webterm's protocol).
(function () {
  'use strict';

  // Pastes are split to stay under the server's read limit (64 KiB).
  var CHUNK = 16 * 1024;

  // sameOriginPath accepts only a path on this server ("/x", never
  // "//host/x" or a URL): a link must not point the page elsewhere.
  function sameOriginPath(p) {
    return typeof p === 'string' && p.charAt(0) === '/' && p.charAt(1) !== '/' && p.indexOf('\\') < 0;
  }

  // open shows a terminal in el, connected to the websocket at path, and
  // reflects its state in el.dataset.state: connecting, open, closed.
  function open(el, path) {
    if (!sameOriginPath(path)) {
      el.textContent = 'not a terminal path on this server: ' + path;
      el.dataset.state = 'closed';
      return null;
    }
    var term = new Terminal({cursorBlink: true, fontSize: 14, scrollback: 5000,
      fontFamily: 'DejaVu Sans Mono, Liberation Mono, monospace'});
    var fit = new FitAddon.FitAddon();
    term.loadAddon(fit);
    term.open(el);
    fit.fit();
    el.dataset.state = 'connecting';

    var scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    var ws = new WebSocket(scheme + location.host + path);
    ws.binaryType = 'arraybuffer';
    var enc = new TextEncoder();

    function sendSize() {
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(JSON.stringify({resize: [term.cols, term.rows]}));
      }
    }
    function sendBytes(b) {
      for (var i = 0; i < b.length && ws.readyState === WebSocket.OPEN; i += CHUNK) {
        ws.send(b.subarray(i, i + CHUNK));
      }
    }
    ws.onopen = function () {
      el.dataset.state = 'open';
      sendSize();
      term.focus();
    };
    ws.onmessage = function (ev) {
      if (typeof ev.data !== 'string') {
        term.write(new Uint8Array(ev.data));
      }
    };
    ws.onclose = function (ev) {
      el.dataset.state = 'closed';
      term.write('\r\n\x1b[2m[closed' + (ev.reason ? ': ' + ev.reason : '') + ']\x1b[0m\r\n');
    };
    term.onData(function (d) { sendBytes(enc.encode(d)); });
    term.onBinary(function (d) {
      var b = new Uint8Array(d.length);
      for (var i = 0; i < d.length; i++) { b[i] = d.charCodeAt(i) & 255; }
      sendBytes(b);
    });
    term.onResize(sendSize);
    if (window.ResizeObserver) {
      new ResizeObserver(function () { fit.fit(); }).observe(el);
    }
    // Kept on the element for the page around it (and tests).
    el.ovslabTerminal = {term: term, socket: ws};
    return el.ovslabTerminal;
  }

  window.ovslabTerminal = open;

  // The standalone page: terminal.html?ws=PATH.
  var el = document.getElementById('terminal');
  var path = new URLSearchParams(location.search).get('ws');
  if (el && path) {
    open(el, path);
  }
})();
