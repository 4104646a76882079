// How busy the rest of the machine was during a measurement. On a shared 2-core box another
// process using a core halves what the server can do, so every point records the CPU used by
// processes other than the server and the bench itself ("foreign" cores, from /proc/stat).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Busy CPU seconds of the whole machine (all cores), or undefined off Linux. */
export function machineBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return (user + nice + system + irq + softirq + steal) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** CPU seconds of this process (every thread). */
export function selfCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

export interface CpuWindow {
  /** Cores used by other processes since the window opened (NaN when unknown), given the server's CPU seconds. */
  finish(serverCpuSeconds: number): { foreignCpuCores: number; benchCpuCores: number };
}

export function cpuWindow(): CpuWindow {
  const machine0 = machineBusySeconds();
  const self0 = selfCpuSeconds();
  const t0 = performance.now();
  return {
    finish(serverCpuSeconds) {
      const seconds = (performance.now() - t0) / 1000;
      const machine1 = machineBusySeconds();
      const bench = selfCpuSeconds() - self0;
      const benchCpuCores = seconds > 0 ? bench / seconds : Number.NaN;
      if (machine0 === undefined || machine1 === undefined || !(seconds > 0) || !Number.isFinite(serverCpuSeconds)) return { foreignCpuCores: Number.NaN, benchCpuCores };
      return { foreignCpuCores: Math.max(0, (machine1 - machine0 - bench - serverCpuSeconds) / seconds), benchCpuCores };
    },
  };
}
