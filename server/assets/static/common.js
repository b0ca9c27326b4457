// ovslab classroom pages: what the board and the student page share.
// No framework and no build step; data only ever reaches the page as
// text (textContent), never as HTML.
(function () {
  'use strict';

  // el makes an element: el('td', {class: 'x', title: 'y'}, ['text', child]).
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) { return; }
      if (k === 'text') { e.textContent = v; } else if (k === 'onclick') { e.addEventListener('click', v); } else { e.setAttribute(k, v === true ? '' : v); }
    });
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined) { e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); }
    });
    return e;
  }

  // api fetches a path of this server as JSON; a failure rejects with
  // the server's own words.
  function api(method, path, body) {
    var opts = {method: method, credentials: 'same-origin', headers: {}};
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      return r.text().then(function (t) {
        var data = null;
        try { data = t ? JSON.parse(t) : null; } catch (e) { data = null; }
        if (!r.ok) {
          var err = new Error((data && data.error) || (r.status + ' ' + r.statusText));
          err.status = r.status;
          throw err;
        }
        return data;
      });
    });
  }

  function labPath(lab) { return '/api/labs/' + encodeURIComponent(lab); }

  // events follows /api/events and calls onEvent with each event; live
  // (an element) says whether the stream is connected. onOpen runs at
  // each (re)connection, when a page reads its state afresh.
  function events(live, onEvent, onOpen) {
    var es = new EventSource('/api/events');
    es.onopen = function () {
      live.textContent = 'live';
      live.dataset.state = 'open';
      onOpen();
    };
    es.onerror = function () {
      // A browser retries by itself, unless the server refused the stream
      // (a token no longer valid).
      live.textContent = es.readyState === EventSource.CLOSED ? 'not signed in: open your link again' : 'reconnecting…';
      live.dataset.state = 'closed';
    };
    es.onmessage = function (m) {
      var e;
      try { e = JSON.parse(m.data); } catch (x) { return; }
      onEvent(e);
    };
    return es;
  }

  // ago says how long ago an ISO time was, in words.
  function ago(iso) {
    if (!iso) { return 'never'; }
    var s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    if (s < 60) { return s + ' s ago'; }
    if (s < 3600) { return Math.round(s / 60) + ' min ago'; }
    if (s < 86400) { return Math.round(s / 3600) + ' h ago'; }
    return new Date(iso).toLocaleString();
  }

  // verdict is [class, symbol, words] for a result: ok true, false or
  // undefined (not graded).
  function verdict(ok, skipped) {
    if (skipped) { return ['none', '–', 'skipped']; }
    if (ok === true) { return ['ok', '✓', 'passed']; }
    if (ok === false) { return ['fail', '✗', 'failed']; }
    return ['none', '–', 'not graded yet'];
  }

  // resultRows fills tbody with a check's results.
  function resultRows(tbody, results) {
    tbody.textContent = '';
    (results || []).forEach(function (r) {
      var v = verdict(r.ok, r.skipped);
      tbody.appendChild(el('tr', {}, [
        el('td', {class: v[0], text: v[1] + ' ' + v[2]}),
        el('td', {text: r.kind}),
        el('td', {text: r.from}),
        el('td', {text: r.to}),
        el('td', {text: [r.detail, r.message].filter(Boolean).join(' — ')})
      ]));
    });
  }

  // stateWords says a lab's state in words.
  function stateWords(v) {
    var w = {up: 'up', degraded: 'up, but a container is not running', incomplete: 'coming up (or cut short)', down: 'down'}[v.state] || v.state;
    if (v.busy === 'check') { w += ' — checking…'; }
    if (v.busy === 'reset') { w += ' — resetting…'; }
    return w;
  }

  // whenChanged is how often a page re-reads a lab after events of a
  // kind: at once for a finished command, in a moment for steps.
  function delayFor(type) {
    if (/\.(done|fail)$/.test(type) || type === 'server.busy' || type === 'check.start') { return 0; }
    if (/^container\./.test(type)) { return 300; }
    return 1000;
  }

  window.ovslab = {el: el, api: api, labPath: labPath, events: events, ago: ago, verdict: verdict,
    resultRows: resultRows, stateWords: stateWords, delayFor: delayFor};
})();
