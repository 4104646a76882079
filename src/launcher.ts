// The server process and whoever started it. Under `npm start` the PID a user has is npm's, and npm
// passes only SIGINT and SIGTERM on — to its shell, not to node — so `kill -HUP <npm's pid>` kills
// npm and leaves the server running on its own. Two things here fix that:
// - the PID file (PID_FILE; `.gliner-serve.pid` by default under npm's `start` and `reload-keys`
//   scripts): the server writes its own PID there, and `gliner-serve keys reload`
//   (`npm run reload-keys`) sends SIGHUP to that PID;
// - the launcher watch: a server started by an npm script notices (once a second) when npm or the
//   shell between them is gone, says so, and shuts down in order, instead of running on orphaned.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GlinerError } from './errors.js';

/** The PID file npm's `start` and `reload-keys` scripts agree on when PID_FILE is not set. */
export const NPM_PID_FILE = '.gliner-serve.pid';

/** The PID file to use: PID_FILE, else NPM_PID_FILE under those two npm scripts, else none. */
export function pidFileOf(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (configured !== undefined && configured !== '') return path.resolve(configured);
  const script = env.npm_lifecycle_event;
  return script === 'start' || script === 'reload-keys' ? path.resolve(NPM_PID_FILE) : undefined;
}

/** Write this process's PID to `file`; it is removed at exit if it still names this process. */
export function writePidFile(file: string): void {
  writeFileSync(file, `${process.pid}\n`);
  process.once('exit', () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {
      // already gone
    }
  });
}

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** Send SIGHUP to the server named by `file` (gliner-serve keys reload). Returns its PID. */
export function signalServer(file: string | undefined, signal: NodeJS.Signals = 'SIGHUP'): number {
  if (file === undefined) throw new GlinerError('SERVER_NOT_FOUND', 'No PID file: set PID_FILE (or --pid-file) to the one the server was started with, or run `npm run reload-keys` beside `npm start`.');
  const text = read(file);
  if (text === undefined) throw new GlinerError('SERVER_NOT_FOUND', `No PID file at ${file}: is the server running (it writes the file once it listens)? Started another way, send ${signal} to the server's own PID (its log lines carry "pid").`);
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new GlinerError('SERVER_NOT_FOUND', `${file} does not hold a PID.`);
  // On Linux, make sure the PID is still a gliner-serve server, not a process that reused it.
  const cmdline = read(`/proc/${pid}/cmdline`);
  if (cmdline !== undefined && !cmdline.split('\0').includes('serve')) throw new GlinerError('SERVER_NOT_FOUND', `PID ${pid} in ${file} is not a gliner-serve server (a stale PID file); nothing was signalled.`);
  try {
    process.kill(pid, signal);
  } catch (error) {
    throw new GlinerError('SERVER_NOT_FOUND', `No server runs as PID ${pid} (from ${file}): ${(error as NodeJS.ErrnoException).code ?? String(error)}.`, { cause: error });
  }
  return pid;
}

/** The parent of `pid`, from /proc (Linux); undefined elsewhere or when it is gone. */
function parentOf(pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Under an npm script (npm_lifecycle_event set), call `onGone` once when the process tree that
 * started us is gone: our parent changed (the script's shell died) or npm itself exited (Linux:
 * npm is found as the shell's parent). Outside npm it does nothing. Returns a stop function.
 */
export function watchNpmLauncher(onGone: (what: string) => void, env: NodeJS.ProcessEnv = process.env, everyMs = 1000): () => void {
  if (env.npm_lifecycle_event === undefined) return () => undefined;
  const parent = process.ppid;
  const grandparent = parentOf(parent);
  const npm = grandparent !== undefined && (read(`/proc/${grandparent}/cmdline`) ?? '').includes('npm') ? grandparent : undefined;
  const timer = setInterval(() => {
    const gone = process.ppid !== parent ? `the shell of npm's "${env.npm_lifecycle_event}" script (PID ${parent})` : npm !== undefined && !alive(npm) ? `npm (PID ${npm})` : undefined;
    if (gone === undefined) return;
    clearInterval(timer);
    onGone(gone);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
