// Memory layouts: how much memory do the pool's sessions take, and what does sharing the weights
// cost in speed? Each variant is a separate process holding the server's session layout (WORKERS
// shared sessions plus the solo session, resolved as the pool does), so its memory is its own. The
// tool reads each process's RSS and PSS (bench/memory.ts) after loading, after warm-up, during and
// after load, and after long rows; and times, in interleaved slices (the order rotating each
// round): the shared sessions under load (closed loop, one row in flight per session: rows/s) and
// a lone row on the solo session (p50 ms), on the short scenario's rows, one row per run. Under
// load it also reports the shared sessions' CPU time per row (their threads' own scheduler count):
// on a host shared with other work that compares settings far more steadily than rows/s.
// From the repository root:
//
//   npx tsx bench/tools/memory-layouts.ts [--model native-models/.cache/bench-size] [--variants heap,mapped,…]
//       [--rounds 3] [--seconds 6] [--cache native-models/.cache/mapped] [--json FILE]
//
// Each mapped variant writes its own copy under --cache/<variant> (about 1.2 GB each for bench-size).
//
// Variants (RunnerSettings, src/model/session.ts and src/model/mapped-weights.ts):
//   heap              today: every session loads model.onnx onto its heap and packs its own MatMul weights
//   heap-noprepack    the same without pre-packing (the kernels read the weights as stored)
//   mapped            the mapped copy with the packed weights in its data file; every session maps it
//   mapped-noprepack  the mapped copy without packed weights, pre-packing off (sessions map the plain weights)
//   mapped-heappack   the mapped copy without packed weights, pre-packing on (each session packs onto its heap)
//   …-noarena         any of these with ONNX Runtime's CPU arena off (CPU_MEM_ARENA=false)
//   …-nopattern       any of these with memory patterns off
//   …-mmapN           the variant's process with glibc's mmap threshold fixed at N KiB (MALLOC_MMAP_THRESHOLD_):
//                     blocks from N KiB up are mapped for each allocation and unmapped when freed
//   …-jemalloc        the variant's process under jemalloc (LD_PRELOAD, as the CPU image runs the server)
// and, instead of the server's sessions (WORKERS 1-thread sessions under load, the solo session for a lone row):
//   …-2x2             two sessions with all the cores each, both under load, a lone row on one of them
//   …-mixed           one 1-thread session and the solo session, both under load, a lone row on the solo one
//   …-mixed-nospin    the same with the solo session's threads never spinning
//   …-1x2             one session with all the cores, for both
// The figures and what was chosen: bench/RESULTS.md, "Memory".
import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MAPPED_MODEL_FILE, mapWeights } from '../../src/model/mapped-weights.js';
import { readModelDir } from '../../src/model/files.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { resolveThreads, soloRunner } from '../../src/startup/settings.js';
import type { ModelRow } from '../../src/worker/messages.js';
import type { RunnerSettings } from '../../src/worker/onnx-runner.js';
import { defaultDatasetsDir, loadCorpus } from '../corpus.js';
import { JEMALLOC, mb, processMemory, type ProcessMemory } from '../memory.js';
import { RawWorker, scenarioRows } from '../raw.js';
import { makeScenario } from '../scenarios.js';

/** The sessions of one process: those that share the load, and the one that runs a lone row (an index into `sessions`). */
interface Layout {
  readonly sessions: readonly RunnerSettings[];
  readonly loaded: readonly number[];
  readonly lone: number;
}

type Command = { readonly cmd: 'load' | 'lone'; readonly seconds: number; readonly start: number } | { readonly cmd: 'long' } | { readonly cmd: 'exit' };
type Reply =
  | { readonly kind: 'ready'; readonly loadMs: number }
  | { readonly kind: 'load'; readonly rowsPerSecond: number; readonly rows: number; readonly cpuMsPerRow: number }
  | { readonly kind: 'lone'; readonly p50: number; readonly rows: number }
  | { readonly kind: 'long'; readonly ms: number }
  | { readonly kind: 'error'; readonly message: string };

const LIMITS = { windowWords: 384, overlapWords: 32, labelsPerRow: 25, promptLabels: true };
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function rowsOf(scenario: 'short' | 'long', requests: number): ModelRow[] {
  const corpus = loadCorpus(defaultDatasetsDir(PACKAGE_ROOT), 1, PACKAGE_ROOT);
  return scenarioRows(makeScenario(scenario, corpus), requests, LIMITS).rows.map(({ words, labels, threshold }) => ({ words, labels, threshold }));
}

// ---- child: one process holding one layout's sessions
async function child(layout: Layout): Promise<void> {
  const send = (reply: Reply): void => void process.send?.(reply);
  const short = rowsOf('short', 600);
  // The longest rows the server ever runs on CPU: full windows (one row per run).
  const long = rowsOf('long', 4).sort((a, b) => b.words.length - a.words.length).slice(0, 4);
  const started = performance.now();
  const sessions = layout.sessions.map((settings) => new RawWorker(settings));
  const shared = layout.loaded.map((i) => sessions[i] as RawWorker);
  await Promise.all(sessions.map((w) => w.ready));
  send({ kind: 'ready', loadMs: performance.now() - started });
  process.on('message', (command: Command) => {
    void (async () => {
      if (command.cmd === 'exit') {
        await Promise.all(sessions.map((w) => w.close()));
        process.exit(0);
      }
      if (command.cmd === 'long') {
        const t0 = performance.now();
        await Promise.all(sessions.map(async (w) => {
          for (const row of long) await w.run([row]);
        }));
        send({ kind: 'long', ms: performance.now() - t0 });
        return;
      }
      let cursor = command.start;
      const next = (): ModelRow[] => [short[cursor++ % short.length] as ModelRow];
      const stopAt = performance.now() + command.seconds * 1000;
      if (command.cmd === 'load') {
        let rows = 0;
        let cpuMs = 0;
        const t0 = performance.now();
        await Promise.all(shared.map(async (w) => {
          while (performance.now() < stopAt) {
            cpuMs += (await w.run(next())).cpuMs;
            rows++;
          }
        }));
        send({ kind: 'load', rowsPerSecond: rows / ((performance.now() - t0) / 1000), rows, cpuMsPerRow: cpuMs / Math.max(1, rows) });
        return;
      }
      const lone = sessions[layout.lone];
      if (lone === undefined) throw new Error('no session');
      const ms: number[] = [];
      while (performance.now() < stopAt) ms.push((await lone.run(next())).ms);
      send({ kind: 'lone', p50: median(ms), rows: ms.length });
    })().catch((error: unknown) => send({ kind: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
  });
}

// ---- parent
const LAYOUT_FLAGS = ['2x2', 'mixed', '1x2', 'nospin'];

function jemalloc(): string {
  if (JEMALLOC === undefined) throw new Error('a -jemalloc variant needs libjemalloc2 (apt-get install -y libjemalloc2)');
  return JEMALLOC;
}

/** The sessions a variant's name asks for; without a layout flag, the server's defaults (WORKERS shared sessions and the solo session). */
function layoutOf(name: string, shared: RunnerSettings, threads: { readonly workers: number; readonly intraOpThreads: number; readonly soloThreads: number }): Layout {
  const flags = name.split('-');
  const cores = threads.workers * threads.intraOpThreads;
  const wide = { ...shared, intraOpThreads: cores };
  // Two sessions with all the cores each (spinning off): the lone row gets both cores, and under load they share them.
  if (flags.includes('2x2')) return { sessions: [wide, wide], loaded: [0, 1], lone: 0 };
  // One narrow session and the solo session, both under load; the lone row on the solo session.
  // With -nospin the wide session's threads never spin (as 2x2's), so under load they yield the core at once.
  const wideSolo = flags.includes('nospin') ? { ...soloRunner(shared, cores), intraOpSpinning: false, forceSpinningStop: false } : soloRunner(shared, cores);
  if (flags.includes('mixed')) return { sessions: [shared, wideSolo], loaded: [0, 1], lone: 1 };
  // One session with all the cores.
  if (flags.includes('1x2')) return { sessions: [wide], loaded: [0], lone: 0 };
  const sessions = Array.from({ length: threads.workers }, () => shared);
  const loaded = sessions.map((_, i) => i);
  return threads.soloThreads > 0 ? { sessions: [...sessions, soloRunner(shared, threads.soloThreads)], loaded, lone: sessions.length } : { sessions, loaded, lone: 0 };
}

class Variant {
  readonly memory: Record<string, ProcessMemory | null> = {};
  readonly load: number[] = [];
  readonly cpu: number[] = [];
  readonly lone: number[] = [];
  loadMs = NaN;
  private waiting: ((reply: Reply) => void) | undefined;

  constructor(
    readonly name: string,
    private readonly process: ChildProcess,
  ) {
    process.on('message', (reply: Reply) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.(reply);
    });
  }

  next(): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.waiting = (reply) => (reply.kind === 'error' ? reject(new Error(`${this.name}: ${reply.message}`)) : resolve(reply));
    });
  }

  async command(command: Command): Promise<Reply> {
    const reply = this.next();
    this.process.send(command);
    return reply;
  }

  snapshot(label: string): void {
    this.memory[label] = this.process.pid === undefined ? null : processMemory(this.process.pid);
  }

  exit(): void {
    this.process.send({ cmd: 'exit' } satisfies Command);
  }
}

async function parent(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'native-models/.cache/bench-size' },
      variants: { type: 'string', default: 'heap,mapped,mapped-noprepack,mapped-heappack' },
      rounds: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '6' },
      cache: { type: 'string', default: 'native-models/.cache/mapped' },
      json: { type: 'string' },
    },
  });
  const threads = resolveThreads({ workers: 0, intraOpThreads: 0, executionProvider: 'cpu', soloSession: 'auto' });
  const base: RunnerSettings = {
    modelDir: values.model, quantization: 'auto', executionProvider: 'cpu', cudaFallback: 'fail', cudaDeviceId: 0,
    intraOpThreads: threads.intraOpThreads, interOpThreads: 1, graphOptimization: 'all', intraOpSpinning: false,
    // As the server warms up on CPU: the largest batch it sends, one row.
    warmupRows: 1,
  };
  const onnxPath = readModelDir(values.model).onnxPath;
  // Each variant maps its own copy: PSS divides a page among every process that maps it, so two
  // variants mapping one file would each report half of it.
  const mappedCopy = async (variant: string, prepacked: boolean): Promise<string> => {
    const t0 = performance.now();
    const file = await mapWeights(onnxPath, path.join(values.cache, variant), { graphOptimization: 'all', prepacked });
    process.stderr.write(`mapped copy (prepacked ${prepacked}): ${file.replace(`/${MAPPED_MODEL_FILE}`, '')} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    return file;
  };
  const settingsOf = async (name: string): Promise<RunnerSettings> => {
    const [kind, ...flags] = name.split('-');
    let settings: RunnerSettings;
    const rest = flags.filter((f) => f !== 'noarena' && f !== 'nopattern' && f !== 'jemalloc' && !LAYOUT_FLAGS.includes(f) && !/^mmap\d+$/.test(f));
    const key = [kind, ...rest].join('-');
    switch (key) {
      case 'heap': settings = base; break;
      case 'heap-noprepack': settings = { ...base, prepacking: false }; break;
      case 'mapped': settings = { ...base, graphOptimization: 'disabled', mapped: { onnxPath: await mappedCopy(name, true) } }; break;
      case 'mapped-noprepack': settings = { ...base, graphOptimization: 'disabled', prepacking: false, mapped: { onnxPath: await mappedCopy(name, false) } }; break;
      case 'mapped-heappack': settings = { ...base, graphOptimization: 'disabled', mapped: { onnxPath: await mappedCopy(name, false) } }; break;
      default: throw new Error(`unknown variant ${name}`);
    }
    if (flags.includes('noarena')) settings = { ...settings, cpuArena: false };
    if (flags.includes('nopattern')) settings = { ...settings, memPattern: false };
    return settings;
  };

  const variants: Variant[] = [];
  for (const name of values.variants.split(',')) {
    const shared = await settingsOf(name);
    const layout = layoutOf(name, shared, threads);
    const mmap = /-mmap(\d+)(?:-|$)/.exec(name)?.[1];
    const env = { ...process.env, ...(mmap === undefined ? {} : { MALLOC_MMAP_THRESHOLD_: String(Number(mmap) * 1024) }), ...(name.split('-').includes('jemalloc') ? { LD_PRELOAD: jemalloc() } : {}) };
    const proc = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(layout)], { env, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const variant = new Variant(name, proc);
    // Load one process at a time, so loading peaks do not add up and load times are comparable.
    const ready = await variant.next();
    if (ready.kind === 'ready') variant.loadMs = ready.loadMs;
    variant.snapshot('warm');
    variants.push(variant);
    process.stderr.write(`${name}: loaded and warm in ${(variant.loadMs / 1000).toFixed(1)} s, RSS ${mb(variant.memory.warm?.rss)} MB, PSS ${mb(variant.memory.warm?.pss)} MB\n`);
  }

  const seconds = Number(values.seconds);
  const load = [...loadavg()];
  for (let round = 0; round < Number(values.rounds); round++) {
    const order = variants.map((_, i) => variants[(i + round) % variants.length] as Variant);
    for (const variant of order) {
      const during = setTimeout(() => variant.snapshot('during load'), (seconds * 1000) / 2);
      const l = await variant.command({ cmd: 'load', seconds, start: round * 1000 });
      clearTimeout(during);
      if (l.kind === 'load') {
        variant.load.push(l.rowsPerSecond);
        variant.cpu.push(l.cpuMsPerRow);
      }
      const s = await variant.command({ cmd: 'lone', seconds, start: round * 1000 + 500 });
      if (s.kind === 'lone') variant.lone.push(s.p50);
      process.stderr.write(`round ${round + 1} ${variant.name}: ${variant.load.at(-1)?.toFixed(2)} rows/s, ${variant.cpu.at(-1)?.toFixed(1)} CPU ms/row, lone p50 ${variant.lone.at(-1)?.toFixed(1)} ms\n`);
    }
  }
  for (const variant of variants) {
    variant.snapshot('after load');
    await variant.command({ cmd: 'long' });
    variant.snapshot('after long rows');
    await variant.command({ cmd: 'lone', seconds: 2, start: 0 });
    variant.snapshot('after long, then short');
    variant.exit();
  }
  load.push(...loadavg());

  const first = variants[0];
  const ratio = (xs: number[], of: number[] | undefined): string => (of === undefined ? '—' : (median(xs) / median(of)).toFixed(3));
  console.log(`${values.model}; ${threads.workers} × ${threads.intraOpThreads} threads${threads.soloThreads > 0 ? ` + solo ${threads.soloThreads}` : ''}; ${values.rounds} interleaved rounds of ${seconds} s; load average ${load.slice(0, 3).map((x) => x.toFixed(2)).join(' ')} → ${load.slice(3).map((x) => x.toFixed(2)).join(' ')}\n`);
  console.log('| variant | load s | RSS warm MB (anon / file) | PSS warm MB | PSS during load | RSS / PSS after long rows | PSS after long, then short rows | rows/s under load (ratio) | CPU ms per row under load (ratio) | lone p50 ms (ratio) |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const v of variants) {
    const w = v.memory.warm;
    const a = v.memory['after long rows'];
    console.log(`| ${v.name} | ${(v.loadMs / 1000).toFixed(1)} | ${mb(w?.rss)} (${mb(w?.rssAnon)} / ${mb(w?.rssFile)}) | ${mb(w?.pss)} | ${mb(v.memory['during load']?.pss)} | ${mb(a?.rss)} / ${mb(a?.pss)} | ${mb(v.memory['after long, then short']?.pss)} | ${median(v.load).toFixed(2)} (${ratio(v.load, first?.load)}) | ${median(v.cpu).toFixed(1)} (${ratio(v.cpu, first?.cpu)}) | ${median(v.lone).toFixed(1)} (${ratio(v.lone, first?.lone)}) |`);
  }
  if (values.json !== undefined) {
    writeFileSync(values.json, `${JSON.stringify({ model: values.model, threads, rounds: Number(values.rounds), seconds, loadAverage: load, variants: variants.map((v) => ({ name: v.name, loadMs: v.loadMs, memory: v.memory, rowsPerSecond: v.load, cpuMsPerRow: v.cpu, loneP50Ms: v.lone })) }, null, 2)}\n`);
  }
}

const childIndex = process.argv.indexOf('--child');
if (childIndex >= 0) await child(JSON.parse(process.argv[childIndex + 1] ?? '{}') as Layout);
else await parent();
