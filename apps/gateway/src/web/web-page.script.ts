/**
 * The page's script, as text the page inlines (no bundler, nothing fetched from the network). Plain
 * browser JavaScript: string concatenation instead of template literals, so it can live in a TS string.
 */
export const WEB_PAGE_SCRIPT = String.raw`
'use strict';
var API = '/api/v1';
var $ = function (selector) { return document.querySelector(selector); };
var keyInput = $('#api-key');
keyInput.value = localStorage.getItem('dataproc.apiKey') || '';
keyInput.addEventListener('change', function () { localStorage.setItem('dataproc.apiKey', keyInput.value.trim()); route(); });

function headers(json) {
  var h = {};
  var key = keyInput.value.trim();
  if (key) h.Authorization = 'Bearer ' + key;
  if (json) h['Content-Type'] = 'application/json';
  return h;
}
function api(method, path, body) {
  return fetch(API + path, { method: method, headers: headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body) })
    .then(function (response) {
      return response.text().then(function (text) {
        var parsed; try { parsed = text ? JSON.parse(text) : undefined; } catch (e) { parsed = text; }
        return { status: response.status, body: parsed, text: text };
      });
    });
}
function el(tag, attrs, children) {
  var node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (name) {
    if (name === 'text') node.textContent = attrs[name]; else node.setAttribute(name, attrs[name]);
  });
  (children || []).forEach(function (child) { if (child) node.appendChild(child); });
  return node;
}
function percentDone(task) {
  if (task.status !== 'pending' && task.status !== 'running') return 100;
  var p = task.progress;
  var collect = p.sources_total ? (p.sources_collected + p.sources_failed) / p.sources_total : 0;
  var evaluate = p.records_total ? (p.records_evaluated + p.records_failed) / p.records_total : 0;
  var generate = p.dimensions_total ? p.dimensions_done / p.dimensions_total : 0;
  return Math.min(99, Math.floor(10 * collect + 80 * evaluate + 10 * generate));
}
function bar(task) {
  var percent = percentDone(task);
  return el('div', { class: 'bar', role: 'progressbar', 'aria-valuenow': String(percent), 'data-status': task.status }, [
    el('div', { class: 'fill ' + task.status, style: 'width:' + percent + '%' }),
    el('span', { text: percent + ' %' }),
  ]);
}
function errorText(answer) {
  var message = answer.body && answer.body.message !== undefined ? answer.body.message : answer.text;
  return answer.status + ': ' + (Array.isArray(message) ? message.join('; ') : String(message));
}

/* Live progress: the task's server-sent events, read with fetch so the API key can go in a header. */
var streams = {};
function follow(id, onTask) {
  if (streams[id]) streams[id].abort();
  var controller = new AbortController();
  streams[id] = controller;
  fetch(API + '/tasks/' + id + '/events', { headers: headers(false), signal: controller.signal }).then(function (response) {
    if (!response.ok || !response.body) return;
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = '';
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) { delete streams[id]; onTask(null); return; }
        buffer += decoder.decode(chunk.value, { stream: true });
        var events = buffer.split('\n\n');
        buffer = events.pop();
        events.forEach(function (raw) {
          var data = raw.split('\n').filter(function (line) { return line.indexOf('data:') === 0; }).map(function (line) { return line.slice(5).trim(); }).join('');
          if (!data) return;
          onTask(JSON.parse(data));
        });
        return pump();
      });
    }
    return pump();
  }).catch(function () { /* aborted when the view changes */ });
}
function stopStreams() { Object.keys(streams).forEach(function (id) { streams[id].abort(); delete streams[id]; }); }

/* Submit: the problems are listed beside the editor, each with its field and the line it is on. */
function lineOf(text, field) {
  var position = 0;
  var segments = field.replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean);
  for (var i = 0; i < segments.length; i++) {
    var segment = segments[i];
    if (/^\d+$/.test(segment)) {
      for (var n = 0; n <= Number(segment); n++) {
        var next = text.indexOf('{', position + (n ? 1 : 0));
        if (next < 0) return undefined;
        position = next;
      }
    } else {
      var found = text.indexOf('"' + segment + '"', position);
      if (found < 0) return undefined;
      position = found;
    }
  }
  return text.slice(0, position).split('\n').length;
}
function selectLine(line) {
  var editor = $('#task-json');
  var lines = editor.value.split('\n');
  var start = lines.slice(0, line - 1).join('\n').length + (line > 1 ? 1 : 0);
  editor.focus();
  editor.setSelectionRange(start, start + lines[line - 1].length);
}
function showSubmitErrors(problems) {
  var list = $('#submit-errors');
  var text = $('#task-json').value;
  list.innerHTML = '';
  problems.forEach(function (problem) {
    var line = problem.field ? lineOf(text, problem.field) : problem.line;
    var item = el('li', {}, [
      problem.field ? el('code', { text: problem.field }) : null,
      el('span', { text: ' ' + problem.text + ' ' }),
      line ? el('a', { href: '#', class: 'line', text: 'line ' + line }) : null,
    ]);
    if (line) item.querySelector('a.line').addEventListener('click', function (event) { event.preventDefault(); selectLine(line); });
    list.appendChild(item);
  });
  $('#task-json').classList.toggle('invalid', problems.length > 0);
}
$('#submit-form').addEventListener('submit', function (event) {
  event.preventDefault();
  var body;
  try { body = JSON.parse($('#task-json').value); } catch (e) {
    var at = /position (\d+)/.exec(e.message);
    showSubmitErrors([{ text: 'JSON: ' + e.message, line: at ? $('#task-json').value.slice(0, Number(at[1])).split('\n').length : undefined }]);
    return;
  }
  api('POST', '/tasks', body).then(function (answer) {
    if (answer.status === 202) {
      showSubmitErrors([]);
      location.hash = '#/tasks/' + answer.body.id;
    } else if (answer.body && Array.isArray(answer.body.fields)) {
      showSubmitErrors(answer.body.fields.map(function (f) { return { field: f.field, text: f.reasons.join(', ') }; }));
    } else {
      showSubmitErrors([{ text: errorText(answer) }]);
    }
  });
});

/* Task list: GET /tasks, newest first, 50 a page (More follows next_cursor); live bars from the events. */
var nextCursor = null;
function isActive(task) { return task.status === 'pending' || task.status === 'running'; }
function showList(cursor) {
  var status = $('#status-filter').value;
  var query = '?limit=50' + (status ? '&status=' + status : '') + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '');
  api('GET', '/tasks' + query).then(function (answer) {
    var body = $('#task-rows');
    if (!cursor) body.innerHTML = '';
    if (answer.status !== 200) { body.appendChild(el('tr', {}, [el('td', { class: 'error', colspan: '4', text: errorText(answer) })])); return; }
    answer.body.items.forEach(function (task) {
      var cell = el('td', {}, [bar(task)]);
      var statusCell = el('td', { text: task.status });
      body.appendChild(el('tr', { 'data-id': task.id }, [
        el('td', {}, [el('a', { href: '#/tasks/' + task.id, text: task.id.slice(0, 8) })]),
        statusCell, cell, el('td', { text: new Date(task.created_at).toLocaleTimeString() }),
      ]));
      if (isActive(task)) {
        // Each progress event carries the task's summary, counters included: the bar needs no read.
        follow(task.id, function (event) {
          if (!event || !event.progress) return;
          cell.replaceChildren(bar(event)); statusCell.textContent = event.status;
        });
      }
    });
    nextCursor = answer.body.next_cursor;
    $('#more').hidden = !nextCursor;
    $('#empty').hidden = body.children.length > 0;
  });
}
$('#more').addEventListener('click', function () { showList(nextCursor); });
$('#status-filter').addEventListener('change', function () { stopStreams(); showList(null); });

/* One task */
function histogram(scores, threshold) {
  var bins = 10, counts = new Array(bins).fill(0);
  scores.forEach(function (score) { counts[Math.min(bins - 1, Math.floor(score * bins))]++; });
  var max = Math.max.apply(null, counts.concat([1]));
  var svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 220 90'); svg.setAttribute('class', 'histogram');
  counts.forEach(function (count, index) {
    var height = Math.round(70 * count / max);
    var rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
    rect.setAttribute('x', String(10 + index * 20)); rect.setAttribute('y', String(75 - height));
    rect.setAttribute('width', '18'); rect.setAttribute('height', String(height));
    rect.setAttribute('class', index / bins >= threshold ? 'pass' : 'fail');
    var title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
    title.textContent = (index / bins).toFixed(1) + '-' + ((index + 1) / bins).toFixed(1) + ': ' + count;
    rect.appendChild(title); svg.appendChild(rect);
    var label = document.createElementNS('http://www.w3.org/2000/svg', 'text');
    label.setAttribute('x', String(12 + index * 20)); label.setAttribute('y', '87'); label.textContent = (index / bins).toFixed(1);
    svg.appendChild(label);
  });
  return svg;
}
function renderTask(task) {
  var view = $('#task-view');
  var p = task.progress;
  view.replaceChildren.apply(view, [
    el('h2', { text: 'Task ' + task.id }),
    el('p', {}, [el('strong', { id: 'task-status', text: task.status }), el('span', { text: task.stage && (task.status === 'running' || task.status === 'pending') ? ' - stage ' + task.stage : '' })]),
    bar(task),
    el('div', { class: 'actions' }, [
      el('button', { id: 'cancel', type: 'button', text: 'Cancel' }),
      el('button', { id: 'retry', type: 'button', text: 'Retry' }),
      el('button', { id: 'export', type: 'button', text: 'Download CSV' }),
      el('span', { id: 'action-result', class: 'note' }),
    ]),
    el('table', { class: 'counters' }, [
      el('tr', {}, [el('th', { text: 'sources' }), el('td', { text: p.sources_collected + ' / ' + p.sources_total + ' collected, ' + p.sources_failed + ' failed' })]),
      el('tr', {}, [el('th', { text: 'records' }), el('td', { id: 'records', text: p.records_evaluated + ' / ' + p.records_total + ' evaluated, ' + p.records_failed + ' failed' })]),
      el('tr', {}, [el('th', { text: 'dimensions' }), el('td', { text: p.dimensions_done + ' / ' + p.dimensions_total + ' done' })]),
    ]),
    task.error ? el('p', { class: 'error', text: task.error }) : null,
  ].filter(Boolean));
  if (task.errors && task.errors.length) {
    view.appendChild(el('h3', { text: 'Errors (' + task.errors.length + ')' }));
    view.appendChild(el('ul', { class: 'errors' }, task.errors.slice(0, 20).map(function (e) {
      return el('li', { text: e.stage + ' ' + (e.source_id || '') + (e.record_id ? '/' + e.record_id : '') + ': ' + e.message });
    })));
  }
  if (task.result) {
    view.appendChild(el('h3', { text: 'Result: ' + task.result.passed_all_dimensions + ' record(s) pass every dimension' }));
    var dims = el('div', { class: 'dimensions' });
    task.result.dimensions.forEach(function (d) {
      var s = d.statistics;
      dims.appendChild(el('section', { class: 'dimension', 'data-dimension': d.dimension_id }, [
        el('h4', { text: d.name + ' (threshold ' + d.threshold + ')' }),
        el('div', { class: 'bar' }, [el('div', { class: 'fill completed', style: 'width:' + Math.round(100 * s.pass_rate) + '%' }), el('span', { class: 'pass-rate', text: 'pass rate ' + (100 * s.pass_rate).toFixed(1) + ' %' })]),
        el('p', { class: 'stats', text: s.passed + ' / ' + s.count + ' passed; mean ' + s.mean.toFixed(3) + ', median ' + s.median.toFixed(3) + ', p90 ' + s.p90.toFixed(3) }),
        el('p', { class: 'note', text: d.passed_records_total > d.passed_records.length ? 'Scores of the first ' + d.passed_records.length + ' of ' + d.passed_records_total + ' passing records' : 'Scores of the passing records' }),
        histogram(d.passed_records.map(function (r) { return r.score; }), d.threshold),
        el('p', { class: 'summary', text: d.summary || d.summary_error || '' }),
      ]));
    });
    view.appendChild(dims);
  }
  var note = function (text) { $('#action-result').textContent = text; };
  $('#cancel').disabled = task.status !== 'pending' && task.status !== 'running';
  $('#retry').disabled = isActive(task);
  $('#cancel').onclick = function () { api('DELETE', '/tasks/' + task.id).then(function (a) { if (a.status === 200) renderTask(a.body); else note(errorText(a)); }); };
  $('#retry').onclick = function () {
    api('POST', '/tasks/' + task.id + '/retry').then(function (a) {
      if (a.status === 202) location.hash = '#/tasks/' + a.body.id; else note(errorText(a));
    });
  };
  $('#export').onclick = function () {
    fetch(API + '/tasks/' + task.id + '/export?format=csv', { headers: headers(false) }).then(function (response) {
      if (!response.ok) return response.text().then(function (text) { note(response.status + ': ' + text.slice(0, 200)); });
      return response.blob().then(function (blob) {
        var link = el('a', { href: URL.createObjectURL(blob), download: 'task-' + task.id + '.csv' });
        document.body.appendChild(link); link.click(); link.remove();
      });
    });
  };
}
function showTask(id) {
  api('GET', '/tasks/' + id).then(function (answer) {
    if (answer.status !== 200) { $('#task-view').replaceChildren(el('p', { class: 'error', text: errorText(answer) })); return; }
    renderTask(answer.body);
    if (isActive(answer.body)) {
      // A progress event (or the stream's end) says the task moved; its errors and result come with a read.
      follow(id, function (event) {
        if (event && !event.progress) return;
        api('GET', '/tasks/' + id).then(function (a) { if (a.status === 200) renderTask(a.body); });
      });
    }
  });
}

function route() {
  stopStreams();
  var match = /^#\/tasks\/([0-9a-f-]{36})$/.exec(location.hash);
  $('#home').hidden = !!match;
  $('#task-page').hidden = !match;
  if (match) showTask(match[1]); else showList(null);
}
window.addEventListener('hashchange', route);
route();
`;
