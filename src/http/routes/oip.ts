// The Open Inference Protocol (KServe "v2" REST data plane) beside our own API, on the same engine,
// result cache, API keys, limits and metrics: server and model metadata, health, and inference with
// `text` and `labels` BYTES inputs and `entities` (one JSON document per text) and `truncated`
// outputs. Errors are the protocol's `{"error": "<message>"}` with our statuses. The model is
// served under one name (OIP_MODEL_NAME) with its revision as its only version.
import { GlinerError } from '../../errors.js';
import type { Metrics } from '../../metrics/registry.js';
import type { RequestContext } from '../context.js';
import type { ErrorRenderer } from '../respond.js';
import { send, sendJson } from '../respond.js';
import type { Route } from '../router.js';
import { validator } from '../validate.js';
import { InferRequest, readInferRequest, type InferInputs } from './oip-tensors.js';
import { cacheHeaders, checkLabels, checkText, run, timingHeaders, type PredictDeps } from './predict.js';

export interface OipDeps extends PredictDeps {
  readonly modelName: string;
  readonly version: string;
}

/** The protocol's error object: a descriptive message (the status says what kind). */
export const oipError: ErrorRenderer = (error) => ({ error: error.message });

/** Health answers are a status and an empty body: 200 true, 400 false (the protocol's "4xx"). */
function health(ctx: RequestContext, ok: boolean): void {
  send(ctx.ex, ok ? 200 : 400, '', 'text/plain; charset=utf-8');
}

const PLATFORM = 'gliner_onnx';

/** The model (and version) a /v2/models/... URL names, or NOT_FOUND. */
function modelOf(ctx: RequestContext, deps: OipDeps): void {
  const parts = ctx.url.split('/'); // ['', 'v2', 'models', name, ('versions', version)?, ...]
  let name: string;
  let version: string | undefined;
  try {
    name = decodeURIComponent(parts[3] ?? '');
    version = parts[4] === 'versions' ? decodeURIComponent(parts[5] ?? '') : undefined;
  } catch {
    throw new GlinerError('NOT_FOUND', 'The model name in the URL is not valid percent-encoding.');
  }
  if (name !== deps.modelName) throw new GlinerError('NOT_FOUND', `Unknown model "${name}"; this server serves "${deps.modelName}".`);
  const revision = deps.state.model?.revision;
  if (version !== undefined && version !== revision) throw new GlinerError('NOT_FOUND', `Unknown version "${version}" of model "${name}"${revision === undefined ? ' (the model is still loading)' : `; the served version is "${revision}"`}.`);
}

function checkInputs(inputs: InferInputs, deps: OipDeps): void {
  const { limits } = deps;
  if (inputs.texts.length > limits.maxBatchTexts) throw new GlinerError('LIMIT_EXCEEDED', `Input "text": at most ${limits.maxBatchTexts} texts per request (got ${inputs.texts.length}).`);
  inputs.texts.forEach((text, i) => checkText(text, limits, `text.${i}`));
  checkLabels(inputs.labels, limits, 'labels');
}

/** The inference response, spliced from the workers' JSON (each text's entities become one BYTES element). */
function responseJson(deps: OipDeps, metrics: Metrics, id: string | undefined, inputs: InferInputs, answers: readonly { json: string; count: number; truncated: boolean }[], seconds: number): string {
  const shape = JSON.stringify(inputs.shape);
  const outputs = inputs.outputs.map((name) => {
    if (name === 'entities') {
      for (const answer of answers) {
        metrics.entities.inc(answer.count);
        if (answer.truncated) metrics.truncated.inc();
      }
      return `{"name":"entities","datatype":"BYTES","shape":${shape},"data":[${answers.map((a) => JSON.stringify(a.json)).join(',')}]}`;
    }
    return `{"name":"truncated","datatype":"BOOL","shape":${shape},"data":[${answers.map((a) => String(a.truncated)).join(',')}]}`;
  });
  const head = `"model_name":${JSON.stringify(deps.modelName)},"model_version":${JSON.stringify(deps.state.model?.revision ?? '')}${id === undefined ? '' : `,"id":${JSON.stringify(id)}`}`;
  return `{${head},"parameters":{"model":${JSON.stringify(deps.state.model?.id ?? 'unknown')},"processing_time":${seconds}},"outputs":[${outputs.join(',')}]}`;
}

export function oipRoutes(deps: OipDeps): Route[] {
  const inferBody = validator(InferRequest);
  const common = { auth: false, body: false, errorBody: oipError } as const;
  const metadata: Route['handle'] = (ctx) => {
    modelOf(ctx, deps);
    const tensor = (name: string, datatype: string) => ({ name, datatype, shape: [-1] });
    sendJson(ctx.ex, 200, {
      name: deps.modelName,
      versions: deps.state.model === undefined ? [] : [deps.state.model.revision],
      platform: PLATFORM,
      inputs: [tensor('text', 'BYTES'), tensor('labels', 'BYTES')],
      outputs: [tensor('entities', 'BYTES'), tensor('truncated', 'BOOL')],
    });
  };
  const ready: Route['handle'] = (ctx) => {
    modelOf(ctx, deps);
    health(ctx, deps.state.phase === 'ready');
  };
  const infer: Route['handle'] = async (ctx, raw) => {
    modelOf(ctx, deps);
    const body = inferBody.parse(raw ?? Buffer.alloc(0));
    const inputs = readInferRequest(body);
    checkInputs(inputs, deps);
    const result = await run(deps, ctx, inputs.texts, inputs.labels, inputs.options);
    send(ctx.ex, 200, responseJson(deps, deps.metrics, body.id, inputs, result.texts, result.timings.totalSeconds), 'application/json', [...timingHeaders(result), ...cacheHeaders(result)]);
  };
  const server: Route['handle'] = (ctx) => sendJson(ctx.ex, 200, { name: 'gliner-serve', version: deps.version, extensions: [] });
  const model = '/v2/models/:name';
  const versioned = '/v2/models/:name/versions/:version';
  return [
    { ...common, method: 'get', path: '/v2', name: '/v2', handle: server },
    { ...common, method: 'get', path: '/v2/', name: '/v2', handle: server },
    { ...common, method: 'get', path: '/v2/health/live', name: '/v2/health/live', handle: (ctx) => health(ctx, true) },
    { ...common, method: 'get', path: '/v2/health/ready', name: '/v2/health/ready', handle: (ctx) => health(ctx, deps.state.phase === 'ready') },
    { ...common, method: 'get', path: model, name: '/v2/models/{name}', handle: metadata },
    { ...common, method: 'get', path: versioned, name: '/v2/models/{name}/versions/{version}', handle: metadata },
    { ...common, method: 'get', path: `${model}/ready`, name: '/v2/models/{name}/ready', handle: ready },
    { ...common, method: 'get', path: `${versioned}/ready`, name: '/v2/models/{name}/versions/{version}/ready', handle: ready },
    { ...common, method: 'post', path: `${model}/infer`, name: '/v2/models/{name}/infer', auth: true, body: true, handle: infer },
    { ...common, method: 'post', path: `${versioned}/infer`, name: '/v2/models/{name}/versions/{version}/infer', auth: true, body: true, handle: infer },
  ];
}

