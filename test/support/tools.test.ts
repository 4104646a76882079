// The missing-tool policy (test/support/tools.ts): skip with a note on a developer machine, fail under CI.
import { describe, expect, it } from 'vitest';
import { skipNote, skipWithout, underCi, type ToolNeed } from './tools.js';

const MISSING: ToolNeed[] = [{ tool: 'present-tool', present: true, install: 'n/a' }, { tool: 'promtool', present: false, install: 'apt-get install -y prometheus' }];
const ALL_THERE: ToolNeed[] = [{ tool: 'promtool', present: true, install: 'apt-get install -y prometheus' }];

function probe(env: NodeJS.ProcessEnv, needs: readonly ToolNeed[]) {
  const registered: { name: string; fn: () => void }[] = [];
  const warnings: string[] = [];
  const skip = skipWithout('promtool checks', needs, { env, register: (name, fn) => registered.push({ name, fn }), warn: (l) => warnings.push(l) });
  return { skip, registered, warnings };
}

describe('missing-tool policy', () => {
  it('reads CI the way CI systems set it', () => {
    expect(underCi({ CI: 'true' })).toBe(true);
    expect(underCi({ CI: '1' })).toBe(true);
    expect(underCi({})).toBe(false);
    expect(underCi({ CI: 'false' })).toBe(false);
    expect(underCi({ CI: '0' })).toBe(false);
  });

  it('outside CI, a missing tool skips the suite with a warning naming the tool and how to install it', () => {
    const { skip, registered, warnings } = probe({}, MISSING);
    expect(skip).toBe(true);
    expect(registered).toEqual([]);
    expect(warnings).toEqual(['[skipped] promtool checks: promtool is missing (apt-get install -y prometheus).']);
    expect(skipNote(MISSING)).toBe(' — SKIPPED: promtool missing (apt-get install -y prometheus)');
  });

  it('under CI=true, a missing tool registers a test that fails naming the tool', () => {
    const { skip, registered, warnings } = probe({ CI: 'true' }, MISSING);
    expect(skip).toBe(true);
    expect(warnings).toEqual([]);
    expect(registered).toHaveLength(1);
    expect(registered[0]!.name).toContain('needs promtool');
    expect(() => registered[0]!.fn()).toThrow(/promtool is missing \(apt-get install -y prometheus\); under CI=true this fails/);
  });

  it('with every tool present nothing is skipped, in CI or not', () => {
    for (const env of [{}, { CI: 'true' }]) {
      const { skip, registered, warnings } = probe(env, ALL_THERE);
      expect(skip).toBe(false);
      expect(registered).toEqual([]);
      expect(warnings).toEqual([]);
    }
    expect(skipNote(ALL_THERE)).toBe('');
  });
});
