// The CLI's terminal progress bar for model downloads (cli-progress on stderr): one bar per file of
// at least 1 MiB, driven by the download's events. Server code never draws; it only reports events
// (model/hub-transfer.ts), and the CLI shows them like this when stderr is a terminal.
import { Presets, SingleBar } from 'cli-progress';
import type { DownloadEvent } from '../model/hub.js';
import { formatBytes } from '../model/hub-transfer.js';

/** Files smaller than this get no bar (the JSON files). */
const BAR_MIN_BYTES = 1 << 20;
export interface DownloadBar {
  /** How often the download should report progress while a bar is drawn. */
  readonly intervalMs: number;
  /** Feed every event here; returns true when the bar showed it (a caller then need not print it). */
  show(event: DownloadEvent): boolean;
  stop(): void;
}

export function downloadBar(stream: NodeJS.WriteStream = process.stderr): DownloadBar {
  let bar: SingleBar | undefined;
  const stop = (): void => {
    bar?.stop();
    bar = undefined;
  };
  return {
    intervalMs: 100,
    show(event) {
      if (event.kind === 'start') {
        stop();
        if (event.total === undefined || event.total < BAR_MIN_BYTES) return false;
        bar = new SingleBar(
          { stream, format: `${event.file ?? ''} [{bar}] {percentage}% | {done} of {size} | eta {eta_formatted}`, hideCursor: false, clearOnComplete: false, etaBuffer: 50 },
          Presets.shades_classic,
        );
        bar.start(event.total, event.bytes ?? 0, { done: formatBytes(event.bytes ?? 0), size: formatBytes(event.total) });
        return true;
      }
      if (event.kind === 'progress') {
        // A file too small for a bar says nothing while it runs.
        bar?.update(event.bytes ?? 0, { done: formatBytes(event.bytes ?? 0) });
        return true;
      }
      if (event.kind === 'done') stop();
      return false;
    },
    stop,
  };
}
