import fc from 'fast-check';
import { it } from 'vitest';
import { __debug } from './configs.fuzz.test.js';
it('dbg', () => {
  const count = new Map<string, number>();
  for (const s of fc.sample(__debug.specGen, { seed: 1, numRuns: 300 })) for (const w of new Set(s.bad)) count.set('spec:' + w, (count.get('spec:' + w) ?? 0) + 1);
  for (const s of fc.sample(__debug.optionsGen, { seed: 1, numRuns: 300 })) for (const w of new Set(s.bad)) count.set('opt:' + w, (count.get('opt:' + w) ?? 0) + 1);
  for (const s of fc.sample(__debug.fitCase(5, 3, false), { seed: 1, numRuns: 300 })) for (const w of new Set(s.bad)) count.set('fit:' + w, (count.get('fit:' + w) ?? 0) + 1);
  console.log([...count].sort((a, b) => b[1] - a[1]));
  console.log('spec clean', fc.sample(__debug.specGen, { seed: 1, numRuns: 300 }).filter((s) => s.bad.length === 0).length);
  console.log('opt clean', fc.sample(__debug.optionsGen, { seed: 1, numRuns: 300 }).filter((s) => s.bad.length === 0).length);
  console.log('fit clean', fc.sample(__debug.fitCase(5, 3, false), { seed: 1, numRuns: 300 }).filter((s) => s.bad.length === 0).length);
});
