// The pino logger factory. JSON lines on stdout; request text and keys never reach it (routes log
// only ids, names, sizes and timings). Redaction is a second line of defence for header dumps.
import pino, { type Logger } from 'pino';

export function createLogger(level: string, name = 'gliner-serve'): Logger {
  return pino({
    name,
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['*.authorization', '*.x-api-key', '*.apiKeys', '*.hfToken', '*.tlsPassphrase', 'text', '*.text'], censor: '[redacted]' },
  });
}

export type { Logger };
