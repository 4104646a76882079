// The playground's Schema tab (GLiNER2): a text, a JSON schema (an example to start from), extract's
// options; POST /api/v1/extract and the JSON result, pretty-printed. The tab opens by itself when
// /health/ready says the served model is a GLiNER2 one (showSchema, called from playground.js's
// readiness poll). The API key is the Labels tab's (this tab's session storage). Every value is put
// on the page as text, never as HTML.
const KEY_STORAGE = 'gliner.playground.apiKey';
const EXAMPLE = {
  entities: ['person', { name: 'company', description: 'Organizations and businesses' }, 'product', 'location'],
  classifications: [{ task: 'sentiment', labels: ['positive', 'negative', 'neutral'] }],
  relations: ['works_for'],
  structures: [{ name: 'product_info', fields: [{ name: 'name', dtype: 'str' }, { name: 'price', dtype: 'str', description: 'Price with currency' }, { name: 'availability', dtype: 'str', choices: ['in_stock', 'pre_order'] }] }],
};

const $ = (id) => document.getElementById(id);
const tabs = { labels: $('tab-labels'), schema: $('tab-schema') };
const labelsPanels = [$('form'), $('result-section')];
const schemaPanel = $('extract-section');
const schemaEl = $('extract-schema');
const thresholdEl = $('extract-threshold');
const statusEl = $('extract-status');
const resultEl = $('extract-result');

schemaEl.value = JSON.stringify(EXAMPLE, null, 2);

function select(which) {
  const schema = which === 'schema';
  tabs.schema.setAttribute('aria-selected', String(schema));
  tabs.labels.setAttribute('aria-selected', String(!schema));
  schemaPanel.hidden = !schema;
  for (const panel of labelsPanels) if (panel) panel.hidden = schema;
}
tabs.labels.addEventListener('click', () => select('labels'));
tabs.schema.addEventListener('click', () => select('schema'));

const updateThreshold = () => ($('extract-threshold-value').textContent = Number(thresholdEl.value).toFixed(2));
thresholdEl.addEventListener('input', updateThreshold);
updateThreshold();

async function extract() {
  let schema;
  try {
    schema = JSON.parse(schemaEl.value);
  } catch (error) {
    statusEl.textContent = `The schema is not valid JSON: ${error instanceof Error ? error.message : String(error)}`;
    return;
  }
  const request = { text: $('extract-text').value, schema, threshold: Number(thresholdEl.value), include_confidence: $('extract-confidence').checked, include_spans: $('extract-spans').checked };
  const headers = { 'Content-Type': 'application/json' };
  const key = sessionStorage.getItem(KEY_STORAGE) ?? '';
  if (key !== '') headers['X-API-Key'] = key;
  statusEl.textContent = 'Extracting…';
  resultEl.textContent = '';
  try {
    const response = await fetch('/api/v1/extract', { method: 'POST', headers, body: JSON.stringify(request), cache: 'no-store', credentials: 'omit' });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      statusEl.textContent = `${response.status} ${body?.error?.code ?? ''}: ${body?.error?.message ?? response.statusText}`;
      return;
    }
    statusEl.textContent = `Done in ${(body.processing_time * 1000).toFixed(0)} ms (${body.model}).`;
    resultEl.textContent = JSON.stringify(body.result, null, 2);
  } catch {
    statusEl.textContent = 'Could not reach the server.';
  }
}

$('extract-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void extract();
});

/** A GLiNER2 model answers schemas only: open its tab (playground.js calls this with /health/ready's model, once it is ready). */
export function showSchema(model) {
  if (model?.kind === 'gliner2') select('schema');
}
