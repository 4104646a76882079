#!/usr/bin/env node
// gliner-serve: one CLI for the product. `serve` runs the server, `eval` scores a model on a CoNLL
// file, `bench` measures the server, `models` manages the model cache, `keys` makes API keys,
// `config` prints the settings table. Flags mirror the environment variables (see docs/configuration.md).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { loadConfig, configMarkdown, settingWarnings } from './config/load.js';
import { describeSetting, isSwitch, SETTINGS, type SettingKey } from './config/schema.js';
import { asGlinerError, GlinerError } from './errors.js';
import { createLogger } from './logging.js';
import { PACKAGE_ROOT } from './paths.js';

const VERSION = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const program = new Command('gliner-serve')
  .description('Production serving for GLiNER named-entity recognition models')
  .version(VERSION, '-V, --version', 'print the version')
  .showHelpAfterError();

/** A command that only groups subcommands: on its own it prints its help and exits 0. */
const group = (command: Command): Command => command.action(() => command.help());

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function addSettingFlags(command: Command, keys: readonly SettingKey[] = Object.keys(SETTINGS) as SettingKey[]): Command {
  for (const key of keys) {
    const help = `${describeSetting(key)} [env ${SETTINGS[key].env}]`;
    if (isSwitch(key)) {
      // A switch takes no value: --playground turns it on, --no-playground off.
      command.addOption(new Option(`--${kebab(key)}`, help));
      command.addOption(new Option(`--no-${kebab(key)}`, `turn ${SETTINGS[key].env} off`));
    } else {
      command.addOption(new Option(`--${kebab(key)} <value>`, help));
    }
  }
  return command;
}

/** The config from flags, environment and .env; warnings about look-alike variables go to `warn`. */
function configFrom(options: Record<string, unknown>, extra: Partial<Record<SettingKey, unknown>> = {}, warn = (line: string): void => void process.stderr.write(`warning: ${line}\n`)): ReturnType<typeof loadConfig> {
  const overrides: Partial<Record<SettingKey, unknown>> = { ...extra };
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    if (options[key] !== undefined) overrides[key] = options[key];
  }
  const config = loadConfig({ overrides });
  for (const line of settingWarnings()) warn(line);
  return config;
}

function positiveInt(value: unknown, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new GlinerError('CONFIG_INVALID', `${flag} must be a positive integer; got ${String(value)}.`);
  return n;
}

function fail(error: unknown): never {
  const e = asGlinerError(error);
  process.stderr.write(`error ${e.code}: ${e.code === 'INTERNAL' ? String((e.extra.cause as Error | undefined)?.stack ?? e.message) : e.message}\n`);
  process.exit(2);
}

addSettingFlags(program.command('serve').description('Serve the model over HTTP and WebSocket (default: the embedded model).')).action(async (options: Record<string, unknown>) => {
  try {
    const warnings: string[] = [];
    const config = configFrom(options, {}, (line) => warnings.push(line));
    const logger = createLogger(config.logLevel);
    for (const line of warnings) logger.warn(line);
    const { serve, handleSignals } = await import('./serve.js');
    const { downloadBar } = await import('./cli/download-bar.js');
    // A model download shows a bar on a terminal (its events are in the log as well).
    const server = await serve(config, logger, process.stderr.isTTY ? { downloads: downloadBar() } : {});
    handleSignals(server, logger);
    const { pidFileOf, writePidFile, watchNpmLauncher } = await import('./launcher.js');
    const pidFile = pidFileOf(config.pidFile);
    if (pidFile !== undefined) writePidFile(pidFile);
    watchNpmLauncher((gone) => {
      logger.warn({ gone }, `${gone} exited, and signals sent to it never reach this server: shutting down rather than running on orphaned. To reload API keys use \`npm run reload-keys\` (or SIGHUP to PID ${process.pid}), not a signal to npm`);
      void server.shutdown('launcher exited').then(() => {
        logger.flush();
        process.exit(0);
      });
    });
  } catch (error) {
    fail(error);
  }
});

addSettingFlags(
  program
    .command('eval')
    .description('Score the model on a CoNLL two-column file (entity-level exact match), through the serving engine.')
    .requiredOption('--data <file>', 'CoNLL file (word<TAB>tag, IOB2)')
    .requiredOption('--labels <list>', 'comma-separated labels, as named in the file')
    .option('--threshold <p>', 'decision threshold', '0.5')
    .option('--limit <n>', 'only the first n sentences')
    .option('--documents', 'send whole documents as users do (windowed by the server\'s own code): -DOCSTART- or double-blank-line documents, else passages of consecutive sentences')
    .option('--passage-words <n>', 'with --documents, in files without document marks: sentences are grouped into passages of up to n words', '384')
    .option('--json', 'print one JSON object instead of a table'),
  ['model', 'modelRevision', 'modelQuantization', 'workers', 'intraOpThreads', 'maxBatchRows', 'maxBatchTokens', 'executionProvider', 'cudaFallback'],
).action(async (options: Record<string, unknown>) => {
  try {
    const config = configFrom(options, { logLevel: 'warn' });
    const { runEval } = await import('./eval/run-eval.js');
    const { reportTable } = await import('./eval/score.js');
    const labels = String(options.labels).split(',').map((l) => l.trim()).filter((l) => l.length > 0);
    const report = await runEval(config, {
      data: String(options.data),
      labels,
      threshold: Number(options.threshold),
      chunk: 16,
      ...(options.limit === undefined ? {} : { limit: Number(options.limit) }),
      ...(options.documents === true ? { documents: { passageWords: positiveInt(options.passageWords, '--passage-words') } } : {}),
      progress: options.json !== true && process.stderr.isTTY,
    }, createLogger('warn'));
    const mode = options.documents === true ? 'documents' : 'sentences';
    if (options.json === true) process.stdout.write(`${JSON.stringify({ data: options.data, model: config.model, threshold: Number(options.threshold), mode, ...report })}\n`);
    else process.stdout.write(`${reportTable(report)}\n\n${report.sentences} sentences${report.documents === undefined ? '' : ` sent as ${report.documents} documents`}, model ${config.model}\n`);
    process.exit(0);
  } catch (error) {
    fail(error);
  }
});

const models = group(program.command('models').description('Manage models: pull a hub model into the cache (pull), show what a directory or hub id resolves to (info).'));
addSettingFlags(models.command('pull <id>').description('Download a hub model (e.g. onnx-community/gliner_medium-v2.1) into MODEL_CACHE_DIR.'), ['modelRevision', 'modelCacheDir', 'hfEndpoint', 'hfToken', 'hfOffline', 'modelQuantization']).action(async (id: string, options: Record<string, unknown>) => {
  try {
    const config = configFrom(options);
    const { resolveModel } = await import('./model/store.js');
    const { modelSource } = await import('./startup/model.js');
    const { downloadBar } = await import('./cli/download-bar.js');
    // On a terminal the file transfers draw a bar; every other event (and all of them otherwise) is a line.
    const bar = process.stderr.isTTY ? downloadBar() : undefined;
    const resolved = await resolveModel(id, modelSource(config, {
      ...(bar === undefined ? {} : { progressIntervalMs: bar.intervalMs }),
      onProgress: (event) => {
        if (bar?.show(event) !== true) process.stderr.write(`${event.message}\n`);
      },
    })).finally(() => bar?.stop());
    process.stdout.write(`${JSON.stringify(resolved)}\n`);
  } catch (error) {
    fail(error);
  }
});
addSettingFlags(models.command('info [model]').description('Show what a model directory or hub id resolves to.'), ['modelRevision', 'modelCacheDir', 'hfOffline', 'modelQuantization']).action(async (model: string | undefined, options: Record<string, unknown>) => {
  try {
    const config = configFrom(options);
    const { resolveModel } = await import('./model/store.js');
    const { readModelDir } = await import('./model/files.js');
    const { modelSource } = await import('./startup/model.js');
    const id = model ?? config.model;
    // `info` never downloads. Unless the user did set HF_HUB_OFFLINE, say that, not "offline mode forbids it".
    const resolved = await resolveModel(id, modelSource(config, { offline: true, token: undefined })).catch((error: unknown) => {
      if (error instanceof GlinerError && error.code === 'OFFLINE' && !config.hfOffline) {
        throw new GlinerError('MODEL_NOT_FOUND', `${id}@${config.modelRevision} is not in the model cache (${config.modelCacheDir}); \`models info\` only reads the cache and never downloads. Fetch it first: gliner-serve models pull ${id}`);
      }
      throw error;
    });
    const files = readModelDir(resolved.dir, config.modelQuantization);
    process.stdout.write(`${JSON.stringify({ ...resolved, onnx: files.onnxPath, bytes: files.onnxBytes, quantization: files.quantization, config: files.config }, null, 2)}\n`);
  } catch (error) {
    fail(error);
  }
});

const keys = group(program.command('keys').description('API keys for API_KEYS_FILE.'));
keys
  .command('create')
  .description('Create a key: prints the key once (give it to the client) and the line for API_KEYS_FILE.')
  .requiredOption('--name <name>', 'key name (shown in logs and metrics)')
  .option('--rate <perSecond>', 'per-key rate limit (requests per second)')
  .option('--burst <n>', 'per-key burst')
  .option('--file <path>', 'append the entry to this key file (written atomically)')
  .action(async (options: { name: string; rate?: string; burst?: string; file?: string }) => {
    try {
      const { createKey, addKeyToFile } = await import('./security/keygen.js');
      const created = createKey(options.name, {
        ...(options.rate === undefined ? {} : { ratePerSecond: Number(options.rate) }),
        ...(options.burst === undefined ? {} : { burst: Number(options.burst) }),
      });
      if (options.file !== undefined) addKeyToFile(options.file, created.entry);
      process.stdout.write(`key (shown once, give it to the client): ${created.key}\n`);
      process.stdout.write(options.file === undefined ? `entry for API_KEYS_FILE "keys" array:\n${created.line}\n` : `added "${created.name}" to ${options.file}\n`);
    } catch (error) {
      fail(error);
    }
  });

keys
  .command('reload')
  .description('Re-read API_KEYS_FILE in the running server: sends SIGHUP to the PID in PID_FILE (npm run reload-keys).')
  .option('--pid-file <path>', 'the server\'s PID file [env PID_FILE; default .gliner-serve.pid under npm start]')
  .action((options: { pidFile?: string }) => {
    void import('./launcher.js').then(({ pidFileOf, signalServer }) => {
      try {
        const pid = signalServer(pidFileOf(options.pidFile ?? loadConfig().pidFile));
        process.stdout.write(`sent SIGHUP to the server (PID ${pid}); it logs "SIGHUP: API keys reloaded", or why the file was refused\n`);
      } catch (error) {
        fail(error);
      }
    });
  });

program
  .command('config')
  .description('Print the configuration table (markdown), or the effective config with secrets redacted.')
  .option('--effective', 'print the effective configuration as JSON')
  .option('--env-example', 'print .env.example')
  .action(async (options: { effective?: boolean; envExample?: boolean }) => {
    try {
      if (options.envExample === true) {
        const { envExample } = await import('./config/load.js');
        process.stdout.write(`${envExample()}\n`);
      } else if (options.effective === true) {
        const { redactedConfig } = await import('./config/load.js');
        process.stdout.write(`${JSON.stringify(redactedConfig(loadConfig()), null, 2)}\n`);
      } else {
        const { otelMarkdown } = await import('./config/otel.js');
        process.stdout.write(`${configMarkdown()}\n\nTracing (OpenTelemetry):\n\n${otelMarkdown()}\n`);
      }
    } catch (error) {
      fail(error);
    }
  });

// The bench command lives in bench/ and registers itself here.
const { registerBench } = await import('../bench/command.js');
registerBench(program);

await program.parseAsync(process.argv);
