// Pure helpers of the playground page (no DOM): splitting a text into highlight segments,
// label colours, error wording. Offsets from the API are Unicode code points, end exclusive.

/** The embedded demo model's id as /health/ready reports it (the default MODEL). */
export const EMBEDDED_MODEL = 'native-models/gliner-tiny';

/**
 * What the page says about the served model before the first result: its id, and for the embedded
 * demo model that it is not zero-shot (it knows the CoNLL/CrossNER types it was trained on).
 */
export function describeModel(model) {
  const id = typeof model?.id === 'string' ? model.id : 'unknown';
  const where = [model?.revision, model?.executionProvider].filter((v) => typeof v === 'string' && v !== '').join(', ');
  const name = where === '' ? id : `${id} (${where})`;
  const embedded = id === EMBEDDED_MODEL || id.replace(/\/+$/, '').endsWith(`/${EMBEDDED_MODEL}`);
  const note = embedded
    ? 'The embedded demo model: trained here on CoNLL-2003 and CrossNER, it finds their entity types (person, organisation, location, misc, politician, band, scientist…) and is not zero-shot — labels it never saw, such as date or drug, find little or nothing. Serve a real GLiNER checkpoint (MODEL=onnx-community/gliner_medium-v2.1) for arbitrary labels.'
    : '';
  return { name, note };
}

/** Texts with more words than this go through the WebSocket stream instead of REST. */
export const STREAM_WORDS = 300;

export function countWords(text) {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/u).length;
}

// Light backgrounds (contrast ≥ 10:1 with the #111 text) and a darker underline per label.
const PALETTE = [
  ['#ffd8a8', '#d9480f'], ['#a5d8ff', '#1864ab'], ['#b2f2bb', '#2b8a3e'], ['#fcc2d7', '#a61e4d'],
  ['#d0bfff', '#5f3dc4'], ['#ffec99', '#e67700'], ['#99e9f2', '#0b7285'], ['#ffc9c9', '#c92a2a'],
  ['#d8f5a2', '#5c940d'], ['#eebefa', '#862e9c'], ['#96f2d7', '#087f5b'], ['#dee2e6', '#495057'],
];

/** Colours of a label: its position in the request's label list, else a hash of its name. */
export function colourFor(label, labels) {
  let index = labels.indexOf(label);
  if (index < 0) {
    let hash = 0;
    for (const ch of label) hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
    index = hash;
  }
  const [background, border] = PALETTE[index % PALETTE.length];
  return { background, border };
}

export function formatScore(score) {
  return typeof score === 'number' && Number.isFinite(score) ? score.toFixed(2) : '?';
}

/** The entity that colours a segment covered by several: the innermost, then the top-scoring. */
function outranks(a, b) {
  const la = a.end - a.start;
  const lb = b.end - b.start;
  if (la !== lb) return la < lb;
  return a.score > b.score;
}

/**
 * Split a text of `length` code points at every entity boundary.
 * Returns [{start, end, entities}] covering [0, length) in order; `entities` holds every entity
 * covering the segment, the primary one (innermost, then top score) first.
 */
export function segment(length, entities) {
  const valid = entities.filter((e) => Number.isInteger(e.start) && Number.isInteger(e.end) && e.start >= 0 && e.end <= length && e.start < e.end);
  const bounds = new Set([0, length]);
  for (const e of valid) {
    bounds.add(e.start);
    bounds.add(e.end);
  }
  const cuts = [...bounds].sort((a, b) => a - b);
  const byStart = [...valid].sort((a, b) => a.start - b.start);
  const segments = [];
  let active = [];
  let next = 0;
  for (let i = 0; i + 1 < cuts.length; i++) {
    const start = cuts[i];
    const end = cuts[i + 1];
    active = active.filter((e) => e.end > start);
    while (next < byStart.length && byStart[next].start <= start) {
      if (byStart[next].end > start) active.push(byStart[next]);
      next++;
    }
    const covering = [...active].sort((a, b) => (outranks(a, b) ? -1 : outranks(b, a) ? 1 : 0));
    segments.push({ start, end, entities: covering });
  }
  return segments;
}

/** Entities from several windows, one per (start, end, label), keeping the best score. */
export function mergeEntities(into, more) {
  const byKey = new Map(into.map((e) => [`${e.start}:${e.end}:${e.entity_type}`, e]));
  for (const e of more) {
    const key = `${e.start}:${e.end}:${e.entity_type}`;
    const seen = byKey.get(key);
    if (seen === undefined || e.score > seen.score) byKey.set(key, e);
  }
  return [...byKey.values()].sort((a, b) => a.start - b.start || b.end - a.end || b.score - a.score);
}

const STATUS_OF = {
  BAD_JSON: 400, VALIDATION_FAILED: 400, LIMIT_EXCEEDED: 400, UNAUTHORIZED: 401, NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413, UNSUPPORTED_MEDIA_TYPE: 415, RATE_LIMITED: 429, INTERNAL: 500, WORKER_CRASHED: 500,
  OVERLOADED: 503, DRAINING: 503, NOT_READY: 503, DEADLINE_EXCEEDED: 504,
};

const CODE_OF_STATUS = { 401: 'UNAUTHORIZED', 404: 'NOT_FOUND', 413: 'PAYLOAD_TOO_LARGE', 429: 'RATE_LIMITED', 503: 'OVERLOADED', 504: 'DEADLINE_EXCEEDED' };

/**
 * A readable message for an API error. `status` is the HTTP status (undefined over the WebSocket),
 * `error` the body's {code, message} if any, `retryAfter` the Retry-After header if any.
 * Returns {title, detail}.
 */
export function describeError(status, error, retryAfter) {
  const code = error?.code ?? CODE_OF_STATUS[status] ?? 'ERROR';
  const shown = status ?? STATUS_OF[code];
  const tag = shown === undefined ? code : `${shown} ${code}`;
  const later = retryAfter !== undefined && retryAfter !== null && retryAfter !== '' ? ` Try again in ${retryAfter} s.` : ' Try again shortly.';
  let title;
  switch (code) {
    case 'UNAUTHORIZED': title = 'Unauthorized: the API key is missing or wrong. Enter a valid key in the API key field.'; break;
    case 'RATE_LIMITED': title = `Rate limited: too many requests.${later}`; break;
    case 'PAYLOAD_TOO_LARGE': title = 'Too large: the text is bigger than the server accepts. Shorten it.'; break;
    case 'LIMIT_EXCEEDED': title = 'A server limit was exceeded.'; break;
    case 'VALIDATION_FAILED': case 'BAD_JSON': title = 'The request was refused as invalid.'; break;
    case 'NOT_READY': title = `The model is still loading.${later}`; break;
    case 'OVERLOADED': title = `The server is overloaded.${later}`; break;
    case 'DRAINING': title = `The server is shutting down.${later}`; break;
    case 'DEADLINE_EXCEEDED': title = 'Timed out: the request did not finish in time. Try a shorter text.'; break;
    case 'NOT_FOUND': title = 'Not found: the API is not served here.'; break;
    default: title = 'The server reported an error.';
  }
  const message = typeof error?.message === 'string' && error.message !== '' ? ` Server said: ${error.message}` : '';
  return { title: `${title} (${tag})`, detail: message.trim() };
}
