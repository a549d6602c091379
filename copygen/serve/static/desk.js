// copygen review desk: the page of `copygen serve`.
//
// Plain script, no build step, nothing fetched from elsewhere. Every value from the
// folder (copy, product data, findings, names) is put into the page as text
// (textContent, never innerHTML): copy and product rows come from files and model
// replies, and markup in them must show, not run.
//
// The access token arrives once in the address (?token=…); it is kept in this tab's
// sessionStorage and taken out of the address at once, so it is in no link, no
// history entry and no Referer. Every API request sends it as a Bearer header.
(function () {
  'use strict';

  var TOKEN_KEY = 'copygen.serve.token';
  var NAME_KEY = 'copygen.serve.reviewer';
  var RANK = { block: 3, warn: 2, info: 1 };
  var STATUS_ORDER = ['review', 'blocked', 'approved', 'rejected', 'pass', 'error'];
  var POLL_MS = 3000;
  var CHECK_DELAY_MS = 350;

  function $(id) { return document.getElementById(id); }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // --- the token ------------------------------------------------------------------

  var token = null;
  (function takeToken() {
    var params = new URLSearchParams(location.search);
    var given = params.get('token');
    if (given) {
      token = given;
      try { sessionStorage.setItem(TOKEN_KEY, given); } catch (e) { /* private mode */ }
      params.delete('token');
      var rest = params.toString();
      history.replaceState(null, '', location.pathname + (rest ? '?' + rest : '') + location.hash);
    } else {
      try { token = sessionStorage.getItem(TOKEN_KEY); } catch (e) { token = null; }
    }
  })();

  // --- talking to the desk --------------------------------------------------------

  function api(method, path, body) {
    var headers = { 'Authorization': 'Bearer ' + token };
    var init = {
      method: method, headers: headers, cache: 'no-store',
      credentials: 'omit', referrerPolicy: 'no-referrer'
    };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!response.ok) {
          var error = new Error((data && data.error) || ('HTTP ' + response.status));
          error.status = response.status;
          error.data = data;
          throw error;
        }
        return data;
      });
    });
  }

  function itemPath(id) { return '/api/items/' + encodeURIComponent(id); }

  // --- state ----------------------------------------------------------------------

  var S = {
    info: null,
    reviewer: '',
    list: [],
    total: 0,
    index: -1,
    current: null,
    generation: null,
    editing: false,
    pending: null,       // the edited fields as last checked
    pendingCheck: null,  // {status, findings, fields} of that check
    checkSeq: 0,
    checkTimer: null,
    checking: null,
    asking: null,        // {resolve} while a reason is asked for
    busy: false,
    selectSeq: 0
  };

  // --- messages -------------------------------------------------------------------

  var noticeTimer = null;
  function notify(text, kind) {
    var box = $('notice');
    box.textContent = text;
    box.className = 'notice ' + (kind || 'info');
    box.setAttribute('role', kind === 'error' || kind === 'conflict' ? 'alert' : 'status');
    box.hidden = false;
    clearTimeout(noticeTimer);
    if (kind !== 'error' && kind !== 'conflict') {
      noticeTimer = setTimeout(function () { box.hidden = true; }, 8000);
    }
  }

  function showGate(which) {
    $('login').hidden = which !== 'login';
    $('reviewer-form').hidden = which !== 'reviewer';
    $('desk').hidden = which !== null;
  }

  function failed(error) {
    if (error && error.status === 401) {
      try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* ignore */ }
      token = null;
      showGate('login');
      notify('访问令牌无效 The access token is not valid for this desk (was it restarted?).', 'error');
      return;
    }
    if (error && error.status === 409) {
      notify('冲突 Conflict: ' + error.message, 'conflict');
      loadList({ keep: true }).catch(function () { /* shown already */ });
      return;
    }
    notify((error && error.message) || String(error), 'error');
  }

  // --- labels ---------------------------------------------------------------------

  function statusLabel(status) {
    var labels = (S.info && S.info.status_labels) || {};
    return labels[status] || String(status);
  }
  function categoryLabel(category) {
    var labels = (S.info && S.info.categories) || {};
    return labels[category] ? labels[category] + ' ' + category : String(category);
  }
  function platformLabel(platform) {
    var labels = (S.info && S.info.platform_labels) || {};
    return labels[platform] || String(platform);
  }
  function safeClass(value) { return String(value).replace(/[^a-z0-9_-]/gi, ''); }

  function badge(node, status) {
    node.textContent = statusLabel(status);
    node.className = 'badge st-' + safeClass(status);
    node.dataset.status = status;
    return node;
  }

  // --- copy with its findings marked ----------------------------------------------

  function describe(f) {
    var parts = [String(f.rule || '') + ' · ' + String(f.severity || '')];
    if (f.law) parts.push(String(f.law));
    if (f.message) parts.push(String(f.message));
    if (f.suggestion) parts.push('→ ' + String(f.suggestion));
    return parts.join('\n');
  }

  // Offsets are Python's: code points, not UTF-16 units (an emoji is one).
  function marked(text, findings) {
    var frag = document.createDocumentFragment();
    var chars = Array.from(text === null || text === undefined ? '' : String(text));
    var cuts = [0, chars.length];
    var spans = [];
    findings.forEach(function (f) {
      var s = f.start, e = f.end;
      if (Number.isInteger(s) && Number.isInteger(e) && s >= 0 && s < e && e <= chars.length) {
        spans.push(f); cuts.push(s); cuts.push(e);
      }
    });
    cuts = Array.from(new Set(cuts)).sort(function (a, b) { return a - b; });
    for (var i = 0; i < cuts.length - 1; i++) {
      var a = cuts[i], b = cuts[i + 1];
      var piece = chars.slice(a, b).join('');
      var over = spans.filter(function (f) { return f.start <= a && f.end >= b; });
      if (!over.length) { frag.appendChild(document.createTextNode(piece)); continue; }
      var worst = over.reduce(function (w, f) {
        return (RANK[f.severity] || 0) > (RANK[w.severity] || 0) ? f : w;
      });
      var mark = el('mark', 'sev-' + safeClass(worst.severity), piece);
      mark.dataset.rule = over.map(function (f) { return f.rule; }).join(' ');
      mark.title = over.map(describe).join('\n\n');
      frag.appendChild(mark);
    }
    return frag;
  }

  function renderFields(box, fields, findings) {
    box.replaceChildren();
    if (!fields || typeof fields !== 'object') {
      box.appendChild(el('p', 'empty', '(no text)'));
      return;
    }
    Object.keys(fields).forEach(function (name) {
      var row = el('div', 'fld');
      row.dataset.field = name;
      row.appendChild(el('span', 'fname', name));
      var body = el('div', 'ftext');
      var value = fields[name];
      if (Array.isArray(value)) {
        var list = el('ul', 'lst');
        value.forEach(function (entry, i) {
          var li = el('li');
          li.appendChild(marked(entry, findings.filter(function (f) {
            return f.field === name + '[' + i + ']';
          })));
          list.appendChild(li);
        });
        body.appendChild(list);
      } else {
        body.appendChild(marked(value, findings.filter(function (f) { return f.field === name; })));
      }
      row.appendChild(body);
      box.appendChild(row);
    });
  }

  function renderFindings(findings) {
    var body = $('i-findings').tBodies[0];
    body.replaceChildren();
    var sorted = findings.slice().sort(function (x, y) {
      return (RANK[y.severity] || 0) - (RANK[x.severity] || 0);
    });
    sorted.forEach(function (f) {
      var tr = el('tr');
      tr.dataset.rule = f.rule;
      var sev = el('td', 'sev sev-' + safeClass(f.severity), f.severity);
      tr.appendChild(sev);
      tr.appendChild(el('td', 'mono', f.rule));
      tr.appendChild(el('td', null, categoryLabel(f.category)));
      tr.appendChild(el('td', 'mono', f.field));
      tr.appendChild(el('td', null, f.text));
      tr.appendChild(el('td', null, f.law));
      tr.appendChild(el('td', null, f.suggestion));
      tr.title = f.message || '';
      body.appendChild(tr);
    });
    $('i-findings').hidden = !findings.length;
    $('i-no-findings').hidden = !!findings.length;
  }

  function renderFacts(product) {
    var body = $('i-facts').tBodies[0];
    body.replaceChildren();
    product = product || {};
    function row(key, value) {
      if (value === null || value === undefined || value === '' ||
          (Array.isArray(value) && !value.length)) return;
      var tr = el('tr');
      tr.appendChild(el('th', null, key));
      tr.appendChild(el('td', null, value));
      body.appendChild(tr);
    }
    ['sku', 'title', 'brand', 'category', 'price', 'promo_price', 'currency', 'audience']
      .forEach(function (key) { row(key, product[key]); });
    var points = product.selling_points;
    if (Array.isArray(points)) row('selling_points', points.map(String).join('；'));
    var attributes = product.attributes;
    if (attributes && typeof attributes === 'object' && !Array.isArray(attributes)) {
      row('attributes', Object.keys(attributes).map(function (k) {
        return k + ': ' + attributes[k];
      }).join('; '));
    }
  }

  function renderSiblings(siblings) {
    var box = $('i-siblings');
    box.replaceChildren();
    if (!siblings.length) {
      box.appendChild(el('p', 'empty', 'No other copy for this product row.'));
      return;
    }
    siblings.forEach(function (s) {
      var card = el('section', 'sibling');
      card.dataset.id = s.id;
      var head = el('header');
      head.appendChild(badge(el('span'), s.status));
      head.appendChild(el('span', 'ptitle', platformLabel(s.platform)));
      head.appendChild(el('span', 'iid', s.id));
      card.appendChild(head);
      var fields = el('div', 'fields');
      renderFields(fields, s.fields, s.findings || []);
      card.appendChild(fields);
      box.appendChild(card);
    });
  }

  function renderItem(item) {
    S.current = item;
    $('empty').hidden = true;
    $('current').hidden = false;
    $('current').dataset.id = item.id;
    badge($('i-status'), item.status);
    $('i-title').textContent = item.title || '';
    $('i-id').textContent = item.id;
    $('i-check').textContent = '· checker: ' + item.check_status;
    var previous = $('i-previous');
    var review = item.review;
    if (review && review.decision) {
      previous.textContent = '审核 Previously ' + review.decision +
        (review.forced ? ' (forced)' : '') + (review.edited ? ', edited' : '') +
        ' by ' + review.reviewer + ' at ' + review.ts + (review.reason ? ': ' + review.reason : '');
      previous.hidden = false;
    } else {
      previous.hidden = true;
    }
    renderFields($('i-fields'), item.fields, item.findings);
    renderFindings(item.findings);
    renderFacts(item.product);
    renderSiblings(item.siblings || []);
    $('a-edit').disabled = !item.fields;
  }

  // --- counts, filters, queue -----------------------------------------------------

  function renderCounts(byStatus) {
    var box = $('counts');
    box.replaceChildren();
    STATUS_ORDER.forEach(function (status) {
      var chip = el('button', 'chip st-' + safeClass(status));
      chip.type = 'button';
      chip.dataset.status = status;
      chip.appendChild(el('span', 'chip-label', statusLabel(status)));
      chip.appendChild(el('b', 'chip-n', byStatus[status] || 0));
      chip.title = 'Show only ' + status;
      chip.addEventListener('click', function () {
        $('f-status').value = status;
        loadList({}).catch(failed);
      });
      box.appendChild(chip);
    });
  }

  function fillSelect(select, counts, label, allText) {
    var keep = select.value;
    select.replaceChildren();
    select.appendChild(el('option', null, allText)).value = '';
    var keys = Object.keys(counts);
    if (keep && keys.indexOf(keep) < 0) keys.push(keep);
    keys.forEach(function (key) {
      var option = el('option', null, label(key) + ' (' + (counts[key] || 0) + ')');
      option.value = key;
      select.appendChild(option);
    });
    select.value = keep;
  }

  function renderFacets(counts) {
    fillSelect($('f-platform'), counts.platform, platformLabel, '所有平台 All platforms');
    fillSelect($('f-category'), counts.category, categoryLabel, '所有类别 All categories');
    fillSelect($('f-rule'), counts.rule, String, '所有规则 All rules');
  }

  function renderQueue() {
    var list = $('queue-list');
    list.replaceChildren();
    S.list.forEach(function (item, i) {
      var li = el('li', 'q-item');
      li.dataset.id = item.id;
      li.dataset.status = item.status;
      li.tabIndex = -1;
      var top = el('div', 'q-top');
      top.appendChild(badge(el('span'), item.status));
      top.appendChild(el('span', 'q-id', item.id));
      li.appendChild(top);
      li.appendChild(el('div', 'q-title', item.title || ''));
      if (item.rules.length) li.appendChild(el('div', 'q-rules', item.rules.join(' · ')));
      li.addEventListener('click', function () { select(i).catch(failed); });
      list.appendChild(li);
    });
    var shown = S.list.length;
    $('f-count').textContent = S.total + ' 条 items' +
      (S.total > shown ? ' (first ' + shown + ': narrow the filters)' : '');
    markActive();
  }

  function markActive() {
    var nodes = $('queue-list').children;
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].classList.toggle('active', i === S.index);
      if (i === S.index && nodes[i].scrollIntoView) nodes[i].scrollIntoView({ block: 'nearest' });
    }
  }

  function filterQuery() {
    var params = new URLSearchParams();
    params.set('status', $('f-status').value);
    ['platform', 'category', 'rule'].forEach(function (key) {
      var value = $('f-' + key).value;
      if (value) params.set(key, value);
    });
    var sku = $('f-sku').value.trim();
    if (sku) params.set('sku', sku);
    var q = $('f-text').value.trim();
    if (q) params.set('q', q);
    return params.toString();
  }

  // opts.select: an id to show; opts.after: {id, index} of the item just decided
  // (show the one after it); opts.keep: stay on the current item if it is listed.
  async function loadList(opts) {
    opts = opts || {};
    var data = await api('GET', '/api/items?' + filterQuery());
    S.list = data.items;
    S.total = data.total;
    S.generation = data.generation;
    renderCounts(data.counts.status);
    renderFacets(data.counts);
    var ids = S.list.map(function (item) { return item.id; });
    var index = 0;
    if (opts.select && ids.indexOf(opts.select) >= 0) {
      index = ids.indexOf(opts.select);
    } else if (opts.after) {
      var at = ids.indexOf(opts.after.id);
      index = at >= 0 ? at + 1 : opts.after.index;
    } else if (opts.keep && S.current && ids.indexOf(S.current.id) >= 0) {
      index = ids.indexOf(S.current.id);
    } else if (opts.keep) {
      index = S.index;
    }
    index = Math.max(0, Math.min(index, S.list.length - 1));
    S.index = S.list.length ? index : -1;
    renderQueue();
    await select(S.index);
  }

  async function select(index) {
    var seq = ++S.selectSeq;
    var sameItem = S.current && S.list[index] && S.list[index].id === S.current.id;
    if (!sameItem) leaveEdit();
    S.index = index;
    markActive();
    if (index < 0 || index >= S.list.length) {
      S.current = null;
      $('current').hidden = true;
      $('empty').hidden = false;
      return;
    }
    var item = await api('GET', itemPath(S.list[index].id));
    if (seq !== S.selectSeq) return;  // the reviewer has moved on meanwhile
    if (S.editing && sameItem) {
      if (item.version !== S.current.version) {
        notify('Someone else changed this item while you were editing: ' +
          statusLabel(item.status) + (item.review ? ' by ' + item.review.reviewer : '') +
          '. Your decision would be refused; Esc twice discards your edit.', 'conflict');
      }
      return;
    }
    renderItem(item);
  }

  function move(step) {
    if (!S.list.length) return;
    var next = Math.max(0, Math.min(S.index + step, S.list.length - 1));
    if (next !== S.index) select(next).catch(failed);
  }

  // --- editing --------------------------------------------------------------------

  function startEdit() {
    var item = S.current;
    if (!item || !item.fields || S.editing) {
      var first = $('i-inputs').querySelector('textarea');
      if (first) first.focus();
      return;
    }
    S.editing = true;
    S.pending = null;
    S.pendingCheck = null;
    var box = $('i-inputs');
    box.replaceChildren();
    Object.keys(item.fields).forEach(function (name) {
      var value = item.fields[name];
      var isList = Array.isArray(value);
      var label = el('label', 'edit-label', name + (isList ? ' (one per line 每行一项)' : ''));
      var area = el('textarea', 'edit-text');
      area.dataset.name = name;
      area.dataset.list = isList ? '1' : '0';
      area.value = isList ? value.join('\n') : (value === null ? '' : String(value));
      area.rows = Math.min(10, Math.max(2, area.value.split('\n').length + 1));
      area.addEventListener('input', scheduleCheck);
      label.appendChild(area);
      box.appendChild(label);
    });
    $('i-editor').hidden = false;
    $('i-fields').hidden = true;
    var first = box.querySelector('textarea');
    if (first) first.focus();
    scheduleCheck();
  }

  function collect() {
    var fields = {};
    $('i-inputs').querySelectorAll('textarea').forEach(function (area) {
      if (area.dataset.list === '1') {
        fields[area.dataset.name] = area.value.split('\n')
          .map(function (line) { return line.trim(); })
          .filter(function (line) { return line; });
      } else {
        fields[area.dataset.name] = area.value.trim();
      }
    });
    return fields;
  }

  function scheduleCheck() {
    clearTimeout(S.checkTimer);
    S.checkSeq++;
    badge($('i-recheck-status'), 'checking');
    $('i-recheck-status').textContent = '…';
    S.checkTimer = setTimeout(function () { runCheck().catch(failed); }, CHECK_DELAY_MS);
  }

  function runCheck() {
    clearTimeout(S.checkTimer);
    S.checkTimer = null;
    var seq = ++S.checkSeq;
    var item = S.current;
    var promise = api('POST', '/api/check', { id: item.id, fields: collect() }).then(function (result) {
      if (seq !== S.checkSeq || !S.editing || S.current !== item) return;
      S.pending = result.fields;
      S.pendingCheck = result;
      badge($('i-recheck-status'), result.status);
      var edited = JSON.stringify(result.fields) !== JSON.stringify(item.fields);
      $('i-recheck-note').textContent = (edited ? '' : '(no changes yet) ') +
        result.findings.length + ' finding(s)';
      renderFields($('i-preview'), result.fields, result.findings);
      renderFindings(result.findings);
    });
    S.checking = promise;
    return promise;
  }

  // Before deciding on an edit, its check must be the one of the text as it is now.
  async function checked() {
    if (S.checkTimer !== null || !S.pendingCheck) await runCheck();
    else if (S.checking) await S.checking;
  }

  function leaveEdit() {
    if ($('i-editor').contains(document.activeElement)) document.activeElement.blur();
    clearTimeout(S.checkTimer);
    S.checkTimer = null;
    S.checkSeq++;
    S.editing = false;
    S.pending = null;
    S.pendingCheck = null;
    $('i-editor').hidden = true;
    $('i-fields').hidden = false;
    $('i-inputs').replaceChildren();
    $('i-preview').replaceChildren();
  }

  function discardEdit() {
    leaveEdit();
    if (S.current) renderItem(S.current);
    notify('The edit was discarded.', 'info');
  }

  // --- asking for a reason --------------------------------------------------------

  function askReason(text) {
    if (S.asking) S.asking.resolve(null);
    return new Promise(function (resolve) {
      S.asking = { resolve: resolve };
      $('i-ask-label').textContent = text;
      $('i-ask-input').value = '';
      $('i-ask').hidden = false;
      $('i-ask-input').focus();
    });
  }

  function answer(value) {
    if (!S.asking) return;
    var pending = S.asking;
    S.asking = null;
    // A hidden box keeping the focus would swallow the next shortcut key.
    $('i-ask-input').blur();
    $('i-ask').hidden = true;
    pending.resolve(value);
  }

  // --- deciding -------------------------------------------------------------------

  async function send(body) {
    var id = S.current.id;
    var index = S.index;
    var result = await api('POST', itemPath(id) + '/decision', body);
    var review = result.item.review || {};
    notify(statusLabel(result.item.status) + (review.forced ? ' (forced)' : '') +
      (review.edited ? ', edited' : '') + ': ' + id, 'ok');
    leaveEdit();
    await loadList({ after: { id: id, index: index } });
  }

  async function guarded(action) {
    if (S.busy || !S.current) return;
    S.busy = true;
    try { await action(); } catch (error) { failed(error); } finally { S.busy = false; }
  }

  function approve() {
    return guarded(async function () {
      var item = S.current;
      var body = { decision: 'approve', reviewer: S.reviewer, version: item.version };
      var verdict = item.check_status;
      if (S.editing) {
        await checked();
        if (S.pendingCheck && JSON.stringify(S.pending) !== JSON.stringify(item.fields)) {
          body.fields = S.pending;
          verdict = S.pendingCheck.status;
        }
      }
      if (verdict === 'blocked') {
        var reason = await askReason('已拦截：强制通过需要理由 The checker blocked this text. ' +
          'Approving it is recorded as forced. Reason (required):');
        if (!reason) { notify('Not approved: a reason is required.', 'info'); return; }
        body.reason = reason;
        body.force = true;
      }
      await send(body);
    });
  }

  function reject() {
    return guarded(async function () {
      var reason = await askReason('驳回理由 Reason for rejecting (required):');
      if (!reason) { notify('Not rejected: a reason is required.', 'info'); return; }
      // A rejection is about the generated text: an unsaved edit is dropped.
      await send({ decision: 'reject', reason: reason, reviewer: S.reviewer,
        version: S.current.version });
    });
  }

  function undo() {
    if (S.busy) return Promise.resolve();
    S.busy = true;
    return api('POST', '/api/undo', { reviewer: S.reviewer }).then(function (result) {
      notify('已撤销 Undid the decision on ' + result.item.id, 'ok');
      leaveEdit();
      return loadList({ select: result.item.id });
    }).catch(failed).then(function () { S.busy = false; });
  }

  function skip() { leaveEdit(); move(1); }

  // --- export and report ----------------------------------------------------------

  async function download(file) {
    var response = await fetch(file.download, {
      headers: { 'Authorization': 'Bearer ' + token }, cache: 'no-store',
      credentials: 'omit', referrerPolicy: 'no-referrer'
    });
    if (!response.ok) throw new Error('download of ' + file.name + ' failed: HTTP ' + response.status);
    var blob = await response.blob();
    var url = URL.createObjectURL(blob);
    var link = el('a');
    link.href = url;
    link.download = file.name;
    link.rel = 'noopener';
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 30000);
    var note = el('span', null, file.name);
    note.dataset.name = file.name;
    note.dataset.bytes = String(blob.size);
    $('downloads').appendChild(note);
  }

  function exportItems() {
    return guarded(async function () {
      var result = await api('POST', '/api/export', { format: $('export-format').value });
      for (var i = 0; i < result.files.length; i++) await download(result.files[i]);
      var names = result.files.map(function (f) { return f.name; }).join(', ');
      notify('已导出 Exported ' + result.count + ' items (pass + approved) to ' + names +
        '; recorded in the audit log.' + (result.unproven ? ' Note: ' + result.unproven : ''), 'ok');
    });
  }

  function writeReport() {
    return guarded(async function () {
      var result = await api('POST', '/api/report', {});
      await download(result.files[0]);
      var rate = result.pass_rate === null ? '–' : (result.pass_rate * 100).toFixed(1) + '%';
      notify('报告 Report: ' + result.total + ' items, pass rate ' + rate + ', ' +
        result.flagged + ' flagged.', 'ok');
    });
  }

  // --- keys -----------------------------------------------------------------------

  var KEYS = {
    a: approve, r: reject, e: startEdit, s: skip, u: undo,
    j: function () { move(1); }, k: function () { move(-1); },
    arrowdown: function () { move(1); }, arrowup: function () { move(-1); }
  };

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var typing = target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' ||
      target.tagName === 'SELECT' || target.isContentEditable);
    if (event.key === 'Escape') {
      if (S.asking) answer(null);
      else if (typing) target.blur();
      else if (S.editing) discardEdit();
      return;
    }
    if (S.asking && event.key === 'Enter' && target === $('i-ask-input')) {
      event.preventDefault();
      answer($('i-ask-input').value.trim() || null);
      return;
    }
    if (typing || S.asking || $('desk').hidden) return;
    var handler = KEYS[event.key.toLowerCase()];
    if (!handler) return;
    event.preventDefault();
    var done = handler();
    if (done && done.catch) done.catch(failed);
  }

  // --- polling: counts and other reviewers' decisions without a reload -------------

  async function poll() {
    if (!token || $('desk').hidden || document.hidden || S.busy) return;
    try {
      var state = await api('GET', '/api/state');
      renderCounts(state.counts.status);
      if (state.generation !== S.generation && !S.asking && !S.busy) {
        if (S.editing) {
          S.generation = state.generation;
          await select(S.index);  // warns if this very item changed
        } else {
          await loadList({ keep: true });
        }
      }
    } catch (error) {
      if (error.status === 401) failed(error);
    }
  }

  // --- start ----------------------------------------------------------------------

  function setReviewer(name) {
    S.reviewer = name;
    try { localStorage.setItem(NAME_KEY, name); } catch (e) { /* ignore */ }
    $('who-name').textContent = name;
  }

  function askName() {
    var input = $('reviewer-input');
    input.value = S.reviewer || (S.info && S.info.reviewer) || '';
    showGate('reviewer');
    input.focus();
    input.select();
  }

  async function start() {
    if (!token) { showGate('login'); return; }
    try {
      S.info = await api('GET', '/api/info');
    } catch (error) { failed(error); return; }
    var audit = String(S.info.audit).split(/[\\/]/).pop();
    $('folder').textContent = S.info.folder + ' · 审计日志 audit log: ' + audit;
    $('folder').title = S.info.outdir + '\n' + S.info.audit;
    var saved = null;
    try { saved = localStorage.getItem(NAME_KEY); } catch (e) { saved = null; }
    if (!saved) { askName(); return; }
    setReviewer(saved);
    showGate(null);
    await loadList({});
  }

  function wire() {
    $('reviewer-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var name = $('reviewer-input').value.trim();
      if (!name) return;
      setReviewer(name);
      showGate(null);
      loadList({ keep: true }).catch(failed);
    });
    $('who').addEventListener('click', askName);
    $('a-approve').addEventListener('click', function () { approve(); });
    $('a-reject').addEventListener('click', function () { reject(); });
    $('a-edit').addEventListener('click', startEdit);
    $('a-skip').addEventListener('click', skip);
    $('a-undo').addEventListener('click', function () { undo(); });
    $('i-ask-ok').addEventListener('click', function () {
      answer($('i-ask-input').value.trim() || null);
    });
    $('i-ask-cancel').addEventListener('click', function () { answer(null); });
    $('export').addEventListener('click', function () { exportItems(); });
    $('report').addEventListener('click', function () { writeReport(); });
    ['f-status', 'f-platform', 'f-category', 'f-rule'].forEach(function (id) {
      $(id).addEventListener('change', function () { loadList({}).catch(failed); });
    });
    var typed = null;
    ['f-sku', 'f-text'].forEach(function (id) {
      $(id).addEventListener('input', function () {
        clearTimeout(typed);
        typed = setTimeout(function () { loadList({}).catch(failed); }, 250);
      });
    });
    document.addEventListener('keydown', onKey);
    setInterval(poll, POLL_MS);
  }

  wire();
  start().catch(failed);
})();
