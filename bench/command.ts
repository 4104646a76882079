// Registers `gliner-serve bench` (the benchmark CLI; see bench/README.md).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { resolveOptions } from './options.js';
import { markdown } from './markdown.js';
import { svgChart } from './svg.js';
import { SCENARIO_NAMES } from './scenarios.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function write(file: string, text: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, text);
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('Benchmark the server: a concurrency sweep and fixed-rate runs over several scenarios, the raw onnxruntime ceiling, and the micro-batching gain (see bench/README.md).')
    .option('--url <url>', 'benchmark a running server (loopback) instead of starting one')
    .option('--admin-url <url>', 'admin listener of --url, for /metrics (batch sizes, queue waits)')
    .option('--api-key <key>', 'X-API-Key for --url (default $GLINER_API_KEY)')
    .option('--model <dir|id>', 'model of the server the bench starts and of --raw (default: the embedded model)')
    .option('--scenarios <list>', `scenarios to run (${SCENARIO_NAMES.join(',')}; default all but relations and extract, which need a relation-extraction or GLiNER2 --model)`)
    .option('--concurrency <list>', 'closed-loop concurrency sweep (default 1,4,16,64,256)')
    .option('--rates <list>', 'open-loop arrival rates in req/s, "auto" (fractions of the measured peak) or "none"', undefined)
    .option('--rate-fractions <list>', 'fractions of the peak for --rates auto (default 0.25,0.5,0.75,0.9)')
    .option('--rate-scenarios <list>', 'scenarios that get open-loop points (default: the raw scenario)')
    .option('--duration <s>', 'seconds per point (default 5)')
    .option('--warmup <s>', 'seconds of warm-up load after each server start, 0 for none (default 2)')
    .option('--timeout <s>', 'client-side request timeout (default 60)')
    .option('--ws-depth <n>', 'messages in flight per WebSocket connection (default 1)')
    .option('--long-words <n>', 'words per document in the long scenario (default 1500)')
    .option('--repeat-share <x>', 'share of the repeat scenario\'s requests that repeat a popular body, 0..1 (default 0.5)')
    .option('--raw', 'measure the raw ceiling: the same inputs through onnxruntime-node in-process')
    .option('--raw-scenario <name>', 'scenario of the raw ceiling, the server/raw ratio, the gain and --compare (default short)')
    .option('--raw-batch-sizes <list>', 'batch sizes swept for the ceiling (default 1,2,4,8,16,32)')
    .option('--raw-seconds <s>', 'timed seconds per raw batch size (default 3)')
    .option('--raw-order <order>', 'raw batches: "sorted" by length within the batcher lookahead, or "arrival" (default sorted)')
    .option('--batching-gain', 'also run the raw scenario with MAX_BATCH_ROWS=1 and report batched/unbatched throughput')
    .option('--gain-concurrency <n>', 'concurrency of the batching-gain comparison (default 64)')
    .option('--compare <name:K=V,...>', 'extra server configuration to run the raw scenario on (repeatable), e.g. w2t1:WORKERS=2,INTRA_OP_THREADS=1', collect)
    .option('--compare-concurrency <list>', 'concurrencies for --compare variants (default 1,64)')
    .option('--peer <NAME=URL>', 'another server with the same POST /api/v1/predict API, driven with the same bodies in interleaved rounds (repeatable; bench/peers/ has a GLiNER.js one)', collect)
    .option('--peer-scenario <name>', 'the scenario the peers run (default: the raw scenario)')
    .option('--peer-rounds <n>', 'interleaved rounds per point when peers run (default 3)')
    .option('--peer-check <n>', 'bodies both servers must answer alike (ASCII-only texts) before a peer is timed (default 100; 0 = no check, for a peer that runs another model on purpose)')
    .option('--workers <n>', 'WORKERS of the server the bench starts (and of --raw)')
    .option('--intra-op-threads <n>', 'INTRA_OP_THREADS of the server the bench starts (and of --raw)')
    .option('--max-batch-rows <n>', 'MAX_BATCH_ROWS of the server the bench starts')
    .option('--max-batch-tokens <n>', 'MAX_BATCH_TOKENS of the server the bench starts')
    .option('--server-env <KEY=VALUE>', 'any other setting of the server the bench starts (repeatable)', collect)
    .option('--server-log-level <level>', 'LOG_LEVEL of the server the bench starts (default warn: no per-request log lines)')
    .option('--server-node-args <args>', 'node flags for the server process, e.g. "--cpu-prof --cpu-prof-dir=prof"')
    .option('--server-ready-timeout <s>', 'how long the server may take to load and warm the model (default 600)')
    .option('--datasets <dir>', 'datasets directory holding crossner/*/test.txt (default: datasets/ in the repository)')
    .option('--seed <n>', 'seed of the input generator (default 1)')
    .option('--json <file>', 'write the full report as JSON')
    .option('--svg <file>', 'write a latency-vs-throughput chart of the sweep')
    .option('--md <file>', 'write the markdown report to a file too')
    .addOption(new Option('--check [file]', 'exit 1 when a budget of bench/thresholds.json (or FILE) is missed'))
    .option('--quick', 'smoke preset: short,batch,stream at concurrency 1,4 for 1 s, no open loop (explicit flags win)')
    .option('--no-progress', 'no progress bar')
    .option('--quiet', 'no per-point lines on stderr')
    .option('--no-memory', 'do not record the server\'s memory (RSS/PSS idle, warm, and before/peak/after each point)')
    .action(async (raw: Record<string, unknown>) => {
      let options;
      try {
        options = resolveOptions(raw);
      } catch (error) {
        process.stderr.write(`bench: ${(error as Error).message}\n`);
        process.exit(2);
      }
      const { BenchError } = await import('./peers.js');
      try {
        const { runBench } = await import('./run.js');
        const cli = process.argv[1] ?? '';
        const report = await runBench(options, cli, `gliner-serve bench ${process.argv.slice(3).join(' ')}`.trim());
        const text = markdown(report);
        process.stdout.write(`${text}\n`);
        if (options.json !== undefined) write(options.json, `${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
        if (options.svg !== undefined) write(options.svg, svgChart(report));
        if (options.md !== undefined) write(options.md, `${text}\n`);
        const failed = report.checks.filter((c) => c.status === 'fail');
        if (failed.length > 0) {
          process.stderr.write(`bench: budgets missed: ${failed.map((c) => `${c.name} (${c.value?.toFixed(3)} vs ${c.budget})`).join(', ')}\n`);
          process.exit(1);
        }
        process.exit(0);
      } catch (error) {
        // A BenchError is an explained failure (a target that cannot be reached, a peer that disagrees): one line.
        process.stderr.write(`bench: ${error instanceof BenchError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.exit(2);
      }
    });
}
