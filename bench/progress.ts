// Progress: a cli-progress bar on a terminal; otherwise (CI, pipes) one line per finished step on
// stderr, so logs still show where a long run is.
import cliProgress from 'cli-progress';

export interface Progress {
  /** Set the planned number of steps (may grow). */
  plan(total: number): void;
  step(label: string, detail?: string): void;
  note(message: string): void;
  stop(): void;
}

export function createProgress(enabled: boolean, quiet: boolean): Progress {
  if (enabled && process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: 'bench [{bar}] {value}/{total} {label}', stream: process.stderr, hideCursor: true, clearOnComplete: true, etaBuffer: 4 },
      cliProgress.Presets.shades_classic,
    );
    let total = 0;
    let value = 0;
    let started = false;
    return {
      plan(n) {
        total = Math.max(n, value);
        if (!started) {
          bar.start(total, 0, { label: 'starting' });
          started = true;
        } else bar.setTotal(total);
      },
      step(label) {
        value++;
        if (value > total) {
          total = value;
          bar.setTotal(total);
        }
        bar.update(value, { label });
      },
      note(message) {
        bar.update(value, { label: message });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  return {
    plan: () => undefined,
    step(label, detail) {
      if (!quiet) process.stderr.write(`bench: ${label}${detail === undefined ? '' : `  ${detail}`}\n`);
    },
    note(message) {
      if (!quiet) process.stderr.write(`bench: ${message}\n`);
    },
    stop: () => undefined,
  };
}
