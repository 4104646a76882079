// Helpers for the delivery tests: render kustomize overlays with `kubectl kustomize` and find the
// kubernetes-models class that validates each rendered object.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ToolNeed } from '../support/tools.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const K8S_DIR = path.join(REPO_ROOT, 'deploy/k8s');
export const OVERLAYS = ['dev', 'staging', 'prod', 'aws', 'gcp', 'azure'] as const;
export type Overlay = (typeof OVERLAYS)[number];

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [key: string]: unknown;
}

export function hasCommand(cmd: string, args: string[] = ['--help']): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export const HAS_KUBECTL = hasCommand('kubectl', ['version', '--client']);
/** What the suites that render manifests need, for the one skip policy (test/support/tools.ts). */
export const NEEDS_KUBECTL: ToolNeed[] = [{ tool: 'kubectl', present: HAS_KUBECTL, install: 'install kubectl (https://kubernetes.io/docs/tasks/tools/)' }];

export function render(dir: string): K8sObject[] {
  const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024, timeout: 30_000 });
  return parseAllDocuments(out)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`YAML error in ${dir}: ${doc.errors.map((e) => e.message).join('; ')}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: unknown) => Validatable;

/**
 * Module specifier of the class for apiVersion/kind. Built-in kinds come from kubernetes-models;
 * CRDs from the @kubernetes-models third-party packages.
 * `validatedAs` is set when an object is checked against a different version's schema.
 */
function modelSpecifier(apiVersion: string, kind: string): { spec: string; validatedAs?: string } | null {
  const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
  const builtin = new Set(['', 'apps', 'autoscaling', 'batch', 'policy', 'networking.k8s.io', 'storage.k8s.io', 'rbac.authorization.k8s.io', 'scheduling.k8s.io']);
  if (builtin.has(group)) return { spec: `kubernetes-models/${group === '' ? '' : `${group}/`}${version}/${kind}` };
  switch (group) {
    case 'monitoring.coreos.com':
      return { spec: `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}` };
    case 'keda.sh':
      return { spec: `@kubernetes-models/keda/${group}/${version}/${kind}` };
    case 'networking.gke.io':
    case 'cloud.google.com':
      return { spec: `@kubernetes-models/gke/${group}/${version}/${kind}` };
    case 'external-secrets.io':
      // @kubernetes-models/external-secrets for Node 20 (0.5.x) ships v1beta1 only; v1 (ESO >= 0.16)
      // kept the v1beta1 spec unchanged for the fields used here, so v1 objects are checked
      // against the v1beta1 schema.
      return version === 'v1'
        ? { spec: `@kubernetes-models/external-secrets/${group}/v1beta1/${kind}`, validatedAs: `${group}/v1beta1` }
        : { spec: `@kubernetes-models/external-secrets/${group}/${version}/${kind}` };
    default:
      return null;
  }
}

export interface Validation {
  object: K8sObject;
  schema: string;
  error?: string;
}

export async function validate(object: K8sObject): Promise<Validation> {
  const found = modelSpecifier(object.apiVersion, object.kind);
  const id = `${object.apiVersion}/${object.kind}`;
  if (!found) return { object, schema: 'none', error: `no schema known for ${id}` };
  let mod: Record<string, unknown>;
  try {
    mod = (await import(found.spec)) as Record<string, unknown>;
  } catch (err) {
    return { object, schema: found.spec, error: `cannot load ${found.spec}: ${String(err)}` };
  }
  const Model = mod[object.kind] as ModelClass | undefined;
  if (typeof Model !== 'function') return { object, schema: found.spec, error: `${found.spec} has no ${object.kind}` };
  const data = found.validatedAs ? { ...object, apiVersion: found.validatedAs } : object;
  try {
    new Model(data).validate();
    return { object, schema: found.spec };
  } catch (err) {
    return { object, schema: found.spec, error: err instanceof Error ? err.message : String(err) };
  }
}
