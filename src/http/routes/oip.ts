// The Open Inference Protocol (KServe "v2" REST data plane) beside our own API, on the same service
// (engine, result cache, limits, metrics) and API keys: server and model metadata, health, and
// inference with `text` and `labels` BYTES inputs and one output tensor per member of a text's
// answer (service/answer.ts: `entities`, one JSON document per text, `truncated`, and `relations`
// when a relation-extraction model is asked for them). Errors are
// the protocol's `{"error": "<message>"}` with our statuses, plus our stable `code` beside it (the
// protocol's error object does not forbid more members; docs/open-inference-protocol.md). The model
// is served under one name (OIP_MODEL_NAME) with its revision as its only version. A GLiNER2 model
// is served under the same name: its metadata lists `text` and `schema` in, `result` out, and an
// inference with a `schema` input is an extraction (oip-tensors.ts).
import { GlinerError } from '../../errors.js';
import { membersOf } from '../../service/answer.js';
import type { ServiceHost } from '../../service/host.js';
import type { ServiceAnswer } from '../../service/request.js';
import type { RequestContext } from '../context.js';
import type { ErrorRenderer } from '../respond.js';
import { send, sendJson } from '../respond.js';
import type { Route } from '../router.js';
import { answerHeaders, callerOf } from '../service-call.js';
import { validator } from '../validate.js';
import { InferRequest, readInferRequest, type InferExtract, type InferInputs } from './oip-tensors.js';

export interface OipSettings {
  readonly modelName: string;
  readonly version: string;
}

/** The protocol's error object: a descriptive message (the status says what kind), and our code. */
export const oipError: ErrorRenderer = (error) => ({ error: error.message, code: error.code });

/** Health answers are a status and an empty body: 200 true, 400 false (the protocol's "4xx"). */
function health(ctx: RequestContext, ok: boolean): void {
  send(ctx.ex, ok ? 200 : 400, '', 'text/plain; charset=utf-8');
}

const PLATFORM = 'gliner_onnx';

/** The inference response: one output per member asked for, each text's member one element. */
function responseJson(modelName: string, id: string | undefined, inputs: InferInputs | InferExtract, answer: ServiceAnswer): string {
  const shape = JSON.stringify(inputs.shape);
  const members = membersOf(inputs.operation);
  const outputs = inputs.outputs.map((name) => {
    const member = members.find((m) => m.name === name);
    if (member === undefined) throw new GlinerError('INTERNAL', `Output "${name}" has no answer member: this is a bug.`);
    const data = answer.texts.map((text) => {
      const json = member.json(text) ?? 'null';
      return member.datatype === 'BYTES' ? JSON.stringify(json) : json;
    });
    return `{"name":"${name}","datatype":"${member.datatype}","shape":${shape},"data":[${data.join(',')}]}`;
  });
  const head = `"model_name":${JSON.stringify(modelName)},"model_version":${JSON.stringify(answer.model.revision)}${id === undefined ? '' : `,"id":${JSON.stringify(id)}`}`;
  return `{${head},"parameters":{"model":${JSON.stringify(answer.model.id)},"processing_time":${answer.timings.totalSeconds}},"outputs":[${outputs.join(',')}]}`;
}

export function oipRoutes(service: ServiceHost, settings: OipSettings): Route[] {
  const inferBody = validator(InferRequest);
  const common = { auth: false, body: false, errorBody: oipError } as const;
  /** The model (and version) a /v2/models/... URL names, or NOT_FOUND. */
  const modelOf = (ctx: RequestContext): void => {
    const parts = ctx.url.split('/'); // ['', 'v2', 'models', name, ('versions', version)?, ...]
    let name: string;
    let version: string | undefined;
    try {
      name = decodeURIComponent(parts[3] ?? '');
      version = parts[4] === 'versions' ? decodeURIComponent(parts[5] ?? '') : undefined;
    } catch {
      throw new GlinerError('NOT_FOUND', 'The model name in the URL is not valid percent-encoding.');
    }
    if (name !== settings.modelName) throw new GlinerError('NOT_FOUND', `Unknown model "${name}"; this server serves "${settings.modelName}".`);
    const revision = service.model?.revision;
    if (version !== undefined && version !== revision) throw new GlinerError('NOT_FOUND', `Unknown version "${version}" of model "${name}"${revision === undefined ? ' (the model is still loading)' : `; the served version is "${revision}"`}.`);
  };
  const metadata: Route['handle'] = (ctx) => {
    modelOf(ctx);
    const tensor = (name: string, datatype: string) => ({ name, datatype, shape: [-1] });
    const gliner2 = service.model?.kind === 'gliner2';
    sendJson(ctx.ex, 200, {
      name: settings.modelName,
      versions: service.model === undefined ? [] : [service.model.revision],
      platform: PLATFORM,
      // A GLiNER2 model takes a schema; relation-extraction models also take relation labels and answer relations.
      inputs: [tensor('text', 'BYTES'), tensor(gliner2 ? 'schema' : 'labels', 'BYTES'), ...(service.model?.relations === true ? [tensor('relations', 'BYTES')] : [])],
      outputs: membersOf(gliner2 ? 'extract' : 'predict').filter((member) => member.askedWith === undefined || service.model?.relations === true).map((member) => tensor(member.name, member.datatype)),
    });
  };
  const ready: Route['handle'] = (ctx) => {
    modelOf(ctx);
    health(ctx, service.phase === 'ready');
  };
  const infer: Route['handle'] = async (ctx, raw) => {
    modelOf(ctx);
    const body = inferBody.parse(raw ?? Buffer.alloc(0));
    const inputs = readInferRequest(body);
    const fields = { text: (i: number) => `text.${i}`, labels: 'labels', texts: 'Input "text"' };
    const answer = await service.handle(inputs.operation === 'extract'
      ? { operation: 'extract', inputs: inputs.inputs, fields: { text: 'text.0', schema: 'schema.0' } }
      : { operation: 'predict', inputs: inputs.predict, fields }, callerOf(ctx, 'oip', 'POST /v2/models/{name}/infer'));
    send(ctx.ex, 200, responseJson(settings.modelName, body.id, inputs, answer), 'application/json', answerHeaders(answer));
  };
  const server: Route['handle'] = (ctx) => sendJson(ctx.ex, 200, { name: 'gliner-serve', version: settings.version, extensions: [] });
  const model = '/v2/models/:name';
  const versioned = '/v2/models/:name/versions/:version';
  return [
    { ...common, method: 'get', path: '/v2', name: '/v2', handle: server },
    { ...common, method: 'get', path: '/v2/', name: '/v2', handle: server },
    { ...common, method: 'get', path: '/v2/health/live', name: '/v2/health/live', handle: (ctx) => health(ctx, true) },
    { ...common, method: 'get', path: '/v2/health/ready', name: '/v2/health/ready', handle: (ctx) => health(ctx, service.phase === 'ready') },
    { ...common, method: 'get', path: model, name: '/v2/models/{name}', handle: metadata },
    { ...common, method: 'get', path: versioned, name: '/v2/models/{name}/versions/{version}', handle: metadata },
    { ...common, method: 'get', path: `${model}/ready`, name: '/v2/models/{name}/ready', handle: ready },
    { ...common, method: 'get', path: `${versioned}/ready`, name: '/v2/models/{name}/versions/{version}/ready', handle: ready },
    { ...common, method: 'post', path: `${model}/infer`, name: '/v2/models/{name}/infer', auth: true, body: true, handle: infer },
    { ...common, method: 'post', path: `${versioned}/infer`, name: '/v2/models/{name}/versions/{version}/infer', auth: true, body: true, handle: infer },
  ];
}
