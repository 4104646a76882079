// The playground page: form state, REST and WebSocket calls, and rendering of the highlighted text.
// All user and model text goes into the page through textContent / attributes, never as HTML.
import { STREAM_WORDS, colourFor, countWords, describeError, describeModel, formatScore, mergeEntities, segment } from './highlight.js';
import { showSchema } from './extract.js';
import { relationLabels, renderRelations, showRelations } from './relations.js';

const KEY_STORAGE = 'gliner.playground.apiKey';
const DEFAULT_LABELS = ['person', 'organization', 'location'];

const $ = (id) => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`#${id} missing`);
  return el;
};

const form = $('form');
const textEl = $('text');
const wordCountEl = $('word-count');
const transportEl = $('transport');
const chipsEl = $('chips');
const chipsBox = $('chips-box');
const labelInput = $('label-input');
const thresholdEl = $('threshold');
const thresholdOut = $('threshold-value');
const nestedEl = $('nested');
const multiLabelEl = $('multi-label');
const apiKeyEl = $('api-key');
const button = $('recognise');
const errorEl = $('error');
const statusEl = $('status');
const progressBox = $('progress-box');
const progressEl = $('progress');
const progressText = $('progress-text');
const legendEl = $('legend');
const outputEl = $('output');
const tableBody = $('entities-body');
const emptyEl = $('empty');
const resultSection = $('result-section');
const inspector = $('inspector');
const modelNameEl = $('model-name');
const modelNoteEl = $('model-note');

let labels = [...DEFAULT_LABELS];
/** Increments per request: answers to an older request are ignored. */
let run = 0;
/** The open stream of the current request, if any. */
let socket = null;

// ---------------------------------------------------------------- API key (memory + session storage)

function loadKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE) ?? '';
  } catch {
    return '';
  }
}

function saveKey(value) {
  try {
    if (value === '') sessionStorage.removeItem(KEY_STORAGE);
    else sessionStorage.setItem(KEY_STORAGE, value);
  } catch {
    // storage disabled: the key stays in memory (the field) only
  }
}

apiKeyEl.value = loadKey();
apiKeyEl.addEventListener('input', () => saveKey(apiKeyEl.value.trim()));

// ---------------------------------------------------------------- labels as chips

function renderChips() {
  chipsEl.replaceChildren();
  labels.forEach((label) => {
    const li = document.createElement('li');
    li.className = 'chip';
    const swatch = swatchFor(label, labels);
    const name = document.createElement('span');
    name.className = 'chip-name';
    name.textContent = label;
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'chip-remove';
    remove.textContent = '×';
    remove.setAttribute('aria-label', `Remove label ${label}`);
    remove.addEventListener('click', () => {
      labels = labels.filter((l) => l !== label);
      renderChips();
      labelInput.focus();
    });
    li.append(swatch, name, remove);
    chipsEl.append(li);
  });
}

function addLabels(raw) {
  for (const part of raw.split(',')) {
    const label = part.trim();
    if (label !== '' && !labels.includes(label)) labels.push(label);
  }
  renderChips();
}

labelInput.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' || event.key === ',') {
    event.preventDefault();
    addLabels(labelInput.value);
    labelInput.value = '';
  } else if (event.key === 'Backspace' && labelInput.value === '' && labels.length > 0) {
    labels = labels.slice(0, -1);
    renderChips();
  }
});
labelInput.addEventListener('blur', () => {
  if (labelInput.value.trim() !== '') {
    addLabels(labelInput.value);
    labelInput.value = '';
  }
});
chipsBox.addEventListener('click', (event) => {
  if (event.target === chipsBox || event.target === chipsEl) labelInput.focus();
});

// ---------------------------------------------------------------- form bits

function updateThreshold() {
  const value = Number(thresholdEl.value).toFixed(2);
  thresholdOut.textContent = value;
  thresholdEl.setAttribute('aria-valuetext', value);
}
thresholdEl.addEventListener('input', updateThreshold);

function updateWords() {
  const words = countWords(textEl.value);
  wordCountEl.textContent = `${words} word${words === 1 ? '' : 's'}`;
  transportEl.textContent = words > STREAM_WORDS ? 'WebSocket streaming' : 'REST';
}
textEl.addEventListener('input', updateWords);
textEl.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    form.requestSubmit();
  }
});
$('stream-threshold').textContent = String(STREAM_WORDS);

// ---------------------------------------------------------------- messages

function showError(title, detail = '') {
  errorEl.replaceChildren();
  const strong = document.createElement('strong');
  strong.textContent = title;
  errorEl.append(strong);
  if (detail !== '') {
    const p = document.createElement('span');
    p.className = 'error-detail';
    p.textContent = detail;
    errorEl.append(' ', p);
  }
  errorEl.hidden = false;
}

function clearError() {
  errorEl.hidden = true;
  errorEl.replaceChildren();
}

function showApiError(status, body, retryAfter) {
  const { title, detail } = describeError(status, body?.error, retryAfter);
  showError(title, detail);
  setStatus('Failed.');
  resetProgress();
}

function setStatus(text) {
  statusEl.textContent = text;
}

function setBusy(busy, text = '') {
  button.disabled = busy;
  button.textContent = busy ? 'Recognising…' : 'Recognise';
  resultSection.setAttribute('aria-busy', busy ? 'true' : 'false');
  if (text !== '') setStatus(text);
}

// ---------------------------------------------------------------- rendering

/** The small colour square shown next to a label (chips and legend). */
function swatchFor(label, labels) {
  const swatch = document.createElement('span');
  swatch.className = 'swatch';
  swatch.setAttribute('aria-hidden', 'true');
  const colour = colourFor(label, labels);
  swatch.style.backgroundColor = colour.background;
  swatch.style.borderColor = colour.border;
  return swatch;
}

function renderLegend(runLabels) {
  legendEl.replaceChildren();
  for (const label of runLabels) {
    const li = document.createElement('li');
    const swatch = swatchFor(label, runLabels);
    const name = document.createElement('span');
    name.textContent = label;
    li.append(swatch, name);
    legendEl.append(li);
  }
}

function describeEntity(e) {
  return `${e.entity_type} (${formatScore(e.score)})`;
}

/** The text with every entity highlighted; overlapping entities are split into segments. */
function renderText(text, entities, runLabels) {
  const points = Array.from(text);
  const fragment = document.createDocumentFragment();
  for (const seg of segment(points.length, entities)) {
    const piece = points.slice(seg.start, seg.end).join('');
    const primary = seg.entities[0];
    if (primary === undefined) {
      fragment.append(document.createTextNode(piece));
      continue;
    }
    const mark = document.createElement('mark');
    mark.className = 'entity';
    if (seg.entities.length > 1) mark.classList.add('nested');
    if (primary.end === seg.end) mark.classList.add('entity-end');
    mark.textContent = piece;
    mark.dataset.label = primary.entity_type;
    mark.dataset.score = formatScore(primary.score);
    const title = seg.entities.map(describeEntity).join('; ');
    mark.title = title;
    mark.setAttribute('aria-label', `${piece}: ${title}`);
    mark.tabIndex = 0;
    const colour = colourFor(primary.entity_type, runLabels);
    mark.style.backgroundColor = colour.background;
    mark.style.borderBottomColor = colour.border;
    if (seg.entities.length > 1) mark.style.outlineColor = colourFor(seg.entities[1].entity_type, runLabels).border;
    fragment.append(mark);
  }
  outputEl.replaceChildren(fragment);
}

function renderTable(text, entities, runLabels) {
  const points = Array.from(text);
  const rows = entities.map((e, i) => {
    const tr = document.createElement('tr');
    const cell = (value, className) => {
      const td = document.createElement('td');
      if (className !== undefined) td.className = className;
      td.textContent = value;
      tr.append(td);
      return td;
    };
    cell(String(i + 1), 'num');
    cell(typeof e.text === 'string' ? e.text : points.slice(e.start, e.end).join(''));
    const labelCell = cell('');
    const swatch = swatchFor(e.entity_type, runLabels);
    const name = document.createElement('span');
    name.textContent = e.entity_type;
    labelCell.append(swatch, name);
    cell(formatScore(e.score), 'num');
    cell(String(e.start), 'num');
    cell(String(e.end), 'num');
    return tr;
  });
  tableBody.replaceChildren(...rows);
}

function render(text, entities, runLabels, final) {
  const sorted = [...entities].sort((a, b) => a.start - b.start || b.end - a.end || b.score - a.score);
  renderText(text, sorted, runLabels);
  renderTable(text, sorted, runLabels);
  emptyEl.hidden = !(final && sorted.length === 0);
  outputEl.dataset.state = final ? 'final' : 'partial';
}

function resetProgress() {
  progressBox.hidden = true;
  progressBox.dataset.received = '0';
  progressBox.dataset.windows = '0';
  progressBox.dataset.done = 'false';
  progressEl.max = 1;
  progressEl.value = 0;
  progressText.textContent = '';
}

function showProgress(received, windows, done) {
  progressBox.hidden = false;
  progressBox.dataset.received = String(received);
  progressBox.dataset.windows = String(windows);
  progressBox.dataset.done = done ? 'true' : 'false';
  progressEl.max = Math.max(windows, 1);
  progressEl.value = received;
  if (done) {
    progressText.textContent = windows > 0 ? `Streamed ${received} of ${windows} windows` : 'One window: no partial results';
  } else {
    progressText.textContent = `Window ${received} of ${windows} received`;
  }
}

function summary(count, seconds, model) {
  const parts = [`${count} entit${count === 1 ? 'y' : 'ies'}`];
  if (typeof seconds === 'number') parts.push(`${(seconds * 1000).toFixed(0)} ms`);
  if (typeof model === 'string' && model !== '') parts.push(model);
  return parts.join(' · ');
}

function inspect(event) {
  const mark = event.target instanceof Element ? event.target.closest('.entity') : null;
  if (mark === null) return;
  inspector.replaceChildren();
  const strong = document.createElement('strong');
  strong.textContent = mark.textContent ?? '';
  inspector.append(strong, ` — ${mark.title}`);
}
outputEl.addEventListener('mouseover', inspect);
outputEl.addEventListener('focusin', inspect);

// ---------------------------------------------------------------- REST

async function viaRest(request, id, key) {
  const headers = { 'Content-Type': 'application/json' };
  if (key !== '') headers['X-API-Key'] = key;
  let response;
  try {
    response = await fetch('/api/v1/predict', { method: 'POST', headers, body: JSON.stringify(request), cache: 'no-store', credentials: 'omit' });
  } catch (error) {
    if (id !== run) return;
    if (error instanceof TypeError && /header|ISO-8859-1|ByteString/iu.test(String(error.message))) {
      showError('The API key contains characters that cannot be sent in an HTTP header.');
    } else {
      showError('Could not reach the server. Check that it is running and the network is up.', String(error?.message ?? ''));
    }
    setStatus('Failed.');
    return;
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (id !== run) return;
  if (!response.ok) {
    showApiError(response.status, body, response.headers.get('Retry-After'));
    return;
  }
  const entities = Array.isArray(body?.entities) ? body.entities : [];
  render(request.text, entities, request.labels, true);
  renderRelations(body?.relations);
  setStatus(summary(entities.length, body?.processing_time, body?.model));
}

// ---------------------------------------------------------------- WebSocket

function closeSocket() {
  if (socket !== null) {
    const s = socket;
    socket = null;
    try {
      s.close(1000, 'done');
    } catch {
      // already closing
    }
  }
}

function viaStream(request, id, key) {
  return new Promise((resolve) => {
    const url = new URL('/api/v1/stream', window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const protocols = ['gliner.v1'];
    if (key !== '') protocols.push(`bearer.${key}`);
    let ws;
    try {
      ws = new WebSocket(url, protocols);
    } catch {
      showError('Could not connect: the API key contains characters a WebSocket sub-protocol cannot carry (letters, digits and - . _ ~ are safe).');
      setStatus('Failed.');
      resetProgress();
      resolve();
      return;
    }
    socket = ws;
    let opened = false;
    let finished = false;
    let received = 0;
    let windows = 0;
    let partial = [];
    const finish = () => {
      if (finished) return;
      finished = true;
      if (socket === ws) closeSocket();
      resolve();
    };
    ws.addEventListener('open', () => {
      opened = true;
      setStatus('Streaming…');
      ws.send(JSON.stringify({ id, ...request }));
    });
    ws.addEventListener('message', (event) => {
      if (id !== run) {
        finish();
        return;
      }
      let message;
      try {
        message = JSON.parse(String(event.data));
      } catch {
        return;
      }
      if (message?.id !== id) return;
      if (message.error !== undefined) {
        showApiError(undefined, message, undefined);
        finish();
        return;
      }
      const entities = Array.isArray(message.entities) ? message.entities : [];
      if (message.done === true) {
        render(request.text, entities, request.labels, true);
        renderRelations(message.relations);
        showProgress(received, windows, true);
        setStatus(summary(entities.length, message.processing_time, ''));
        finish();
        return;
      }
      received += 1;
      windows = Number(message.windows) || windows;
      partial = mergeEntities(partial, entities);
      render(request.text, partial, request.labels, false);
      showProgress(received, windows, false);
      setStatus(`Streaming… ${partial.length} entit${partial.length === 1 ? 'y' : 'ies'} so far`);
    });
    ws.addEventListener('close', (event) => {
      if (finished || id !== run) {
        finish();
        return;
      }
      if (!opened) {
        showError('Could not connect: check the API key.', 'The server refused the WebSocket connection (a wrong or missing key, too many failed attempts, or the server is shutting down).');
      } else if (event.code === 1009) {
        showError('Too large: the text is bigger than the server accepts over the WebSocket. Shorten it. (1009)');
      } else {
        showError(`The connection closed before the result arrived (code ${event.code}).`, event.reason);
      }
      setStatus('Failed.');
      resetProgress();
      finish();
    });
  });
}

// ---------------------------------------------------------------- submit

async function recognise() {
  if (labelInput.value.trim() !== '') {
    addLabels(labelInput.value);
    labelInput.value = '';
  }
  const text = textEl.value;
  clearError();
  if (text.trim() === '') {
    showError('Enter a text to recognise entities in.');
    textEl.focus();
    return;
  }
  if (labels.length === 0) {
    showError('Add at least one label (for example: person, organization, location).');
    labelInput.focus();
    return;
  }
  const key = apiKeyEl.value.trim();
  saveKey(key);
  run += 1;
  const id = run;
  closeSocket();
  const request = {
    text,
    labels: [...labels],
    threshold: Number(thresholdEl.value),
    flat_ner: !nestedEl.checked,
    multi_label: multiLabelEl.checked,
  };
  const relations = relationLabels();
  if (relations !== undefined) request.relations = relations;
  renderRelations(undefined);
  renderLegend(request.labels);
  resetProgress();
  outputEl.replaceChildren();
  tableBody.replaceChildren();
  emptyEl.hidden = true;
  inspector.textContent = 'Hover or Tab to a highlight for its label and score.';
  const stream = countWords(text) > STREAM_WORDS;
  setBusy(true, stream ? 'Connecting…' : 'Recognising…');
  try {
    if (stream) {
      showProgress(0, 0, false);
      progressText.textContent = 'Waiting for the first window…';
      await viaStream(request, id, key);
    } else {
      await viaRest(request, id, key);
    }
  } finally {
    if (id === run) setBusy(false);
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void recognise();
});

// ---------------------------------------------------------------- start

/** Polls readiness while the model loads, so the page says why Recognise would fail; shows the served model. */
async function checkReady(waiting = false) {
  let ready = true;
  try {
    const response = await fetch('/health/ready', { cache: 'no-store' });
    ready = response.ok;
    if (ready) {
      const { model } = await response.json();
      showRelations(model);
      showSchema(model);
      const { name, note } = describeModel(model);
      modelNameEl.textContent = name;
      modelNoteEl.textContent = note;
      modelNoteEl.hidden = note === '';
    }
  } catch {
    return;
  }
  if (ready) {
    if (waiting && statusEl.textContent?.startsWith('The model is still loading')) setStatus('Model ready. Press Recognise to find entities.');
    return;
  }
  if (!waiting) setStatus('The model is still loading; Recognise will work once it is ready.');
  window.setTimeout(() => void checkReady(true), 3000);
}

renderChips();
updateThreshold();
updateWords();
resetProgress();
void checkReady();
