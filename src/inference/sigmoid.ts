// The logistic sigmoid in float32, the way torch computes it on the CPU for a float32 tensor:
// e = exp(-x), s = 1 + e, p = 1 / s, each step rounded to float32 (ATen's sigmoid kernel, scalar and
// vectorised paths alike). The steps matter at the extremes:
// - past x ≈ -88.72, float32 exp(-x) overflows to +Infinity and p is exactly 0, where a double
//   sigmoid gives a tiny positive number (x = -95: 5.5e-42), so `p > 0` keeps a span torch drops;
// - for large x, 1 + e rounds to 1 and p is exactly 1.
// torch's vectorised exp may differ from this one in the last float32 bit (≈6e-8 relative), far
// below the parity suites' score tolerance (1e-5, test/parity/tolerance.ts); only a logit of
// exactly -88.72283935546875 could fall on the other side of the overflow.

/** sigmoid(x) with float32 intermediate results, as torch.sigmoid on a float32 tensor. */
export function sigmoidF32(x: number): number {
  const e = Math.fround(Math.exp(-x));
  return Math.fround(1 / Math.fround(1 + e));
}
