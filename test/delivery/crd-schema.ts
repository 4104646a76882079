// Validating custom resources against their CustomResourceDefinition's openAPIV3Schema (the CRDs are
// committed fixtures with their source, e.g. test/fixtures/kserve). The API server prunes fields
// its schema does not declare, silently; here an undeclared field is an error instead, so a typo in
// a manifest cannot pass (objects marked x-kubernetes-preserve-unknown-fields keep their freedom).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import Ajv from 'ajv';
import { parse } from 'yaml';
import type { K8sObject } from './k8s-render.js';

interface CrdVersion { name: string; served: boolean; schema: { openAPIV3Schema: Record<string, unknown> } }
interface Crd { spec: { group: string; names: { kind: string }; versions: CrdVersion[] } }

type Schema = Record<string, unknown>;

/** additionalProperties: false wherever the schema lists properties and allows nothing else. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema as Schema)) out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, closed(v)])) : closed(value);
  if (out.properties !== undefined && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) out.additionalProperties = false;
  return out;
}

// Formats such as int32 and int-or-string's x- keywords are Kubernetes', not JSON Schema's.
const ajv = new Ajv({ allErrors: true, ...({ strict: false, validateFormats: false, format: false, unknownFormats: 'ignore' } as object) });

export interface CrdValidator {
  readonly apiVersion: string;
  readonly kind: string;
  validate(object: K8sObject): string[];
}

export function crdValidators(file: string): CrdValidator[] {
  const text = file.endsWith('.gz') ? gunzipSync(readFileSync(file)).toString('utf8') : readFileSync(file, 'utf8');
  const crd = parse(text) as Crd;
  return crd.spec.versions.filter((v) => v.served).map((version) => {
    const check = ajv.compile(closed(version.schema.openAPIV3Schema) as object);
    return {
      apiVersion: `${crd.spec.group}/${version.name}`,
      kind: crd.spec.names.kind,
      validate(object) {
        if (check(object)) return [];
        return (check.errors ?? []).map((e) => {
          const where = (e as { instancePath?: string }).instancePath ?? (e as { dataPath?: string }).dataPath ?? '';
          const extra = (e.params as { additionalProperty?: string }).additionalProperty;
          return `${where} ${e.message ?? ''}${extra === undefined ? '' : ` (${extra})`}`;
        });
      },
    };
  });
}
