// GEMM kernels against their scalar twins, bit for bit, at tail sizes and blocking boundaries, in all
// three forms, writing and accumulating; gemm_batched_f32 against its twin and against item-by-item calls
// of the plain kernels, for every stride layout (shared operands, one C for all items, padded items), with
// guard zones after C and its scratch at its exact size at the end of memory.
import { gemm_batched_f32, gemm_nn_f32, gemm_nt_f32, gemm_tn_f32, gemm_scratch_bytes } from "../../assembly/kernels/gemm";
import { gemm_batched_f32_ref, gemm_nn_f32_ref, gemm_nt_f32_ref, gemm_tn_f32_ref } from "../../assembly/ref/gemm";
import { alloc as guarded, GUARD, SENTINEL } from "./helpers";

let seed: u32 = 12345;
function rnd(): f32 {
  seed = seed * 1664525 + 1013904223;
  return <f32>(<i32>(seed >> 8) - (1 << 23)) / <f32>(1 << 22); // [-2, 2)
}

function fill(p: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), rnd());
}

// Fills a, b and c1 (c2 = c1), runs the kernel into c1 and its scalar twin into c2, and returns the number
// of elements whose bits differ.
function fillAndRun(
  form: i32, a: usize, b: usize, c1: usize, c2: usize, s: usize, M: i32, K: i32, N: i32, accumulate: i32,
): i32 {
  fill(a, M * K); fill(b, K * N); fill(c1, M * N);
  memory.copy(c2, c1, <usize>(M * N * 4));
  if (form == 0) { gemm_nn_f32(c1, a, b, M, K, N, accumulate, s); gemm_nn_f32_ref(c2, a, b, M, K, N, accumulate, 0); }
  if (form == 1) { gemm_nt_f32(c1, a, b, M, K, N, accumulate, s); gemm_nt_f32_ref(c2, a, b, M, K, N, accumulate, 0); }
  if (form == 2) { gemm_tn_f32(c1, a, b, M, K, N, accumulate, s); gemm_tn_f32_ref(c2, a, b, M, K, N, accumulate, 0); }
  let bad = 0;
  for (let i = 0; i < M * N; i++) {
    if (load<u32>(c1 + (<usize>i << 2)) != load<u32>(c2 + (<usize>i << 2))) bad++;
  }
  return bad;
}

// The same on fresh allocations.
function compare(form: i32, M: i32, K: i32, N: i32, accumulate: i32): i32 {
  const a = heap.alloc(<usize>(M * K * 4 + 16));
  const b = heap.alloc(<usize>(K * N * 4 + 16));
  const c1 = heap.alloc(<usize>(M * N * 4 + 16));
  const c2 = heap.alloc(<usize>(M * N * 4 + 16));
  const s = heap.alloc(<usize>gemm_scratch_bytes(M, K, N) + 16);
  const bad = fillAndRun(form, a, b, c1, c2, s, M, K, N, accumulate);
  heap.free(a); heap.free(b); heap.free(c1); heap.free(c2); heap.free(s);
  return bad;
}

// The same with one buffer (which = 0: A, 1: B, 2: C, 3: the scratch, at its exact size) ending exactly
// at the end of memory, in pages grown for it after everything else is allocated: an access past that
// buffer traps instead of passing unnoticed in the slack of an allocation.
function compareAtEnd(form: i32, M: i32, K: i32, N: i32, accumulate: i32, which: i32): i32 {
  const bytesA = <usize>(M * K * 4), bytesB = <usize>(K * N * 4), bytesC = <usize>(M * N * 4);
  const bytesS = <usize>gemm_scratch_bytes(M, K, N);
  let a = heap.alloc(bytesA + 16), b = heap.alloc(bytesB + 16), c1 = heap.alloc(bytesC + 16);
  const c2 = heap.alloc(bytesC + 16);
  let s = heap.alloc(bytesS + 16);
  const moved = which == 0 ? bytesA : which == 1 ? bytesB : which == 2 ? bytesC : bytesS;
  memory.grow(<i32>((moved + 0xffff) >> 16) + 1);
  const top = (<usize>memory.size() << 16) - moved;
  if (which == 0) a = top;
  else if (which == 1) b = top;
  else if (which == 2) c1 = top;
  else s = top;
  return fillAndRun(form, a, b, c1, c2, s, M, K, N, accumulate);
}

const SIZES: i32[] = [0, 1, 3, 4, 5, 8, 17, 43];

describe("gemm equals its scalar twin bit for bit", () => {
  it("at every combination of tail sizes, all forms, write and accumulate", () => {
    for (let form = 0; form < 3; form++) {
      for (let mi = 0; mi < SIZES.length; mi++) for (let ki = 0; ki < SIZES.length; ki++) for (let ni = 0; ni < SIZES.length; ni++) {
        for (let acc = 0; acc < 2; acc++) {
          expect(compare(form, SIZES[mi], SIZES[ki], SIZES[ni], acc)).toBe(0);
        }
      }
    }
  });
  it("at every edge block: h = 1..4 rows (M to 9) by w = 1..8 columns (N to 16), the column tile included", () => {
    const KS: i32[] = [1, 2, 7, 50];
    for (let form = 0; form < 3; form++) {
      for (let M = 1; M <= 9; M++) for (let N = 1; N <= 16; N++) for (let ki = 0; ki < KS.length; ki++) {
        for (let acc = 0; acc < 2; acc++) {
          expect(compare(form, M, KS[ki], N, acc)).toBe(0);
        }
      }
    }
  });
  it("at the paper net's shapes (shards of 24 and 28 rows, whole batches of 100)", () => {
    for (let form = 0; form < 3; form++) {
      for (let acc = 0; acc < 2; acc++) {
        expect(compare(form, 28, 784, 50, acc)).toBe(0);
        expect(compare(form, 24, 50, 50, acc)).toBe(0);
        expect(compare(form, 28, 50, 10, acc)).toBe(0);
        expect(compare(form, 50, 28, 50, acc)).toBe(0);
        expect(compare(form, 784, 24, 50, acc)).toBe(0);
        expect(compare(form, 28, 10, 50, acc)).toBe(0);
        expect(compare(form, 100, 50, 50, acc)).toBe(0);
      }
    }
  });
  it("touches nothing past the end of A, B, C or its scratch (each placed at the end of memory)", () => {
    const MS: i32[] = [1, 2, 3, 5, 6, 7, 50], NS: i32[] = [1, 2, 3, 5, 6, 7, 10, 50];
    for (let form = 0; form < 3; form++) {
      for (let mi = 0; mi < MS.length; mi++) for (let ni = 0; ni < NS.length; ni++) {
        for (let which = 0; which < 4; which++) {
          expect(compareAtEnd(form, MS[mi], 9, NS[ni], 1, which)).toBe(0);
        }
      }
      for (let which = 0; which < 4; which++) {
        expect(compareAtEnd(form, 70, 300, 30, 0, which)).toBe(0);   // the blocked path, edges in M and N
        expect(compareAtEnd(form, 9, 520, 530, 1, which)).toBe(0);
      }
    }
  });
  it("across the cache-blocking boundaries (K > KC, M > MC, N > NC)", () => {
    for (let form = 0; form < 3; form++) {
      expect(compare(form, 70, 300, 30, 0)).toBe(0);
      expect(compare(form, 9, 520, 11, 1)).toBe(0);
      expect(compare(form, 3, 7, 530, 0)).toBe(0);
      expect(compare(form, 100, 50, 50, 0)).toBe(0);
    }
  });
  it("writes zeros for K = 0 unless accumulating", () => {
    const c = heap.alloc(64);
    store<f32>(c, 5);
    gemm_nn_f32(c, 0, 0, 1, 0, 1, 0, 0);
    expect(load<f32>(c)).toBe(0);
    store<f32>(c, 5);
    gemm_nn_f32(c, 0, 0, 1, 0, 1, 1, 0);
    expect(load<f32>(c)).toBe(5);
    heap.free(c);
  });
  it("computes a known product", () => {
    // [1 2; 3 4] x [5 6; 7 8] = [19 22; 43 50]
    const a = heap.alloc(16), b = heap.alloc(16), c = heap.alloc(16), s = heap.alloc(<usize>gemm_scratch_bytes(2, 2, 2));
    store<f32>(a, 1); store<f32>(a, 2, 4); store<f32>(a, 3, 8); store<f32>(a, 4, 12);
    store<f32>(b, 5); store<f32>(b, 6, 4); store<f32>(b, 7, 8); store<f32>(b, 8, 12);
    gemm_nn_f32(c, a, b, 2, 2, 2, 0, s);
    expect(load<f32>(c)).toBe(19); expect(load<f32>(c, 4)).toBe(22);
    expect(load<f32>(c, 8)).toBe(43); expect(load<f32>(c, 12)).toBe(50);
    // Aᵀ·B with A read as [K=2, M=2]: [1 3; 2 4] x B = [26 30; 38 44]
    gemm_tn_f32(c, a, b, 2, 2, 2, 0, s);
    expect(load<f32>(c)).toBe(26); expect(load<f32>(c, 4)).toBe(30);
    expect(load<f32>(c, 8)).toBe(38); expect(load<f32>(c, 12)).toBe(44);
    // A·Bᵀ: [1 2; 3 4] x [5 7; 6 8] = [17 23; 39 53]
    gemm_nt_f32(c, a, b, 2, 2, 2, 0, s);
    expect(load<f32>(c)).toBe(17); expect(load<f32>(c, 4)).toBe(23);
    expect(load<f32>(c, 8)).toBe(39); expect(load<f32>(c, 12)).toBe(53);
    heap.free(a); heap.free(b); heap.free(c); heap.free(s);
  });
});

// ---------------------------------------------------------------- gemm_batched_f32

// Stride layouts, in units of one item's size (+ pad elements): per operand 1 = its own item, 0 = shared.
// Each entry: own A, own B, own C.
const LAYOUTS: i32[] = [1, 1, 1,  1, 0, 1,  0, 1, 1,  1, 1, 0,  1, 0, 0,  0, 1, 0,  0, 0, 0];

// Runs gemm_batched_f32 into c1 (guarded) with a scratch of exactly gemm_scratch_bytes(M, K, N) (atEnd: at
// the end of memory, in pages grown for it; else guarded), its twin into c2, and item-by-item plain
// kernels into c3; returns the differing words of c1 vs c2 (guard zone included) plus those of c1 vs c3,
// plus the scratch's guard words written.
function compareBatched(form: i32, batch: i32, M: i32, K: i32, N: i32, layout: i32, pad: i32, acc: i32,
                        atEnd: bool = false): i32 {
  const ownA = LAYOUTS[layout * 3], ownB = LAYOUTS[layout * 3 + 1], ownC = LAYOUTS[layout * 3 + 2];
  const sa = ownA ? M * K + pad : 0, sb = ownB ? K * N + pad : 0, sc = ownC ? M * N + pad : 0;
  const items = batch > 0 ? batch : 1;
  const na = sa * (items - 1) + M * K, nb = sb * (items - 1) + K * N, nc = sc * (items - 1) + M * N;
  const a = heap.alloc(<usize>(na * 4 + 16)), b = heap.alloc(<usize>(nb * 4 + 16));
  const c1 = guarded(nc), c2 = guarded(nc), c3 = guarded(nc);
  const s2 = heap.alloc(<usize>gemm_scratch_bytes(M, K, N) + 16);
  fill(a, na); fill(b, nb); fill(c1, nc);
  memory.copy(c2, c1, <usize>nc << 2);
  memory.copy(c3, c1, <usize>nc << 2);
  const bytesS = <usize>gemm_scratch_bytes(M, K, N);
  const sWords = <i32>(bytesS >> 2);
  let s1 = guarded(sWords);
  if (atEnd) {
    memory.grow(<i32>((bytesS + 0xffff) >> 16) + 1);
    s1 = (<usize>memory.size() << 16) - bytesS;
  }
  gemm_batched_f32(form, c1, a, b, batch, M, K, N, sa, sb, sc, acc, s1);
  gemm_batched_f32_ref(form, c2, a, b, batch, M, K, N, sa, sb, sc, acc, 0);
  if (batch == 0 && sc == 0 && acc == 0) memory.fill(c3, 0, <usize>(M * N) << 2);
  for (let t = 0; t < batch; t++) {
    const ct = c3 + (<usize>(t * sc) << 2), at = a + (<usize>(t * sa) << 2), bt = b + (<usize>(t * sb) << 2);
    const accT = sc == 0 && t > 0 ? 1 : acc;
    if (form == 0) gemm_nn_f32(ct, at, bt, M, K, N, accT, s2);
    else if (form == 1) gemm_nt_f32(ct, at, bt, M, K, N, accT, s2);
    else gemm_tn_f32(ct, at, bt, M, K, N, accT, s2);
  }
  let bad = 0;
  for (let i = 0; i < nc + GUARD; i++) {
    if (load<u32>(c1 + (<usize>i << 2)) != load<u32>(c2 + (<usize>i << 2))) bad++;
    if (load<u32>(c1 + (<usize>i << 2)) != load<u32>(c3 + (<usize>i << 2))) bad++;
  }
  if (!atEnd) {
    for (let i = sWords; i < sWords + GUARD; i++) if (load<u32>(s1 + (<usize>i << 2)) != SENTINEL) bad++;
    heap.free(s1);
  }
  heap.free(a); heap.free(b); heap.free(c1); heap.free(c2); heap.free(c3); heap.free(s2);
  return bad;
}

describe("gemm_batched_f32 equals its twin and item-by-item GEMMs bit for bit", () => {
  it("every form, stride layout and accumulate flag, at tail sizes, batch 0, 1, 3", () => {
    const DIMS: i32[] = [0, 1, 3, 5, 8, 17];
    const BATCH: i32[] = [0, 1, 3];
    for (let form = 0; form < 3; form++) for (let bi = 0; bi < BATCH.length; bi++) {
      for (let mi = 0; mi < DIMS.length; mi++) for (let ki = 0; ki < DIMS.length; ki++) for (let ni = 0; ni < DIMS.length; ni++) {
        for (let layout = 0; layout < 7; layout++) for (let acc = 0; acc < 2; acc++) {
          const label = "form " + form.toString() + " batch " + BATCH[bi].toString() + " " + DIMS[mi].toString() + "x" +
            DIMS[ki].toString() + "x" + DIMS[ni].toString() + " layout " + layout.toString() + " acc " + acc.toString();
          expect(compareBatched(form, BATCH[bi], DIMS[mi], DIMS[ki], DIMS[ni], layout, 0, acc)).toBe(0, label);
        }
      }
    }
  });
  it("padded items, attention-like shapes, and shared-B shapes that run merged as one GEMM or not", () => {
    for (let form = 0; form < 3; form++) for (let layout = 0; layout < 7; layout++) for (let acc = 0; acc < 2; acc++) {
      expect(compareBatched(form, 4, 5, 7, 9, layout, 3, acc, true)).toBe(0, "padded");
      expect(compareBatched(form, 32, 1, 32, 50, layout, 0, acc, true)).toBe(0, "attention scores");
      expect(compareBatched(form, 32, 50, 50, 32, layout, 0, acc, true)).toBe(0, "attention output");
      expect(compareBatched(form, 6, 24, 50, 50, layout, 0, acc, true)).toBe(0, "merged rows stay small");
      expect(compareBatched(form, 3, 30, 200, 20, layout, 0, acc, true)).toBe(0, "K past KC: the blocked path per item");
      expect(compareBatched(form, 700, 100, 1, 3, layout, 0, acc, true)).toBe(0, "merged rows would need more scratch");
    }
  });
  it("one-row items (the row-vector paths) at every column count to 70 and k counts around the 4-k steps", () => {
    const KS: i32[] = [1, 2, 3, 4, 5, 7, 8, 9, 32, 50];
    for (let form = 0; form < 3; form++) for (let ki = 0; ki < KS.length; ki++) for (let N = 1; N <= 70; N++) {
      for (let acc = 0; acc < 2; acc++) {
        const label = "M = 1 form " + form.toString() + " K " + KS[ki].toString() + " N " + N.toString();
        expect(compareBatched(form, 2, 1, KS[ki], N, 0, 1, acc)).toBe(0, label);
        expect(compareBatched(form, 2, 1, KS[ki], N, 3, 0, acc)).toBe(0, label + ", one C");
      }
    }
    for (let form = 0; form < 3; form++) {
      for (let which = 0; which < 3; which++) {
        expect(compareRowAtEnd(form, 9, 37, which)).toBe(0, "operand " + which.toString() + " at the end of memory");
        expect(compareRowAtEnd(form, 4, 16, which)).toBe(0, "operand " + which.toString() + " at the end of memory");
      }
    }
  });
  it("a known batched product, a shared weight, and a weight gradient summed over items", () => {
    const a = heap.alloc(64), b = heap.alloc(64), c = heap.alloc(64), s = heap.alloc(<usize>gemm_scratch_bytes(1, 2, 2) + 64);
    // items A_0 = [1 2], A_1 = [3 4] (1 x 2); B_0 = I, B_1 = [5 6; 7 8]
    store<f32>(a, 1); store<f32>(a, 2, 4); store<f32>(a, 3, 8); store<f32>(a, 4, 12);
    store<f32>(b, 1); store<f32>(b, 0, 4); store<f32>(b, 0, 8); store<f32>(b, 1, 12);
    store<f32>(b, 5, 16); store<f32>(b, 6, 20); store<f32>(b, 7, 24); store<f32>(b, 8, 28);
    gemm_batched_f32(0, c, a, b, 2, 1, 2, 2, 2, 4, 2, 0, s);
    expect(load<f32>(c)).toBe(1); expect(load<f32>(c, 4)).toBe(2);
    expect(load<f32>(c, 8)).toBe(43); expect(load<f32>(c, 12)).toBe(50);
    // shared B_1 (sb = 0 from b + 16)
    gemm_batched_f32(0, c, a, b + 16, 2, 1, 2, 2, 2, 0, 2, 0, s);
    expect(load<f32>(c)).toBe(19); expect(load<f32>(c, 4)).toBe(22);
    expect(load<f32>(c, 8)).toBe(43); expect(load<f32>(c, 12)).toBe(50);
    // one C: [1 2] I + [3 4] B_1 = [1 2] + [43 50]
    gemm_batched_f32(0, c, a, b, 2, 1, 2, 2, 2, 4, 0, 0, s);
    expect(load<f32>(c)).toBe(44); expect(load<f32>(c, 4)).toBe(52);
    // the empty sum writes zeros unless accumulating
    gemm_batched_f32(2, c, a, b, 0, 1, 2, 2, 2, 4, 0, 1, s);
    expect(load<f32>(c)).toBe(44);
    gemm_batched_f32(2, c, a, b, 0, 1, 2, 2, 2, 4, 0, 0, s);
    expect(load<f32>(c)).toBe(0); expect(load<f32>(c, 4)).toBe(0);
    heap.free(a); heap.free(b); heap.free(c); heap.free(s);
  });
});

// One row-vector item (M = 1) with A (which = 0), B (1) or C (2) ending exactly at the end of memory: the
// row-vector paths read nothing past any operand.
function compareRowAtEnd(form: i32, K: i32, N: i32, which: i32): i32 {
  const bytesA = <usize>K << 2, bytesB = <usize>(K * N) << 2, bytesC = <usize>N << 2;
  let a = heap.alloc(bytesA + 16), b = heap.alloc(bytesB + 16), c1 = heap.alloc(bytesC + 16);
  const c2 = heap.alloc(bytesC + 16), s = heap.alloc(<usize>gemm_scratch_bytes(1, K, N) + 16);
  const moved = which == 0 ? bytesA : which == 1 ? bytesB : bytesC;
  memory.grow(<i32>((moved + 0xffff) >> 16) + 1);
  const top = (<usize>memory.size() << 16) - moved;
  if (which == 0) a = top;
  else if (which == 1) b = top;
  else c1 = top;
  fill(a, K); fill(b, K * N); fill(c1, N);
  memory.copy(c2, c1, bytesC);
  gemm_batched_f32(form, c1, a, b, 1, 1, K, N, 0, 0, 0, 1, s);
  gemm_batched_f32_ref(form, c2, a, b, 1, 1, K, N, 0, 0, 0, 1, 0);
  let bad = 0;
  for (let i = 0; i < N; i++) if (load<u32>(c1 + (<usize>i << 2)) != load<u32>(c2 + (<usize>i << 2))) bad++;
  return bad;
}
