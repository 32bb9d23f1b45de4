// The noise-ahead block of planLayout (workers compute the step's noise there while they wait): a copy of
// the params layout after the scratch block, part of the hash, absent unless asked for, so every plan
// without it is the plan it was before the block existed.
import { describe, expect, it } from 'vitest';
import { planLayout, type LayoutRequest } from '../../../src/core/layout.js';
import { GEMM_READ_SLACK } from '../../../src/core/abi.js';

const req: LayoutRequest = {
  base: 1000,
  params: [{ name: 'a/kernel', elements: 6 }, { name: 'a/bias', elements: 3 }, { name: 'b/kernel', elements: 5 }],
  gradSlots: 2,
  stateSlots: 1,
  activations: [{ name: 'input', elements: 7 }],
  activationGrads: [{ name: 'a/dout', elements: 9 }],
  scratchBytes: 100,
};

describe('planLayout: the noise-ahead block', () => {
  it('is absent by default, and asking for 0 gives the same plan and hash', () => {
    const plain = planLayout(req), zero = planLayout({ ...req, noiseSlots: 0 });
    expect(plain.noise).toEqual([]);
    expect(zero.hash).toBe(plain.hash);
    expect(zero.end).toBe(plain.end);
  });

  it('follows the scratch block with the params layout, counts in end, pages and the hash', () => {
    const plain = planLayout(req), p = planLayout({ ...req, noiseSlots: 1 });
    expect(p.noise).toHaveLength(1);
    const b = p.noise[0]!;
    expect(b.kind).toBe('noise');
    expect(b.offset).toBe(p.scratch.offset + p.scratch.bytes);
    expect(b.offset % 64).toBe(0);
    expect(b.bytes).toBe(p.params.bytes);
    expect(p.end).toBe(b.offset + b.bytes);
    expect(p.pages).toBe(Math.ceil((p.end + GEMM_READ_SLACK) / 65536));
    expect(p.hash).not.toBe(plain.hash);
    // everything before it is where it was
    expect(p.scratch).toEqual(plain.scratch);
    expect([...p.paramTensors]).toEqual([...plain.paramTensors]);
  });

  it('takes at most one slot', () => {
    expect(() => planLayout({ ...req, noiseSlots: 2 })).toThrow(/noiseSlots is 2 \(need 0 or 1\)/);
    expect(() => planLayout({ ...req, noiseSlots: -1 })).toThrow(/noiseSlots is -1/);
  });
});
