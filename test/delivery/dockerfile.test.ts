// Static checks of Dockerfile.cpu / Dockerfile.gpu with a real Dockerfile parser (dockerfile-ast):
// the hadolint-style rules that matter for this service, plus .dockerignore.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DockerfileParser, type Instruction, type Dockerfile } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './k8s-render.js';

interface Stage {
  name: string | null;
  image: string;
  instructions: Instruction[];
}

function stages(df: Dockerfile): Stage[] {
  const out: Stage[] = [];
  for (const ins of df.getInstructions()) {
    if (ins.getKeyword() === 'FROM') {
      const from = df.getFROMs().find((f) => f.getRange().start.line === ins.getRange().start.line);
      out.push({ name: from?.getBuildStage() ?? null, image: from?.getImage() ?? '', instructions: [] });
    } else {
      out.at(-1)?.instructions.push(ins);
    }
  }
  return out;
}

const flagNames = (ins: Instruction) => ('getFlags' in ins ? (ins as unknown as { getFlags(): { getName(): string }[] }).getFlags().map((f) => f.getName()) : []);
const args = (ins: Instruction) => ins.getArgumentsContent() ?? '';
const SECRET_NAME = /(TOKEN|SECRET|PASSW(OR)?D|API_?KEYS?|PRIVATE_?KEY|CREDENTIAL)/i;

describe.each(['Dockerfile.cpu', 'Dockerfile.gpu'])('%s', (file) => {
  const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
  const df = DockerfileParser.parse(text);
  const all = stages(df);
  const stageNames = new Set(all.map((s) => s.name).filter((n): n is string => n !== null));
  const final = all.at(-1);

  it('is multi-stage and ends in a runtime stage', () => {
    expect(all.length).toBeGreaterThanOrEqual(3);
    expect(final?.name).toBe('runtime');
  });

  it('pins every base image by exact version tag (optionally a digest), never latest', () => {
    for (const from of df.getFROMs()) {
      const image = from.getImageName() ?? '';
      if (stageNames.has(image)) continue; // FROM <earlier stage>
      const tag = from.getImageTag();
      const digest = from.getImageDigest();
      expect(tag ?? digest, `${from.getImage()} has no tag or digest`).toBeTruthy();
      expect(tag).not.toBe('latest');
      // An exact version: at least major.minor.patch, not a floating "20" or "lts".
      expect(tag ?? '', from.getImage() ?? '').toMatch(/^\d+\.\d+\.\d+/);
      if (digest) expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    }
  });

  it('installs from the lockfile with npm ci and keeps only production dependencies', () => {
    const runs = all.flatMap((s) => s.instructions.filter((i) => i.getKeyword() === 'RUN').map(args));
    expect(runs.some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm install\b/.test(r))).toBe(false);
    expect(runs.some((r) => /npm (prune|ci)[^&;]*--omit=dev/.test(r))).toBe(true);
    const copies = all.flatMap((s) => s.instructions.filter((i) => i.getKeyword() === 'COPY').map(args));
    expect(copies.some((c) => c.includes('package-lock.json'))).toBe(true);
  });

  it('cleans apt lists and skips recommended packages in every apt-get install', () => {
    for (const s of all) {
      for (const ins of s.instructions.filter((i) => i.getKeyword() === 'RUN')) {
        const cmd = args(ins);
        if (!/apt-get\s+install/.test(cmd)) continue;
        expect(cmd, `stage ${s.name}`).toMatch(/apt-get\s+install\s+-y\s+--no-install-recommends|apt-get\s+install\s+--no-install-recommends\s+-y/);
        expect(cmd, `stage ${s.name}`).toContain('rm -rf /var/lib/apt/lists/*');
        expect(cmd).toMatch(/apt-get update\s*\\?\s*&&/);
        expect(cmd).not.toMatch(/apt-get\s+(upgrade|dist-upgrade)/);
      }
    }
  });

  it('runs as a numeric non-root USER in the final stage', () => {
    const users = final?.instructions.filter((i) => i.getKeyword() === 'USER').map(args) ?? [];
    expect(users.length).toBeGreaterThan(0);
    const last = users.at(-1) ?? '';
    const uid = last.split(':')[0] ?? '';
    expect(uid).toMatch(/^\d+$/); // numeric, so runAsNonRoot can verify it
    expect(Number(uid)).toBeGreaterThan(0);
  });

  it('uses exec-form ENTRYPOINT/CMD that run node under an init', () => {
    for (const kw of ['ENTRYPOINT', 'CMD']) {
      const ins = final?.instructions.filter((i) => i.getKeyword() === kw) ?? [];
      expect(ins, kw).toHaveLength(1);
      const json = args(ins[0] as Instruction);
      expect(json, kw).toMatch(/^\[.*\]$/s);
      expect(() => JSON.parse(json) as unknown).not.toThrow();
    }
    const entry = JSON.parse(args(final?.instructions.find((i) => i.getKeyword() === 'ENTRYPOINT') as Instruction)) as string[];
    expect(entry[0]).toMatch(/tini$/);
    expect(entry).toContain('node');
    expect(entry).toContain('dist/src/cli.js');
    const cmd = JSON.parse(args(final?.instructions.find((i) => i.getKeyword() === 'CMD') as Instruction)) as string[];
    expect(cmd).toEqual(['serve']);
  });

  it('has a HEALTHCHECK that asks /health/ready with node (no curl in the image)', () => {
    const hcs = df.getHEALTHCHECKs();
    expect(hcs).toHaveLength(1);
    const hc = args(hcs[0] as Instruction);
    expect(hc).toMatch(/CMD\s+\["node",\s*"-e"/);
    expect(hc).toContain('/health/ready');
    expect(hc).not.toContain('curl');
  });

  it('keeps secrets out of ENV and ARG', () => {
    for (const ins of df.getInstructions().filter((i) => ['ENV', 'ARG'].includes(i.getKeyword()))) {
      const props = (ins as unknown as { getProperties(): { getName(): string }[] }).getProperties();
      for (const p of props) expect(p.getName(), `${ins.getKeyword()} ${p.getName()}`).not.toMatch(SECRET_NAME);
    }
  });

  it('sets ownership explicitly on every COPY into the final stage', () => {
    const copies = final?.instructions.filter((i) => i.getKeyword() === 'COPY') ?? [];
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies) expect(flagNames(c), args(c)).toContain('chown');
    expect(final?.instructions.some((i) => i.getKeyword() === 'ADD')).toBe(false);
  });

  it('ships the embedded model and a writable model-cache volume, exposes 8000 and 9464', () => {
    const copies = final?.instructions.filter((i) => i.getKeyword() === 'COPY').map(args) ?? [];
    expect(copies.some((c) => c.includes('native-models/gliner-tiny'))).toBe(true);
    const env = final?.instructions.filter((i) => i.getKeyword() === 'ENV').map(args).join(' ') ?? '';
    expect(env).toMatch(/MODEL_CACHE_DIR=\/var\/cache\/gliner\/models/);
    const volumes = final?.instructions.filter((i) => i.getKeyword() === 'VOLUME').map(args).join(' ') ?? '';
    expect(volumes).toContain('/var/cache/gliner/models');
    const exposed = final?.instructions.filter((i) => i.getKeyword() === 'EXPOSE').map(args).join(' ') ?? '';
    expect(exposed.split(/\s+/)).toEqual(expect.arrayContaining(['8000', '9464']));
  });

  it('keeps the mapped copy of the weights on the writable model-cache volume, whatever MODEL_CACHE_DIR says (a baked model\'s directory is read-only)', () => {
    const env = final?.instructions.filter((i) => i.getKeyword() === 'ENV').map(args).join(' ') ?? '';
    const mapped = /MAPPED_WEIGHTS_DIR=(\S+)/.exec(env)?.[1];
    const volumes = final?.instructions.filter((i) => i.getKeyword() === 'VOLUME').map(args).join(' ') ?? '';
    const volume = /"([^"]+)"/.exec(volumes)?.[1];
    expect(volume).toBeDefined();
    expect(mapped?.startsWith(`${volume}/`), `MAPPED_WEIGHTS_DIR=${mapped} under VOLUME ${volume}`).toBe(true);
    // The baked models are copied in read-only for the service user.
    expect(final?.instructions.filter((i) => i.getKeyword() === 'COPY').map(args).some((c) => c.includes('/opt/gliner/baked-models'))).toBe(true);
  });

  it('gives freed memory back (CPU: jemalloc preloaded; GPU: glibc\'s mmap threshold fixed), so CPU_MEM_ARENA=auto turns the arena off', async () => {
    const env = final?.instructions.filter((i) => i.getKeyword() === 'ENV').map(args).join(' ') ?? '';
    const run = final?.instructions.filter((i) => i.getKeyword() === 'RUN').map(args).join(' ') ?? '';
    const { resolveArena, thisMachine } = await import('../../src/startup/settings.js');
    if (file === 'Dockerfile.cpu') {
      const preload = /LD_PRELOAD=(\S+)/.exec(env)?.[1];
      expect(preload).toBe('/usr/local/lib/libjemalloc.so.2');
      expect(text).toMatch(/^ARG JEMALLOC_VERSION=\d+\.\d+\.\d+-\d+$/m);
      expect(run).toContain('"libjemalloc2=${JEMALLOC_VERSION}"');
      expect(run).toContain(`ln -s "$(dpkg -L libjemalloc2 | grep '/libjemalloc\\.so\\.2$')" ${preload}`);
      // Without its background thread jemalloc purges only when the process allocates again: an idle server would keep it all.
      expect(env).toMatch(/MALLOC_CONF=background_thread:true(\s|$)/);
      expect(env).not.toMatch(/MALLOC_MMAP_THRESHOLD_/);
      expect(resolveArena({ cpuMemArena: 'auto' }, thisMachine({}, true))).toBe(false);
    } else {
      const value = /MALLOC_MMAP_THRESHOLD_=(\d+)/.exec(env)?.[1];
      expect(Number(value)).toBe(8 * 2 ** 20);
      expect(resolveArena({ cpuMemArena: 'auto' }, thisMachine({ MALLOC_MMAP_THRESHOLD_: value }, false))).toBe(false);
    }
  });
});

describe('Dockerfile.gpu specifics', () => {
  const df = DockerfileParser.parse(readFileSync(path.join(REPO_ROOT, 'Dockerfile.gpu'), 'utf8'));
  const all = stages(df);
  it('bases the runtime on a pinned CUDA 12 + cuDNN runtime image', () => {
    expect(all.at(-1)?.image).toMatch(/^nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-ubuntu\d+\.\d+/);
  });
  it('installs onnxruntime-node with the CUDA 12 libraries and selects the CUDA provider', () => {
    const envs = df.getInstructions().filter((i) => i.getKeyword() === 'ENV').map(args).join(' ');
    expect(envs).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
    // .npmrc turns dependency install scripts off, so the image must run onnxruntime-node's itself.
    const runs = df.getInstructions().filter((i) => i.getKeyword() === 'RUN').map(args);
    expect(runs.some((r) => /npm ci\b[\s\S]*&& node node_modules\/onnxruntime-node\/script\/install\.js/.test(r))).toBe(true);
    const finalEnv = all.at(-1)?.instructions.filter((i) => i.getKeyword() === 'ENV').map(args).join(' ') ?? '';
    expect(finalEnv).toContain('EXECUTION_PROVIDER=cuda');
    expect(finalEnv).toContain('CUDA_FALLBACK=fail');
  });
});

describe('.dockerignore', () => {
  const lines = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  it('keeps host builds, VCS data and secrets out of the context', () => {
    for (const p of ['node_modules', 'dist', '.git', '.env', '.cache']) expect(lines).toContain(p);
  });
  it('keeps the embedded model in and the rest of native-models out', () => {
    expect(lines).toContain('native-models/*');
    expect(lines).toContain('!native-models/gliner-tiny');
    expect(lines.indexOf('!native-models/gliner-tiny')).toBeGreaterThan(lines.indexOf('native-models/*'));
    for (const needed of ['src', 'bench', 'package.json', 'package-lock.json', '.npmrc', 'tsconfig.json', 'tsconfig.build.json']) {
      expect(lines, needed).not.toContain(needed);
    }
  });
});
