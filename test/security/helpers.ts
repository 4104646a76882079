// Shared helpers for the security tests: temp dirs and callbacks turned into awaitable events.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'gliner-security-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Replace a file the way editors and config tools do: write a sibling, rename it over. */
export function replaceFile(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

/** A callback plus a way to await its next call. */
export class EventWaiter<T> {
  readonly calls: T[] = [];
  private waiters: Array<(value: T) => void> = [];

  readonly callback = (value: T): void => {
    this.calls.push(value);
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve(value);
  };

  next(): Promise<T> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

export class FakeClock {
  constructor(public time = 1_000_000) {}
  now = (): number => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
}
