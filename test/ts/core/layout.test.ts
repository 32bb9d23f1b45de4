import { describe, expect, it } from 'vitest';
import { planLayout, type LayoutRequest } from '../../../src/core/layout.js';
import { ALIGN, GEMM_READ_SLACK, HEADER_BYTES } from '../../../src/core/abi.js';

const req: LayoutRequest = {
  base: 1000,
  params: [{ name: 'a/kernel', elements: 6 }, { name: 'a/bias', elements: 3 }, { name: 'b/kernel', elements: 5 }],
  gradSlots: 2,
  stateSlots: 2,
  activations: [{ name: 'input', elements: 7 }, { name: 'a/out', elements: 1 }],
  activationGrads: [{ name: 'a/dout', elements: 9 }],
  scratchBytes: 100,
};

describe('planLayout', () => {
  const plan = planLayout(req);

  it('lays the blocks out in order, header first, from a cache-line boundary past base', () => {
    expect(plan.header.offset).toBe(1024);
    expect(plan.header.bytes).toBe(HEADER_BYTES);
    const blocks = [plan.header, plan.params, ...plan.grads, ...plan.optState, plan.activations, plan.activationGrads, plan.scratch];
    expect(blocks.map((b) => b.kind)).toEqual(['header', 'params', 'grads', 'grads', 'optState', 'optState', 'activations', 'activationGrads', 'scratch']);
    for (let i = 1; i < blocks.length; i++) {
      expect(blocks[i]!.offset).toBe(blocks[i - 1]!.offset + blocks[i - 1]!.bytes);
      expect(blocks[i]!.offset % 64).toBe(0);
    }
    expect(plan.end).toBe(plan.scratch.offset + plan.scratch.bytes);
    expect(plan.pages).toBe(Math.ceil((plan.end + GEMM_READ_SLACK) / 65536));
    // An arena ending exactly on a page boundary still gets room for the GEMM's over-read.
    const tight = planLayout({ base: 0, params: [], activations: [{ name: 'x', elements: (65536 - 256) / 4 }], activationGrads: [], scratchBytes: 0 });
    expect(tight.end).toBe(65536);
    expect(tight.pages).toBe(2);
  });

  it('aligns every tensor to 16 bytes and never overlaps two tensors', () => {
    const all = [...plan.paramTensors.values(), ...plan.activationTensors.values(), ...plan.activationGradTensors.values()];
    const spans = all.map((p) => [p.offset, p.offset + p.elements * 4] as const).sort((x, y) => x[0] - y[0]);
    for (const p of all) expect(p.offset % ALIGN).toBe(0);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
  });

  it('gives grads and optimizer state the params layout, so the optimizer is one flat loop', () => {
    expect(plan.params.bytes).toBe(plan.grads[0]!.bytes);
    for (const b of [...plan.grads, ...plan.optState]) expect(b.bytes).toBe(plan.params.bytes);
    const k = plan.paramTensors.get('b/kernel')!;
    expect(k.offset - plan.params.offset).toBe(32 + 16); // 6 floats -> 32 bytes, 3 floats -> 16 bytes
    expect(plan.scratch.bytes).toBe(128);
  });

  it('is pure: the same request gives the same plan and hash; any change changes the hash', () => {
    expect(planLayout(req).hash).toBe(plan.hash);
    expect(planLayout({ ...req, base: 2048 }).hash).not.toBe(plan.hash);
    expect(planLayout({ ...req, params: [...req.params.slice(0, 2), { name: 'b/kernel', elements: 6 }] }).hash).not.toBe(plan.hash);
    expect(planLayout({ ...req, stateSlots: 1 }).hash).not.toBe(plan.hash);
  });

  it('handles empty tensors and no optimizer state', () => {
    const p = planLayout({ base: 0, params: [{ name: 'w', elements: 0 }], activations: [], activationGrads: [], scratchBytes: 0 });
    expect(p.grads.length).toBe(1);
    expect(p.optState.length).toBe(0);
    expect(p.params.bytes).toBe(0);
    expect(p.end).toBe(HEADER_BYTES);
  });

  it('rejects bad requests with the offending name and value', () => {
    expect(() => planLayout({ ...req, params: [{ name: 'w', elements: 1 }, { name: 'w', elements: 2 }] })).toThrow(/params tensor "w" is named twice/);
    expect(() => planLayout({ ...req, activations: [{ name: 'x', elements: -1 }] })).toThrow(/activations tensor "x" has -1 elements/);
    expect(() => planLayout({ ...req, activations: [{ name: 'x', elements: 1.5 }] })).toThrow(/1.5 elements/);
    expect(() => planLayout({ ...req, gradSlots: 0 })).toThrow(/gradSlots is 0/);
    expect(() => planLayout({ ...req, scratchBytes: NaN })).toThrow(/scratchBytes is NaN/);
    expect(() => planLayout({ ...req, params: [{ name: '', elements: 1 }] })).toThrow(/empty name/);
  });
});
