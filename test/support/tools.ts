// The one policy for suites that need an outside tool (promtool, amtool, prometheus, chromium, shellcheck,
// kubectl, curl, …): on a developer machine a missing tool skips the suite and says so (warning line and
// suite title); under CI (CI=true, as .ci/run sets) a missing tool is a failure, never a silent skip.
import { it } from 'vitest';

export interface ToolNeed {
  /** What is missing, as a person would name it: "promtool", "/usr/bin/chromium", "dist/src/cli.js". */
  readonly tool: string;
  readonly present: boolean;
  /** How to get it: "apt-get install -y shellcheck". */
  readonly install: string;
}

/** True when CI says so: CI set to anything but "", "0" or "false". */
export function underCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (env.CI ?? '').trim().toLowerCase();
  return value !== '' && value !== '0' && value !== 'false';
}

/** The first missing need, or undefined when all are present. */
export function firstMissing(needs: readonly ToolNeed[]): ToolNeed | undefined {
  return needs.find((n) => !n.present);
}

/** ` — SKIPPED: … missing (install …)` for a suite title, or '' when everything is present. */
export function skipNote(needs: readonly ToolNeed[]): string {
  const missing = firstMissing(needs);
  return missing === undefined ? '' : ` — SKIPPED: ${missing.tool} missing (${missing.install})`;
}

/**
 * The `skipIf` condition for a suite (or test) that needs `needs`. Returns true when something is missing.
 * Outside CI that is the whole story (plus one warning line). Under CI it also registers, where it is called,
 * a test that fails naming the missing tool, so the run cannot pass with the suite silently skipped.
 */
export function skipWithout(
  suite: string,
  needs: readonly ToolNeed[],
  options: { env?: NodeJS.ProcessEnv; register?: (name: string, fn: () => void) => void; warn?: (line: string) => void } = {},
): boolean {
  const missing = firstMissing(needs);
  if (missing === undefined) return false;
  const message = `${suite}: ${missing.tool} is missing (${missing.install})`;
  if (underCi(options.env)) {
    (options.register ?? it)(`${suite} needs ${missing.tool} (CI=true: a missing tool fails the run)`, () => {
      throw new Error(`${message}; under CI=true this fails instead of skipping.`);
    });
  } else {
    (options.warn ?? console.warn)(`[skipped] ${message}.`);
  }
  return true;
}
