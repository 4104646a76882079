// Noticing that the API key file changed: fs.watch on its directory (editors and Kubernetes Secret
// updates replace the file by rename or symlink swap, which a watch on the file itself misses),
// debounced, plus a slow poll as a fallback where fs.watch sees nothing. It only says "look again";
// the store decides whether the contents changed.
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';

export type ReloadTrigger = 'explicit' | 'watch' | 'poll';

export interface WatchSettings {
  /** Watch the file's directory for changes. Default true. */
  readonly watch?: boolean;
  /** Quiet time after the last directory event before re-reading. Default 200 ms. */
  readonly debounceMs?: number;
  /** Re-read the file this often as a fallback for file systems where fs.watch misses changes. 0 = never. Default 30 s. */
  readonly pollIntervalMs?: number;
}

export class KeyFileWatcher {
  private watcher: FSWatcher | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly file: string,
    settings: WatchSettings,
    private readonly onChange: (trigger: ReloadTrigger) => void,
    /** A problem with watching (the message names the directory, never the contents). */
    onError: (message: string) => void,
  ) {
    const debounceMs = Math.max(0, settings.debounceMs ?? 200);
    if (settings.watch ?? true) {
      const directory = dirname(file);
      const later = 'changes are picked up by SIGHUP or the periodic re-read only';
      try {
        this.watcher = watch(directory, { persistent: false }, () => this.schedule(debounceMs));
        this.watcher.on('error', () => {
          onError(`${label(file)}: watching ${directory} failed; ${later}`);
          this.watcher?.close();
          this.watcher = undefined;
        });
      } catch {
        onError(`${label(file)}: cannot watch ${directory}; ${later}`);
      }
    }
    const poll = settings.pollIntervalMs ?? 30_000;
    if (poll > 0) {
      this.pollTimer = setInterval(() => this.fire('poll'), poll);
      this.pollTimer.unref();
    }
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.debounceTimer !== undefined) clearTimeout(this.debounceTimer);
    if (this.pollTimer !== undefined) clearInterval(this.pollTimer);
    this.debounceTimer = undefined;
    this.pollTimer = undefined;
  }

  private schedule(debounceMs: number): void {
    if (this.closed) return;
    if (this.debounceTimer !== undefined) clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      this.fire('watch');
    }, debounceMs);
    this.debounceTimer.unref();
  }

  private fire(trigger: ReloadTrigger): void {
    if (!this.closed) this.onChange(trigger);
  }
}

/** How messages name the file. */
export function label(file: string): string {
  return `API_KEYS_FILE ${file}`;
}
