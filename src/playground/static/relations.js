// The playground's relations: shown only when the served model has a relation head (/health/ready
// says `model.relations`). A relation-labels field beside the labels, and a table of the answer's
// relations, head → relation → tail with the score. Text goes in through textContent only.
import { formatScore } from './highlight.js';

const field = document.getElementById('relations-field');
const input = document.getElementById('relations');
const table = document.getElementById('relations-table');
const body = document.getElementById('relations-body');
const empty = document.getElementById('relations-empty');

let served = false;

/** Show the relation field when the served model answers relations. */
export function showRelations(model) {
  served = model?.relations === true;
  if (field !== null) field.hidden = !served;
}

/** The relation labels to send, or undefined (none typed, or a model without a relation head). */
export function relationLabels() {
  if (!served || input === null) return undefined;
  const labels = [...new Set(input.value.split(',').map((label) => label.trim()).filter((label) => label !== ''))];
  return labels.length === 0 ? undefined : labels;
}

/** Fill the relations table from an answer's `relations` (hidden when the request asked for none). */
export function renderRelations(relations) {
  if (table === null || body === null || empty === null) return;
  body.replaceChildren();
  const asked = Array.isArray(relations);
  table.hidden = !asked || relations.length === 0;
  empty.hidden = !asked || relations.length > 0;
  if (!asked) return;
  for (const relation of relations) {
    const row = document.createElement('tr');
    const end = (e) => `${e?.text ?? ''} (${e?.entity_type ?? ''})`;
    for (const value of [end(relation.head), `→ ${relation.relation} →`, end(relation.tail), formatScore(relation.score)]) {
      const cell = document.createElement('td');
      cell.textContent = value;
      row.append(cell);
    }
    body.append(row);
  }
}
