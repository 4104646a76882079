// The KServe component (deploy/k8s/components/kserve, rendered through overlays/kserve): it renders,
// its ServingRuntime and InferenceService validate against KServe's own CRD schemas (committed in
// test/fixtures/kserve with their source), and they describe this server: our image, the Open
// Inference Protocol (v2) with probes on its health routes, one port as Knative allows, metrics on
// the admin port, the model served under the InferenceService's name, production mode with keys.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config/schema.js';
import { crdValidators, type CrdValidator } from './crd-schema.js';
import { skipNote, skipWithout } from '../support/tools.js';
import { K8S_DIR, NEEDS_KUBECTL, REPO_ROOT, render, validate, type K8sObject } from './k8s-render.js';

const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/kserve');
const KNOWN_ENV = new Set(Object.values(SETTINGS).map((s) => s.env));

interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string }[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: { httpGet?: { path: string; port: number } };
  livenessProbe?: { httpGet?: { path: string; port: number } };
  startupProbe?: { httpGet?: { path: string; port: number } };
  securityContext?: { runAsNonRoot?: boolean; readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
}

let objects: K8sObject[] = [];
let validators: CrdValidator[] = [];
const one = (kind: string): K8sObject => {
  const found = objects.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as K8sObject;
};

describe.skipIf(skipWithout('KServe component', NEEDS_KUBECTL))(`KServe component${skipNote(NEEDS_KUBECTL)}`, () => {
  beforeAll(() => {
    objects = render(path.join(K8S_DIR, 'overlays/kserve'));
    validators = [
      ...crdValidators(path.join(FIXTURES, 'serving.kserve.io_servingruntimes.yaml.gz')),
      ...crdValidators(path.join(FIXTURES, 'serving.kserve.io_inferenceservices.yaml.gz')),
    ];
  });

  it('renders a Namespace, a ServingRuntime and an InferenceService, all in the namespace', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(['InferenceService', 'Namespace', 'ServingRuntime']);
    for (const o of objects.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace).toBe(one('Namespace').metadata.name);
  });

  it('every object validates: KServe kinds against KServe\'s CRD schemas (undeclared fields are errors), the rest against Kubernetes\'', async () => {
    for (const object of objects) {
      const crd = validators.find((v) => v.apiVersion === object.apiVersion && v.kind === object.kind);
      const problems = crd === undefined ? [(await validate(object)).error].filter((e) => e !== undefined) : crd.validate(object);
      expect(problems, `${object.kind}/${object.metadata.name}`).toEqual([]);
    }
  });

  it('the CRD check catches a misspelt field (it can fail)', () => {
    const isvc = one('InferenceService');
    const spec = isvc.spec as { predictor: { model: Record<string, unknown> } };
    const typo = { ...isvc, spec: { ...spec, predictor: { ...spec.predictor, model: { ...spec.predictor.model, protocolversion: 'v2' } } } };
    expect(validators.find((v) => v.kind === 'InferenceService')?.validate(typo).join()).toMatch(/protocolversion/);
  });

  it('the runtime runs our image on the Open Inference Protocol, probed on its /v2 health routes', () => {
    const spec = one('ServingRuntime').spec as { protocolVersions: string[]; supportedModelFormats: { name: string }[]; containers: Container[]; annotations?: Record<string, string> };
    expect(spec.protocolVersions).toEqual(['v2']);
    const [container] = spec.containers;
    expect(container?.image).toMatch(/^ghcr\.io\/example-org\/gliner-serve:/);
    expect(container?.args).toEqual(['serve']);
    const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));
    for (const name of Object.keys(env)) expect(KNOWN_ENV, `${name} is not a setting`).toContain(name);
    const port = Number(env.PORT);
    expect(container?.ports).toEqual([expect.objectContaining({ containerPort: port })]);
    expect(container?.readinessProbe?.httpGet).toEqual({ path: '/v2/health/ready', port });
    expect(container?.startupProbe?.httpGet).toEqual({ path: '/v2/health/ready', port });
    expect(container?.livenessProbe?.httpGet).toEqual({ path: '/v2/health/live', port });
    expect(spec.annotations?.['prometheus.kserve.io/port']).toBe(env.ADMIN_PORT);
    expect(env.PRODUCTION).toBe('true');
    expect(env.API_KEYS_FILE).toMatch(/^\/etc\/gliner\/api-keys\//);
    expect(container?.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false }));
  });

  it('the InferenceService uses the runtime, protocol v2, and is named as the server names its model', () => {
    const isvc = one('InferenceService');
    const runtime = one('ServingRuntime');
    const model = (isvc.spec as { predictor: { model: { runtime: string; protocolVersion: string; modelFormat: { name: string } } } }).predictor.model;
    expect(model.runtime).toBe(runtime.metadata.name);
    expect(model.protocolVersion).toBe('v2');
    const formats = (runtime.spec as { supportedModelFormats: { name: string }[] }).supportedModelFormats.map((f) => f.name);
    expect(formats).toContain(model.modelFormat.name);
    const env = (runtime.spec as { containers: Container[] }).containers[0]?.env ?? [];
    expect(env.find((e) => e.name === 'OIP_MODEL_NAME')?.value).toBe(isvc.metadata.name);
  });
});
