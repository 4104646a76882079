// Tracing overhead at the server: req/s and p99 with tracing off, on with every request sampled and
// on at 1 % sampling, measured in interleaved rounds on the same request bodies. Run from the
// repository root after `npm run build`:
//
//   npx tsx bench/tools/tracing-overhead.ts [--scenarios short,long] [--concurrency 1,16,64]
//       [--duration 15] [--rounds 3] [--json FILE] [--server-env KEY=VALUE ...]
//
// It starts an OTLP/HTTP sink (another process that reads each export and answers 200, as a
// collector would, without decoding), three servers (`off`, `on100`, `on1`; the two traced ones
// export to the sink as OTLP/protobuf), and for each scenario runs the bench on `off` with the other
// two as peers (`--peer`): every round gives each server the same share of the time with the same
// bodies, and who goes first rotates (bench/README.md, "Peers"). The servers run without API keys
// (peers are driven without one) and with everything else at its default unless --server-env says
// otherwise. Prints a markdown table of req/s and p99 per server with the ratios to `off`, ready for
// bench/RESULTS.md, and writes the raw bench JSON of each scenario next to --json when given.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { parseAssignment } from '../options.js';
import type { PeerRecord } from '../peers.js';
import { startServer, type BenchServer } from '../server.js';
import { startSink } from './otlp-sink.js';

const CLI = path.join(PACKAGE_ROOT, 'dist/src/cli.js');

const { values } = parseArgs({
  options: {
    scenarios: { type: 'string', default: 'short,long' },
    concurrency: { type: 'string', default: '1,16,64' },
    duration: { type: 'string', default: '15' },
    rounds: { type: 'string', default: '3' },
    json: { type: 'string' },
    'server-env': { type: 'string', multiple: true, default: [] },
  },
});

/** The three configurations; the traced ones get the sink's URL. */
const VARIANTS = (sink: string): [string, Record<string, string>][] => [
  ['off', { OTEL_SDK_DISABLED: 'true' }],
  ['on100', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: sink, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' }],
  ['on1', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: sink, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' }],
];

async function runBench(args: string[]): Promise<void> {
  const child = spawn(process.execPath, [CLI, 'bench', ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`bench exited with ${code}`);
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error('dist/src/cli.js is missing: run `npm run build` first');
  const extra = Object.fromEntries((values['server-env'] ?? []).map((kv) => parseAssignment(kv, '--server-env')));
  const sink = await startSink();
  const servers = new Map<string, BenchServer>();
  const dir = mkdtempSync(path.join(tmpdir(), 'gliner-tracing-overhead-'));
  const rows: string[] = [];
  try {
    for (const [name, env] of VARIANTS(sink.url)) {
      servers.set(name, await startServer(CLI, { env: { API_KEYS: '', ...extra, ...env }, nodeArgs: [], readyTimeoutMs: 600_000 }));
    }
    const off = servers.get('off')!;
    let checked = false;
    for (const scenario of values.scenarios.split(',')) {
      const json = path.join(dir, `${scenario}.json`);
      await runBench([
        '--url', off.url, '--admin-url', off.adminUrl,
        '--peer', `on100=${servers.get('on100')!.url}`, '--peer', `on1=${servers.get('on1')!.url}`,
        '--scenarios', scenario, '--peer-scenario', scenario, '--concurrency', values.concurrency,
        '--duration', values.duration, '--peer-rounds', values.rounds, '--peer-check', checked ? '0' : '20', '--rates', 'none',
        '--json', json, '--no-progress',
      ]);
      // The servers run the same model: their entities are compared once, on the first scenario
      // (the bench's check counts ASCII-only texts, which the long scenario's documents are not).
      checked = true;
      if (values.json !== undefined) writeFileSync(values.json.replace(/\.json$/, `.${scenario}.json`), readFileSync(json));
      const peers = (JSON.parse(readFileSync(json, 'utf8')) as { peers: PeerRecord[] }).peers;
      const on100 = peers.find((p) => p.name === 'on100')?.comparisons ?? [];
      const on1 = peers.find((p) => p.name === 'on1')?.comparisons ?? [];
      for (const a of on100) {
        const b = on1.find((c) => c.concurrency === a.concurrency);
        const cell = (rps: number, p99: number): string => `${rps.toFixed(1)} (${(rps / a.oursRps).toFixed(2)}×) | ${p99.toFixed(1)} (${(p99 / a.oursP99Ms).toFixed(2)}×)`;
        rows.push(`| ${scenario} | ${a.concurrency} | ${a.oursRps.toFixed(1)} | ${a.oursP99Ms.toFixed(1)} | ${cell(a.peerRps, a.peerP99Ms)} | ${b === undefined ? '— | —' : cell(b.peerRps, b.peerP99Ms)} |`);
      }
    }
  } finally {
    for (const server of servers.values()) await server.stop();
    sink.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write([
    '| scenario | c | off req/s | off p99 ms | on 100 % req/s (× off) | on 100 % p99 ms (× off) | on 1 % req/s (× off) | on 1 % p99 ms (× off) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n') + '\n');
}

await main();
