// The teacher's board: a row per student's copy, kept live by
// /api/events; a student selected shows the copy's picture and last check.
(function () {
  'use strict';
  var o = window.ovslab, el = o.el;
  var views = {};     // lab → its last view
  var order = [];     // labs in the class's order
  var columns = [];   // expectation keys, in order
  var selected = null;
  var timers = {};
  var head = document.getElementById('board-head');
  var body = document.getElementById('board-rows');
  var note = document.getElementById('board-note');

  function expKey(e) { return e.from + ' → ' + e.to + (e.want ? ' (' + e.want + ')' : ''); }

  function columnsOf() {
    var keys = [];
    order.forEach(function (lab) {
      (views[lab].expectations || []).forEach(function (e) {
        var k = expKey(e);
        if (keys.indexOf(k) < 0) { keys.push(k); }
      });
    });
    return keys;
  }

  function renderHead() {
    head.textContent = '';
    ['Student', 'Copy', 'Stage'].forEach(function (t) { head.appendChild(el('th', {scope: 'col', text: t})); });
    columns.forEach(function (k) { head.appendChild(el('th', {scope: 'col', class: 'exp', title: k, text: k})); });
    ['Other checks', 'Last graded', 'Actions'].forEach(function (t) { head.appendChild(el('th', {scope: 'col', text: t})); });
  }

  function row(lab) {
    var v = views[lab];
    var lc = v.last_check;
    var byKey = {};
    (v.expectations || []).forEach(function (e) { byKey[expKey(e)] = e; });
    var ok = lc ? String(lc.ok) : 'none';
    var tr = el('tr', {'data-lab': lab, 'data-ok': ok, 'data-state': v.state, class: lab === selected ? 'selected' : null});
    tr.appendChild(el('th', {scope: 'row'}, [el('button', {type: 'button', class: 'student', 'data-action': 'show',
      'aria-expanded': String(lab === selected), 'aria-controls': 'detail', text: v.student, onclick: function () { show(lab); }})]));
    tr.appendChild(el('td', {class: v.busy ? 'busy' : (v.state === 'up' ? '' : 'fail'), title: v.problem || null, text: o.stateWords(v)}));
    tr.appendChild(el('td', {title: v.stage ? v.stage.text : null, text: v.stage ? v.stage.name + ' (' + v.stage.index + '/' + v.stage.count + ')' : '—'}));
    columns.forEach(function (k) {
      var e = byKey[k];
      var r = o.verdict(e ? e.ok : undefined, e && e.skipped);
      var tip = e ? [r[2], e.message, e.detail].filter(Boolean).join(' — ') : 'not in this lab';
      tr.appendChild(el('td', {class: 'res ' + r[0], title: tip, 'aria-label': k + ': ' + r[2], text: r[1]}));
    });
    if (lc) {
      var pt = lc.probes_passed + lc.probes_failed;
      tr.appendChild(el('td', {class: lc.probes_failed ? 'fail' : 'ok', text: lc.probes_passed + '/' + pt + ' passed'}));
      tr.appendChild(el('td', {title: new Date(lc.at).toLocaleString(), 'data-at': lc.at, class: 'when', text: o.ago(lc.at)}));
    } else {
      tr.appendChild(el('td', {class: 'none', text: '–'}));
      tr.appendChild(el('td', {class: 'none', text: 'never'}));
    }
    tr.appendChild(el('td', {class: 'actions'}, [
      el('button', {type: 'button', 'data-action': 'check', disabled: !!v.busy || v.state === 'down',
        'aria-label': 'Re-grade ' + v.student, text: 'Re-grade', onclick: function () { regrade(lab); }}),
      ' ',
      el('button', {type: 'button', class: 'danger', 'data-action': 'reset', disabled: !!v.busy,
        'aria-label': 'Reset ' + v.student + "'s lab", text: 'Reset', onclick: function () { reset(lab); }})
    ]));
    return tr;
  }

  function renderRow(lab) {
    var old = body.querySelector('tr[data-lab="' + CSS.escape(lab) + '"]');
    var focused = old && old.contains(document.activeElement) ? document.activeElement.dataset.action : null;
    var tr = row(lab);
    if (old) { body.replaceChild(tr, old); } else { body.appendChild(tr); }
    if (focused) {
      var b = tr.querySelector('[data-action="' + focused + '"]');
      if (b && !b.disabled) { b.focus(); }
    }
  }

  function renderAll() {
    columns = columnsOf();
    renderHead();
    body.textContent = '';
    order.forEach(renderRow);
  }

  function update(v) {
    views[v.lab] = v;
    if (columnsOf().join('\n') !== columns.join('\n')) { renderAll(); } else { renderRow(v.lab); }
    if (v.lab === selected) { detail(v); }
  }

  function load() {
    o.api('GET', '/api/labs').then(function (list) {
      order = list.map(function (v) { return v.lab; });
      views = {};
      list.forEach(function (v) { views[v.lab] = v; });
      renderAll();
    }).catch(function (e) { note.textContent = 'Could not read the labs: ' + e.message; });
  }

  function refresh(lab) {
    o.api('GET', o.labPath(lab)).then(update).catch(function (e) { note.textContent = lab + ': ' + e.message; });
  }

  function later(lab, ms) {
    if (!views[lab]) { return; }
    if (ms === 0) { clearTimeout(timers[lab]); delete timers[lab]; refresh(lab); return; }
    if (timers[lab]) { return; }
    timers[lab] = setTimeout(function () { delete timers[lab]; refresh(lab); }, ms);
  }

  function regrade(lab) {
    return o.api('POST', o.labPath(lab) + '/check').catch(function (e) {
      if (e.status !== 409) { note.textContent = views[lab].student + ': ' + e.message; }
    });
  }

  function reset(lab) {
    if (!window.confirm('Reset ' + views[lab].student + "'s lab to its start? Their changes are lost.")) { return; }
    o.api('POST', o.labPath(lab) + '/reset').catch(function (e) { note.textContent = views[lab].student + ': ' + e.message; });
  }

  var panel = document.getElementById('detail');
  function show(lab) {
    selected = lab;
    panel.hidden = false;
    renderAll();
    o.api('GET', o.labPath(lab)).then(update);
  }

  function detail(v) {
    document.getElementById('detail-title').textContent = v.student + ' — ' + v.lab;
    var img = document.getElementById('detail-graph');
    var at = v.last_check ? v.last_check.at : '';
    img.alt = 'The picture of ' + v.student + "'s lab" + (at ? ', coloured by its last check' : '');
    var src = o.labPath(v.lab) + '/graph?at=' + encodeURIComponent(at);
    if (img.getAttribute('src') !== src) { img.src = src; }
    document.getElementById('detail-caption').textContent = at ? 'Green: passed, red: failed, as of the last check.' : 'Not checked yet.';
    document.getElementById('detail-when').textContent = v.last_check ?
      (v.last_check.ok ? 'All passed' : v.last_check.failed + ' failed') + ', ' + o.ago(at) + '.' : 'No check has run yet.';
    o.resultRows(document.getElementById('detail-results'), v.last_check && v.last_check.results);
  }

  document.getElementById('detail-close').addEventListener('click', function () {
    selected = null;
    panel.hidden = true;
    renderAll();
  });
  document.getElementById('regrade-all').addEventListener('click', function () {
    order.forEach(function (lab) { if (views[lab].state !== 'down' && !views[lab].busy) { regrade(lab); } });
  });

  o.events(document.getElementById('live'), function (e) { later(e.lab, o.delayFor(e.type)); }, load);
  setInterval(function () {
    Array.prototype.forEach.call(body.querySelectorAll('td.when'), function (td) { td.textContent = o.ago(td.dataset.at); });
  }, 15000);
})();
