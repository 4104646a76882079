// The Open Inference Protocol's own OpenAPI document (KServe's rest_predict_v2.yaml, committed in
// test/fixtures/kserve with its source) as validators: an operation is found by method and URL (the
// document writes the optional `/versions/${MODEL_VERSION}` segment into every path; the protocol
// says it may be left out), and requests and responses are checked against its schemas with ajv.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { ROOT } from './server.js';

interface Operation {
  operationId: string;
  requestBody?: { content: Record<string, { schema: { $ref: string } }> };
  responses: Record<string, { content?: Record<string, { schema: { $ref: string } }> }>;
}
interface Document {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, unknown> };
}

export const OIP_SPEC_FILE = path.join(ROOT, 'test/fixtures/kserve/rest_predict_v2.yaml');
const doc = parse(readFileSync(OIP_SPEC_FILE, 'utf8')) as Document;

// ajv is strict by default (v8) about the document's `x-examples`; v6 ignores unknown keywords.
const ajv = new Ajv({ allErrors: true, ...({ strict: false } as object) });
ajv.addSchema({ components: doc.components }, 'oip');

function pattern(template: string): RegExp {
  const body = template
    .replace(/\/$/, '')
    .replace('/versions/${MODEL_VERSION}', '(?:/versions/[^/]+)?')
    .replace('${MODEL_NAME}', '[^/]+');
  return new RegExp(`^${body}/?$`);
}

const operations = Object.entries(doc.paths).flatMap(([template, item]) =>
  Object.entries(item)
    .filter(([method]) => ['get', 'post'].includes(method))
    .map(([method, op]) => ({ method, template, re: pattern(template), op: op as Operation })));

export function operationFor(method: string, url: string): { template: string; op: Operation } {
  const found = operations.find((o) => o.method === method.toLowerCase() && o.re.test(url));
  if (found === undefined) throw new Error(`no operation in rest_predict_v2.yaml for ${method} ${url}`);
  return found;
}

function check(ref: string, value: unknown): string[] {
  const validate = ajv.getSchema(`oip${ref}`);
  if (validate === undefined) throw new Error(`no schema ${ref}`);
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${(e as { instancePath?: string; dataPath?: string }).instancePath ?? (e as { dataPath?: string }).dataPath ?? ''} ${e.message ?? ''}`);
}

export function schemaNames(): string[] {
  return Object.keys(doc.components.schemas);
}

/** Problems with a request body against the operation's requestBody schema ([] when it conforms). */
export function requestProblems(method: string, url: string, body: unknown): string[] {
  const { op } = operationFor(method, url);
  const ref = op.requestBody?.content['application/json']?.schema.$ref;
  if (ref === undefined) throw new Error(`${op.operationId} takes no JSON body`);
  return check(ref, body);
}

/**
 * Problems with a response against the document: the schema of its status when the document lists
 * it; for any other error status, the operation's 400 error schema (the protocol's error object is
 * the same whatever the status), or the component `<kind>_error_response` when none is listed.
 */
export function responseProblems(method: string, url: string, status: number, body: unknown): string[] {
  const { op } = operationFor(method, url);
  const listed = op.responses[String(status)];
  let ref = listed?.content?.['application/json']?.schema.$ref;
  if (listed === undefined && status >= 400) ref = op.responses['400']?.content?.['application/json']?.schema.$ref ?? '#/components/schemas/metadata_model_error_response';
  if (ref === undefined) return listed === undefined ? [`status ${status} is not in the document for ${op.operationId}`] : [];
  return check(ref, body);
}
