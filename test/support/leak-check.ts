// vitest globalSetup: the test run leaves no process behind. Setup marks the run with an environment
// variable that every process the tests start inherits (test files run in forks of this process,
// and they spawn with the parent's environment); teardown, after the last file, lists the marked
// processes still alive — orphans included, whoever adopted them — with the TCP ports they listen
// on, and fails the run if there is any. It runs on Linux (/proc); elsewhere it says it cannot.
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

export const RUN_MARKER = 'GLINER_TEST_RUN';

export interface Leftover { readonly pid: number; readonly command: string; readonly listening: string[] }

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** Listening TCP sockets by inode: "127.0.0.1:8000"-style addresses (IPv4 and IPv6 tables). */
function listeningSockets(): Map<string, string> {
  const out = new Map<string, string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (read(table) ?? '').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] !== '0A' || f[1] === undefined || f[9] === undefined) continue; // 0A = LISTEN
      const [hex = '', port = '0'] = f[1].split(':');
      const address = hex.length === 8 ? (hex.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)).join('.') : `[${hex}]`;
      out.set(f[9], `${address}:${parseInt(port, 16)}`);
    }
  }
  return out;
}

/** Live processes (not zombies) whose environment carries `marker=value`, but `except`. */
export function leftovers(marker: string, value: string, except: ReadonlySet<number>): Leftover[] {
  const sockets = listeningSockets();
  const found: Leftover[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || except.has(pid)) continue;
    // A zombie's environ reads empty: it has exited, only its parent has not reaped it yet.
    if (!(read(`/proc/${pid}/environ`) ?? '').split('\0').includes(`${marker}=${value}`)) continue;
    const command = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ').trim().slice(0, 200);
    const listening: string[] = [];
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        const address = inode === undefined ? undefined : sockets.get(inode);
        if (address !== undefined) listening.push(address);
      }
    } catch {
      // it exited while we looked
    }
    found.push({ pid, command, listening });
  }
  return found;
}

/** Forks of the vitest process (its test-file workers) are the run itself, not leftovers. */
function vitestWorkers(): Set<number> {
  const out = new Set<number>([process.pid]);
  for (const name of readdirSync('/proc')) {
    const stat = read(`/proc/${name}/stat`);
    const ppid = Number(stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === process.pid && (read(`/proc/${name}/cmdline`) ?? '').includes('vitest')) out.add(Number(name));
  }
  return out;
}

export default function setup(): () => Promise<void> {
  const value = `${process.pid}-${Date.now()}`;
  process.env[RUN_MARKER] = value;
  return async () => {
    if (!existsSync('/proc/self/environ')) {
      console.warn('[leak-check] no /proc here: cannot check for processes left behind');
      return;
    }
    // A process told to stop in a file's last afterAll may still be on its way out: give the stragglers
    // a bounded moment (polling, not a fixed sleep), then report what is still there.
    let found = leftovers(RUN_MARKER, value, vitestWorkers());
    for (let i = 0; i < 50 && found.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      found = leftovers(RUN_MARKER, value, vitestWorkers());
    }
    if (found.length > 0) {
      const lines = found.map((p) => `  pid ${p.pid}${p.listening.length > 0 ? ` listening on ${p.listening.join(', ')}` : ''}: ${p.command}`);
      process.exitCode = 1; // vitest reports a teardown error but would still exit 0
      throw new Error(`the test run left ${found.length} process(es) behind (started by a test, still alive after the last file):\n${lines.join('\n')}`);
    }
  };
}
