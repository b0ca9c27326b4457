// A student's page: their own lab, its expectations and last check,
// a "check my lab" button, and terminals into each of its nodes.
(function () {
  'use strict';
  var o = window.ovslab, el = o.el;
  var lab = document.body.dataset.lab;
  var view = null;
  var timer = null;
  var button = document.getElementById('check');
  var stateLine = document.getElementById('state');
  var message = '';

  function render(v) {
    view = v;
    var stage = document.getElementById('stage');
    stage.hidden = !v.stage;
    if (v.stage) {
      document.getElementById('stage-title').textContent = 'Stage ' + v.stage.index + ' of ' + v.stage.count + ': ' + v.stage.name;
      document.getElementById('stage-text').textContent = v.stage.text || '';
    }
    var lc = v.last_check;
    var words = 'Your lab is ' + o.stateWords(v) + '. ';
    words += lc ? (lc.ok ? 'Last check: everything passed' : 'Last check: ' + lc.failed + ' failed') + ', ' + o.ago(lc.at) + '.' : 'It has not been checked yet.';
    stateLine.textContent = words + (message ? ' ' + message : '');
    stateLine.dataset.ok = lc ? String(lc.ok) : 'none';
    button.disabled = !!v.busy || v.state === 'down';
    button.textContent = v.busy === 'check' ? 'Checking…' : 'Check my lab';

    var img = document.getElementById('graph');
    var src = o.labPath(lab) + '/graph?at=' + encodeURIComponent(lc ? lc.at : '');
    if (img.getAttribute('src') !== src) { img.src = src; }
    document.getElementById('graph-caption').textContent = lc ? 'Coloured by your last check: green passed, red failed.' : 'Check your lab to colour the picture.';

    var list = document.getElementById('expectations');
    list.textContent = '';
    (v.expectations || []).forEach(function (e, i) {
      var r = o.verdict(e.ok, e.skipped);
      var li = el('li', {class: r[0], 'data-ok': e.ok === undefined ? 'none' : String(e.ok)}, [
        el('span', {class: 'verdict', text: r[1] + ' ' + r[2] + ': '}),
        el('span', {class: 'path', text: e.from + ' → ' + e.to + (e.want ? ' (' + e.want + ')' : '')}),
        e.message ? el('p', {class: 'message', text: e.message}) : null,
        e.detail && e.ok === false ? el('p', {class: 'detail', text: e.detail}) : null
      ]);
      if (e.ok === false && v.traceable) {
        var out = el('div', {class: 'trace-out', 'aria-live': 'polite'});
        li.appendChild(el('button', {type: 'button', text: 'Trace this path', onclick: function () { trace(e, out); }}));
        li.appendChild(out);
      }
      list.appendChild(li);
    });
    if (!(v.expectations || []).length) { list.appendChild(el('li', {class: 'none', text: 'This lab has no expectations of its own; see the other checks.'})); }
    var probes = (lc && lc.results || []).filter(function (r) { return r.kind !== 'expect'; });
    document.getElementById('probes-summary').textContent = lc ? 'Other checks: ' + lc.probes_passed + ' of ' + (lc.probes_passed + lc.probes_failed) + ' passed' : 'Other checks';
    o.resultRows(document.getElementById('probes'), probes);
    terminalButtons(v);
  }

  function trace(e, out) {
    out.textContent = 'Tracing…';
    var to = e.to.split(' ')[0];
    o.api('POST', o.labPath(lab) + '/trace', {from: e.from, to: to}).then(function (t) {
      out.textContent = '';
      var ol = el('ol', {class: 'trace'});
      (t.hops || []).forEach(function (h, i) {
        ol.appendChild(el('li', {class: h.status === 'broken' ? 'broken' : null,
          text: h.dir + ' ' + h.node + ' ' + h.object + ': ' + h.fact + (h.cause ? ' — ' + h.cause : '') + (h.fix && h.fix.text ? ' (' + h.fix.text + ')' : '')}));
      });
      out.appendChild(el('p', {text: 'Verdict: ' + t.verdict}));
      out.appendChild(ol);
    }).catch(function (err) { out.textContent = err.message; });
  }

  var shown = '';
  function terminalButtons(v) {
    var names = v.containers.map(function (c) { return 'c:' + c.name; }).concat(v.hosts.map(function (h) { return 'h:' + h.name; })).join(',');
    if (names === shown) { return; }
    shown = names;
    var box = document.getElementById('term-buttons');
    box.textContent = '';
    v.containers.forEach(function (c) {
      box.appendChild(el('button', {type: 'button', 'data-node': c.name, text: c.name + ' (container on ' + c.host + ')',
        onclick: function () { openTerminal(c.name, c.name + ', a container on ' + c.host); }}));
    });
    v.hosts.forEach(function (h) {
      box.appendChild(el('button', {type: 'button', 'data-node': h.name, text: h.name + ' (host shell)',
        onclick: function () { openTerminal(h.name, h.name + ', a shell on the host'); }}));
    });
  }

  var count = 0;
  function openTerminal(node, label) {
    count++;
    var box = el('div', {class: 'ovslab-terminal term-box', id: 'term-' + count});
    var panel = el('section', {class: 'term-panel', 'data-node': node, 'aria-label': 'Terminal: ' + label});
    var close = el('button', {type: 'button', text: 'Close', 'aria-label': 'Close the terminal on ' + node});
    panel.appendChild(el('div', {class: 'term-bar'}, [el('h3', {text: label}), close]));
    panel.appendChild(box);
    document.getElementById('terminals').appendChild(panel);
    var t = window.ovslabTerminal(box, o.labPath(lab) + '/terminal/' + encodeURIComponent(node));
    close.addEventListener('click', function () {
      if (t) { t.socket.close(); t.term.dispose(); }
      panel.remove();
    });
  }

  function refresh() {
    o.api('GET', o.labPath(lab)).then(render).catch(function (e) { stateLine.textContent = e.message; });
  }

  button.addEventListener('click', function () {
    message = '';
    button.disabled = true;
    o.api('POST', o.labPath(lab) + '/check').catch(function (e) {
      message = e.message;
      if (view) { render(view); }
    });
  });

  o.events(document.getElementById('live'), function (e) {
    if (e.lab !== lab) { return; }
    if (e.type === 'server.busy' && e.fields && e.fields.error) { message = 'The check could not run: ' + e.fields.error; }
    var ms = o.delayFor(e.type);
    if (ms === 0) { clearTimeout(timer); timer = null; refresh(); return; }
    if (!timer) { timer = setTimeout(function () { timer = null; refresh(); }, ms); }
  }, refresh);
})();
