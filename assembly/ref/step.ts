// Scalar twins of optim/step.ts: docs/update.md transcribed literally, one element at a time, flags tested
// per element, each noise value computed alone from its stream index with gaussian_at_f32 (no chunks, no
// scratch). Same signatures; TMP is ignored. Slow by design (one Philox per noisy element).
import {
  U_GSCALE, U_CLIP_VALUE, U_CLIP_SCALE, U_SIGMA, U_LR, U_WD, U_A, U_B, U_C, U_D, U_EPS, U_E, U_F, U_FLAGS,
  U_STEP, U_SEED_LO, U_SEED_HI, U_G, OPT_SGD, OPT_ADAM, OPT_ADAMW, OPT_ADAGRAD, OPT_RMSPROP,
  U_F_CLIP_VALUE, U_F_CLIP_NORM, U_F_NOISE, U_F_PRESCALED, U_F_MOMENTUM, U_F_NESTEROV, U_F_FIRST,
  U_F_CENTERED, U_F_WD, RNG_DOMAIN_NOISE,
} from "../shared/abi";
import { gaussian_at_f32 } from "../rng";

/** n(i) = fr(0 + fr(sigma * z(i))) for element `i` of tensor `tensor`. */
function noise_ref(hyper: usize, tensor: i32, i: i32): f32 {
  const z = gaussian_at_f32((<u64><u32>tensor << 34) + <u64><u32>i, load<u32>(hyper, U_SEED_LO),
    load<u32>(hyper, U_SEED_HI), load<u32>(hyper, U_STEP), RNG_DOMAIN_NOISE);
  return <f32>0 + load<f32>(hyper, U_SIGMA) * z;
}

export function grad_sumsq_f64_ref(
  hyper: usize, g: usize, n: i32, tensor: i32, start: i32, tmp: usize, noise_first: i32,
): f64 {
  const flags = load<u32>(hyper, U_FLAGS);
  const write = noise_first != 0;
  const noise = write && (flags & U_F_NOISE) != 0;
  const gs = load<f32>(hyper, U_GSCALE);
  let l0: f64 = 0, l1: f64 = 0, l2: f64 = 0, l3: f64 = 0, s: f64 = 0;
  const n4 = n & ~3;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    let x = load<f32>(g + o) * gs;
    if (noise) x = x + noise_ref(hyper, tensor, start + i);
    if (write) store<f32>(g + o, x);
    const q = <f64>x * <f64>x;
    if (i < n4) {
      const j = i & 3;
      if (j == 0) l0 += q;
      else if (j == 1) l1 += q;
      else if (j == 2) l2 += q;
      else l3 += q;
    } else {
      if (i == n4) s = (l0 + l1) + (l2 + l3);
      s += q;
    }
  }
  if (n == n4) s = (l0 + l1) + (l2 + l3);
  return s;
}

export function first_nonfinite_f32_ref(g: usize, n: i32): i32 {
  for (let i = 0; i < n; i++) {
    if (!isFinite<f32>(load<f32>(g + (<usize>i << 2)))) return i;
  }
  return -1;
}

export function fused_update_f32_ref(
  hyper: usize, p: usize, g: usize, s0: usize, s1: usize, s2: usize, n: i32, tensor: i32, start: i32,
  tmp: usize,
): void {
  const flags = load<u32>(hyper, U_FLAGS);
  const kind = flags & 15;
  const gscale = load<f32>(hyper, U_GSCALE), c = load<f32>(hyper, U_CLIP_VALUE);
  const clipScale = load<f32>(hyper, U_CLIP_SCALE), lr = load<f32>(hyper, U_LR), wd = load<f32>(hyper, U_WD);
  const A = load<f32>(hyper, U_A), B = load<f32>(hyper, U_B), C = load<f32>(hyper, U_C);
  const D = load<f32>(hyper, U_D), E = load<f32>(hyper, U_E), F = load<f32>(hyper, U_F);
  const G = load<f32>(hyper, U_G), eps = load<f32>(hyper, U_EPS);
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    let x: f32 = load<f32>(g + o);
    let w: f32 = load<f32>(p + o);
    if ((flags & U_F_PRESCALED) == 0) x = x * gscale;
    if ((flags & U_F_CLIP_VALUE) != 0) x = min<f32>(max<f32>(x, -c), c);
    if ((flags & U_F_CLIP_NORM) != 0) x = x * clipScale;
    if ((flags & U_F_NOISE) != 0 && (flags & U_F_PRESCALED) == 0) x = x + noise_ref(hyper, tensor, start + i);
    if ((flags & U_F_WD) != 0 && kind != OPT_ADAMW) x = x + wd * w;
    if (kind == OPT_SGD) {
      if ((flags & U_F_MOMENTUM) != 0) {
        let m: f32;
        if ((flags & U_F_FIRST) != 0) m = x;
        else m = A * load<f32>(s0 + o) + B * x;
        store<f32>(s0 + o, m);
        if ((flags & U_F_NESTEROV) != 0) x = x + A * m;
        else x = m;
      }
      w = w - lr * x;
    } else if (kind == OPT_ADAM || kind == OPT_ADAMW) {
      if (kind == OPT_ADAMW) w = w * G;
      const m = A * load<f32>(s0 + o) + B * x;
      const v = C * load<f32>(s1 + o) + (D * x) * x;
      store<f32>(s0 + o, m);
      store<f32>(s1 + o, v);
      const den = Mathf.sqrt(v) / F + eps;
      w = w - E * (m / den);
    } else if (kind == OPT_ADAGRAD) {
      const s = load<f32>(s0 + o) + x * x;
      store<f32>(s0 + o, s);
      w = w - E * (x / (Mathf.sqrt(s) + eps));
    } else if (kind == OPT_RMSPROP) {
      const sq = A * load<f32>(s0 + o) + (B * x) * x;
      store<f32>(s0 + o, sq);
      let den: f32;
      if ((flags & U_F_CENTERED) != 0) {
        const mu = A * load<f32>(s2 + o) + B * x;
        store<f32>(s2 + o, mu);
        den = Mathf.sqrt(sq - mu * mu) + eps;
      } else {
        den = Mathf.sqrt(sq) + eps;
      }
      if ((flags & U_F_MOMENTUM) != 0) {
        const b = C * load<f32>(s1 + o) + x / den;
        store<f32>(s1 + o, b);
        w = w - lr * b;
      } else {
        w = w - lr * (x / den);
      }
    } else {
      unreachable();
    }
    store<f32>(p + o, w);
    store<f32>(g + o, 0);
  }
}
