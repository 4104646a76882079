// float32 sigmoid as torch computes it (values from torch 2.13 CPU, torch.sigmoid on float32).
import { describe, expect, it } from 'vitest';
import { candidatesOf } from '../../src/inference/decode.js';
import { sigmoidF32 } from '../../src/inference/sigmoid.js';

// [logit (a float32), torch.sigmoid]
const TORCH: [number, number][] = [
  [-95, 0],
  [Math.fround(-88.73), 0],
  [-88.72283935546875, 0],
  [Math.fround(-88.7228317), 2.938758297831148e-39],
  [Math.fround(-88.72), 2.947087615903095e-39],
  [Math.fround(-88.7), 3.006635794144578e-39],
  [-87, 1.6458115938842401e-38],
  [-50, 1.9287498933537385e-22],
  [-20, 2.06115369216775e-9],
  [Math.fround(-1e-9), 0.5],
  [0, 0.5],
  [Math.fround(1e-6), 0.5000002384185791],
  [3, 0.9525741338729858],
  [17, 1],
  [100, 1],
];

describe('sigmoidF32', () => {
  it.each(TORCH)('sigmoid(%d) = %d as torch float32 (zero exactly where torch underflows)', (x, p) => {
    const got = sigmoidF32(x);
    if (p === 0) expect(got).toBe(0);
    else expect(Math.abs(got - p) / p).toBeLessThan(1e-6);
    expect(Math.fround(got)).toBe(got);
  });

  it('a double-precision sigmoid would not underflow (why this exists)', () => {
    expect(1 / (1 + Math.exp(95))).toBeGreaterThan(0);
    expect(sigmoidF32(-95)).toBe(0);
  });

  it('threshold 0 drops cells torch scores exactly 0 and keeps the rest', () => {
    const view = { data: Float32Array.of(-95, -87, 2), dims: [1, 3, 1, 1] as const };
    const got = candidatesOf(view, 0, 3, 1, 0);
    expect(Array.from(got.start)).toEqual([1, 2]);
  });
});
