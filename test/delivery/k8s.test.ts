// Kubernetes delivery: every kustomize overlay renders, every object validates against the
// Kubernetes (and CRD) schemas of kubernetes-models, and the rendered workloads follow the
// serving policy (non-root, read-only root fs, limits, probes on the server's health routes,
// drain-aware termination grace, metrics off the public Service, GPU settings on the clouds).
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config/schema.js';
import { skipNote, skipWithout } from '../support/tools.js';
import { K8S_DIR, NEEDS_KUBECTL, OVERLAYS, render, validate, type K8sObject, type Overlay } from './k8s-render.js';


const HEALTH_PATHS = new Set(['/health/live', '/health/ready']);
const PORTS: Record<string, number> = { http: 8000, admin: 9464 };
const KNOWN_ENV = new Set<string>([...Object.values(SETTINGS).map((s) => s.env), 'NODE_ENV']);

interface Probe {
  httpGet?: { path?: string; port?: number | string; scheme?: string };
}
interface Container {
  name: string;
  image?: string;
  env?: { name: string; value?: string }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[] }; seccompProfile?: { type?: string } };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command?: string[] }; sleep?: { seconds?: number } } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  securityContext?: Record<string, unknown> & { seccompProfile?: { type?: string } };
  terminationGracePeriodSeconds?: number;
  topologySpreadConstraints?: unknown[];
  nodeSelector?: Record<string, string>;
  tolerations?: { key?: string }[];
  volumes?: { name: string; secret?: { secretName: string }; ephemeral?: { volumeClaimTemplate: { spec: { storageClassName?: string } } } }[];
}

const rendered = new Map<Overlay | 'base', K8sObject[]>();

const of = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);
const podSpec = (d: K8sObject) => (d.spec as { template: { spec: PodSpec } }).template.spec;
const configData = (objs: K8sObject[]) => {
  const cms = of(objs, 'ConfigMap').filter((c) => c.metadata.name.startsWith('gliner-config'));
  expect(cms).toHaveLength(1);
  return cms[0]?.data ?? {};
};

describe.skipIf(skipWithout('kustomize overlays', NEEDS_KUBECTL))(`kustomize overlays${skipNote(NEEDS_KUBECTL)}`, () => {
  beforeAll(() => {
    rendered.set('base', render(path.join(K8S_DIR, 'base')));
    for (const o of OVERLAYS) rendered.set(o, render(path.join(K8S_DIR, 'overlays', o)));
  });

  const all = ['base', ...OVERLAYS] as const;

  it.each(all)('%s renders the full set of objects', (name) => {
    const objs = rendered.get(name) ?? [];
    const kinds = new Set(objs.map((o) => o.kind));
    for (const k of ['Namespace', 'Deployment', 'Service', 'ConfigMap', 'PodDisruptionBudget', 'NetworkPolicy', 'ServiceMonitor', 'ServiceAccount']) {
      expect(kinds, `${name} lacks ${k}`).toContain(k);
    }
    expect(kinds.has('HorizontalPodAutoscaler') || kinds.has('ScaledObject'), `${name} has no autoscaler`).toBe(true);
    const namespaced = objs.filter((o) => !['Namespace', 'ClusterSecretStore', 'StorageClass'].includes(o.kind));
    const ns = of(objs, 'Namespace')[0]?.metadata.name;
    for (const o of namespaced) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(ns);
  });

  it.each(all)('%s: every object validates against its schema', async (name) => {
    const results = await Promise.all((rendered.get(name) ?? []).map((o) => validate(o)));
    const failures = results.filter((r) => r.error).map((r) => `${r.object.kind}/${r.object.metadata.name} (${r.schema}): ${r.error}`);
    expect(failures).toEqual([]);
  });

  it.each(all)('%s: containers are non-root, read-only, limited, probed on the health routes', (name) => {
    const deployments = of(rendered.get(name) ?? [], 'Deployment');
    expect(deployments.map((d) => d.metadata.labels?.color).sort()).toEqual(['blue', 'green']);
    for (const d of deployments) {
      const pod = podSpec(d);
      const where = `${name} ${d.metadata.name}`;
      expect(pod.securityContext?.runAsNonRoot, where).toBe(true);
      expect(pod.securityContext?.runAsUser, where).toBeGreaterThan(0);
      expect(pod.securityContext?.seccompProfile?.type, where).toBe('RuntimeDefault');
      expect(pod.topologySpreadConstraints?.length ?? 0, where).toBeGreaterThan(0);
      for (const c of pod.containers) {
        const sc = c.securityContext ?? {};
        expect(sc.readOnlyRootFilesystem, where).toBe(true);
        expect(sc.allowPrivilegeEscalation, where).toBe(false);
        expect(sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, where).toBe(true);
        expect(sc.capabilities?.drop, where).toContain('ALL');
        for (const r of ['cpu', 'memory']) {
          expect(c.resources?.requests?.[r], `${where} requests.${r}`).toBeDefined();
          expect(c.resources?.limits?.[r], `${where} limits.${r}`).toBeDefined();
        }
        // Image: a tag (or digest), never latest.
        const image = c.image ?? '';
        expect(image, where).toMatch(/^[^\s]+(:[\w][\w.-]{0,127})(@sha256:[a-f0-9]{64})?$|^[^\s]+@sha256:[a-f0-9]{64}$/);
        expect(image, where).not.toMatch(/:latest(@|$)/);
        // Probes: all three, HTTP GET on a health route, on the public or admin port.
        const containerPorts = new Map((c.ports ?? []).map((p) => [p.name ?? '', p.containerPort]));
        for (const [pname, value] of containerPorts) if (pname in PORTS) expect(value, `${where} port ${pname}`).toBe(PORTS[pname]);
        for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
          const probe = c[kind]?.httpGet;
          expect(probe, `${where} ${kind}`).toBeDefined();
          expect(HEALTH_PATHS.has(probe?.path ?? ''), `${where} ${kind} path ${probe?.path}`).toBe(true);
          const port = probe?.port;
          const resolved = typeof port === 'string' ? containerPorts.get(port) : port;
          expect([8000, 9464], `${where} ${kind} port ${port}`).toContain(resolved);
        }
        expect(c.readinessProbe?.httpGet?.path).toBe('/health/ready');
        expect(c.livenessProbe?.httpGet?.path).toBe('/health/live');
        // /tmp and the model cache are writable volumes (root fs is read-only).
        const mounts = (c.volumeMounts ?? []).map((m) => m.mountPath);
        expect(mounts, where).toContain('/tmp');
        expect(mounts, where).toContain(configData(rendered.get(name) ?? []).MODEL_CACHE_DIR);
      }
    }
  });

  it.each(all)('%s: termination grace outlasts preStop + SHUTDOWN_GRACE_MS', (name) => {
    const objs = rendered.get(name) ?? [];
    const graceMs = Number(configData(objs).SHUTDOWN_GRACE_MS ?? SETTINGS.shutdownGraceMs.schema.default);
    for (const d of of(objs, 'Deployment')) {
      const pod = podSpec(d);
      const preStop = pod.containers[0]?.lifecycle?.preStop;
      expect(preStop, `${d.metadata.name} preStop`).toBeDefined();
      const cmd = preStop?.exec?.command ?? [];
      const sleepS = preStop?.sleep?.seconds ?? (cmd[0] === 'sleep' ? Number(cmd[1]) : 0);
      expect(pod.terminationGracePeriodSeconds ?? 30, d.metadata.name).toBeGreaterThan(sleepS + graceMs / 1000);
    }
  });

  it.each(all)('%s: configuration names are settings the server knows', (name) => {
    const objs = rendered.get(name) ?? [];
    const unknown = Object.keys(configData(objs)).filter((k) => !KNOWN_ENV.has(k));
    for (const d of of(objs, 'Deployment')) {
      for (const c of podSpec(d).containers) for (const e of c.env ?? []) if (!KNOWN_ENV.has(e.name)) unknown.push(e.name);
    }
    expect(unknown).toEqual([]);
  });

  it.each(all)('%s: public Service is the API port only; metrics on their own Service', (name) => {
    const objs = rendered.get(name) ?? [];
    const services = of(objs, 'Service') as (K8sObject & { spec: { selector: Record<string, string>; ports: { port: number; targetPort: number | string }[] } })[];
    const publicSvc = services.filter((s) => s.spec.selector.color !== undefined);
    expect(publicSvc).toHaveLength(1);
    expect(['blue', 'green']).toContain(publicSvc[0]?.spec.selector.color);
    for (const p of publicSvc[0]?.spec.ports ?? []) {
      expect([8000, 'http']).toContain(p.targetPort);
      expect(p.port).not.toBe(9464);
    }
    const metrics = services.filter((s) => s.spec.selector.color === undefined);
    expect(metrics.flatMap((s) => s.spec.ports.map((p) => p.targetPort))).toEqual(['admin']);
    const monitors = of(objs, 'ServiceMonitor') as (K8sObject & { spec: { endpoints: { port: string; path: string }[] } })[];
    expect(monitors.flatMap((m) => m.spec.endpoints.map((e) => `${e.port}${e.path}`))).toEqual(['admin/metrics']);
    // Every Ingress backend is the public Service.
    for (const ing of of(objs, 'Ingress') as (K8sObject & { spec: { rules: { http: { paths: { backend: { service: { name: string } } }[] } }[] } })[]) {
      for (const r of ing.spec.rules) for (const p of r.http.paths) expect(p.backend.service.name).toBe(publicSvc[0]?.metadata.name);
    }
  });

  it.each(all)('%s: NetworkPolicy admits 9464 only from monitoring', (name) => {
    const [np] = of(rendered.get(name) ?? [], 'NetworkPolicy') as (K8sObject & {
      spec: { ingress: { from: { namespaceSelector?: { matchLabels?: Record<string, string> }; ipBlock?: { cidr: string } }[]; ports: { port: number }[] }[] };
    })[];
    expect(np).toBeDefined();
    const rules = np?.spec.ingress ?? [];
    const admin = rules.filter((r) => r.ports.some((p) => p.port === 9464));
    expect(admin).toHaveLength(1);
    expect(admin[0]?.ports.map((p) => p.port)).toEqual([9464]);
    expect(admin[0]?.from.map((f) => f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'])).toEqual(['monitoring']);
    const api = rules.filter((r) => r.ports.some((p) => p.port === 8000));
    expect(api).toHaveLength(1);
    expect(api[0]?.from.length).toBeGreaterThan(0);
  });

  it.each(all)('%s: autoscaling on CPU and the per-pod queue depth, per colour', (name) => {
    const objs = rendered.get(name) ?? [];
    const hpas = of(objs, 'HorizontalPodAutoscaler') as (K8sObject & {
      spec: { scaleTargetRef: { name: string }; metrics: { type: string; resource?: { name: string }; pods?: { metric: { name: string } } }[] };
    })[];
    const scaled = of(objs, 'ScaledObject') as (K8sObject & { spec: { scaleTargetRef: { name: string }; triggers: { type: string; metadata: Record<string, string> }[] } })[];
    const deployments = of(objs, 'Deployment').map((d) => d.metadata.name).sort();
    if (scaled.length > 0) {
      expect(hpas).toEqual([]);
      expect(scaled.map((s) => s.spec.scaleTargetRef.name).sort()).toEqual(deployments);
      for (const s of scaled) {
        expect(s.spec.triggers.map((t) => t.type).sort()).toEqual(['cpu', 'prometheus']);
        expect(s.spec.triggers.find((t) => t.type === 'prometheus')?.metadata.query).toContain('gliner_queue_depth_rows');
      }
    } else {
      expect(hpas.map((h) => h.spec.scaleTargetRef.name).sort()).toEqual(deployments);
      for (const h of hpas) {
        expect(h.spec.metrics.some((m) => m.type === 'Resource' && m.resource?.name === 'cpu')).toBe(true);
        expect(h.spec.metrics.some((m) => m.type === 'Pods' && m.pods?.metric.name === 'gliner_queue_depth_rows')).toBe(true);
      }
    }
    const pdbTargets = of(objs, 'PodDisruptionBudget').map((p) => (p.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels.color);
    expect(pdbTargets.sort()).toEqual(['blue', 'green']);
  });

  it.each(['staging', 'prod', 'aws', 'gcp', 'azure'] as const)('%s: production mode with API keys mounted from an ExternalSecret', (name) => {
    const objs = rendered.get(name) ?? [];
    expect(configData(objs).PRODUCTION).toBe('true');
    const secrets = of(objs, 'ExternalSecret').map((e) => (e.spec as { target: { name: string } }).target.name);
    expect(secrets).toContain('gliner-api-keys');
    for (const d of of(objs, 'Deployment')) {
      const pod = podSpec(d);
      const c = pod.containers[0];
      const file = c?.env?.find((e) => e.name === 'API_KEYS_FILE')?.value ?? '';
      const volume = pod.volumes?.find((v) => v.secret?.secretName === 'gliner-api-keys');
      expect(volume, d.metadata.name).toBeDefined();
      const mount = c?.volumeMounts?.find((m) => m.name === volume?.name);
      expect(file.startsWith(`${mount?.mountPath}/`), `${file} under ${mount?.mountPath}`).toBe(true);
    }
  });

  it('every nginx Ingress talks HTTP/1.1 to the pods (uWebSockets.js never answers HTTP/1.0)', () => {
    let nginx = 0;
    for (const [name, objs] of rendered) {
      for (const ingress of of(objs, 'Ingress') as (K8sObject & { spec: { ingressClassName?: string } })[]) {
        if ((ingress.spec.ingressClassName ?? ingress.metadata.annotations?.['kubernetes.io/ingress.class']) !== 'nginx') continue;
        nginx++;
        expect(ingress.metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-http-version'], `${name}/${ingress.metadata.name}`).toBe('1.1');
      }
    }
    expect(nginx).toBeGreaterThan(0);
  });

  it('dev runs without production mode and with a generated dev key', () => {
    const objs = rendered.get('dev') ?? [];
    expect(configData(objs).PRODUCTION).toBe('false');
    for (const d of of(objs, 'Deployment')) {
      const env = podSpec(d).containers[0]?.env?.map((e) => e.name) ?? [];
      expect(env).toContain('API_KEYS');
      expect(env).not.toContain('API_KEYS_FILE');
    }
  });

  const clouds = {
    aws: { storageClass: 'gliner-gp3', nodeKey: 'node.kubernetes.io/instance-type', ingressClass: 'alb', tls: 'alb.ingress.kubernetes.io/certificate-arn' },
    gcp: { storageClass: 'premium-rwo', nodeKey: 'cloud.google.com/gke-accelerator', ingressClass: 'gce', tls: 'networking.gke.io/managed-certificates' },
    azure: { storageClass: 'managed-csi', nodeKey: 'kubernetes.azure.com/accelerator', ingressClass: 'azure-application-gateway', tls: 'appgw.ingress.kubernetes.io/appgw-ssl-certificate' },
  } as const;

  it.each(Object.keys(clouds) as (keyof typeof clouds)[])('%s: GPU image and nodes, storage class, ingress with TLS', (name) => {
    const want = clouds[name];
    const objs = rendered.get(name) ?? [];
    const cfg = configData(objs);
    expect(cfg.EXECUTION_PROVIDER).toBe('cuda');
    expect(cfg.CUDA_FALLBACK).toBe('fail');
    expect(cfg.MODEL).toBe('onnx-community/gliner_medium-v2.1');
    for (const d of of(objs, 'Deployment')) {
      const pod = podSpec(d);
      const c = pod.containers[0];
      expect(c?.image).toMatch(/cuda12$/);
      expect(c?.resources?.limits?.['nvidia.com/gpu']).toBe('1');
      expect(Object.keys(pod.nodeSelector ?? {})).toContain(want.nodeKey);
      expect(pod.tolerations?.length ?? 0).toBeGreaterThan(0);
      const cache = pod.volumes?.find((v) => v.name === 'model-cache');
      expect(cache?.ephemeral?.volumeClaimTemplate.spec.storageClassName).toBe(want.storageClass);
    }
    const [ingress] = of(objs, 'Ingress') as (K8sObject & { spec: { ingressClassName?: string } })[];
    const cls = ingress?.spec.ingressClassName ?? ingress?.metadata.annotations?.['kubernetes.io/ingress.class'];
    expect(cls).toBe(want.ingressClass);
    expect(ingress?.metadata.annotations?.[want.tls]).toBeTruthy();
  });
});
