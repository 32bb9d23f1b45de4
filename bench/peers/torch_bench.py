# Native PyTorch on the CPU in the peer benchmarks: the reference for what native code (AVX2 FMA kernels,
# OpenBLAS or oneDNN, OpenMP threads) reaches on this machine. Debian's python3-torch with libopenblas0.
#
# Same work as the JavaScript runners (bench/peers/common.mjs): it reads the driver's cache (the permuted
# MNIST arrays and gradnoise's initial weights), W kernels [IN, OUT] so a layer is x @ W + b, ReLU,
# F.cross_entropy (mean softmax cross-entropy), loss.backward(), and the SGD update by hand under no_grad.
# W4 clips with torch.nn.utils.clip_grad_norm_(params, 10) and adds torch.randn_like(p) * sigma_t to each
# gradient before the update. Threads: torch.set_num_threads(n) (intra-op; one inter-op thread).
# A run of n steps is synchronous on the CPU: the time covers all the work.
#
# Usage: python3 bench/peers/torch_bench.py --workload W1|W2|W3|W4 --threads 1|2 --cache DIR
import argparse, json, math, os, resource, sys, time

T_START = time.perf_counter()
# Debian's torch calls the system BLAS (OpenBLAS through libblas.so.3), whose own thread pool ignores
# torch.set_num_threads: without these, OpenBLAS starts one thread per core next to torch's OpenMP threads
# and the two spin against each other (W1 on "1 thread" fell to a third, on 2 threads to a tenth).
_threads = sys.argv[sys.argv.index('--threads') + 1] if '--threads' in sys.argv else '1'
os.environ.setdefault('OPENBLAS_NUM_THREADS', _threads)
os.environ.setdefault('OMP_NUM_THREADS', _threads)

import numpy as np
import torch
import torch.nn.functional as F

NETS = {'W1': ([784] + [50] * 20 + [10], 100), 'W2': ([784, 1024, 1024, 10], 128)}
GEMMS = [(512, 512, 512), (128, 1024, 1024)]
LR, CLIP, ETA, GAMMA = 0.01, 10.0, 0.01, 0.55
W4_VARIANTS = ['sgd', 'clip+sgd', 'clip+noise+sgd']


def flops_per_example(dims):
    return sum(dims[i] * dims[i + 1] * (4 if i == 0 else 6) for i in range(len(dims) - 1))


def load(cache):
    meta = json.load(open(os.path.join(cache, 'meta.json')))
    x = torch.from_numpy(np.fromfile(os.path.join(cache, 'x.f32'), dtype=np.float32).reshape(meta['count'], 784))
    y = torch.from_numpy(np.fromfile(os.path.join(cache, 'y.u8'), dtype=np.uint8).astype(np.int64))
    params = {}
    for net, (dims, _) in NETS.items():
        flat = np.fromfile(os.path.join(cache, net + '.f32'), dtype=np.float32)
        off, ps = 0, []
        for i in range(len(dims) - 1):
            w = flat[off:off + dims[i] * dims[i + 1]].reshape(dims[i], dims[i + 1]); off += w.size
            b = flat[off:off + dims[i + 1]]; off += b.size
            ps.append((torch.tensor(w), torch.tensor(b)))
        params[net] = ps
    return meta['count'], x, y, params


def trainer(net, update, count, x, y, params):
    dims, B = NETS[net]
    ps = [t.clone().requires_grad_(True) for wb in params[net] for t in wb]
    nb = count // B
    state = {'s': 0}

    def step():
        s = state['s']
        fr = (s % nb) * B
        h = x[fr:fr + B]
        for l in range(len(dims) - 1):
            h = h @ ps[2 * l] + ps[2 * l + 1]
            if l < len(dims) - 2:
                h = torch.relu(h)
        loss = F.cross_entropy(h, y[fr:fr + B])
        loss.backward()
        if update != 'sgd':
            torch.nn.utils.clip_grad_norm_(ps, CLIP)
        with torch.no_grad():
            sigma = math.sqrt(ETA / (1 + s) ** GAMMA)
            for p in ps:
                if update == 'clip+noise+sgd':
                    p.grad.add_(torch.randn_like(p), alpha=sigma)
                p.sub_(p.grad, alpha=LR)
                p.grad = None
        state['s'] = s + 1
        return loss

    def run(n):
        for _ in range(n):
            step()

    return run, lambda: step().item()


def sample_rates(run, warmup, samples, seconds, per_step, min_steps=1):
    def timed(n):
        t0 = time.perf_counter(); run(n); return time.perf_counter() - t0
    t1 = timed(1)  # the first step allocates; a slow step (seconds) warms up on fewer
    more = min(warmup - 1, int(2 * seconds / t1))
    if more > 0:
        timed(more)
    n, t = 1, timed(1)
    while t < seconds / 5 and n < 1e7:
        n *= 2; t = timed(n)
    steps = max(min_steps, round(n * seconds / t))
    return [steps * per_step / timed(steps) for _ in range(samples)], steps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--workload', default='W1'); ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--variant', default=''); ap.add_argument('--samples', type=int, default=3)
    ap.add_argument('--seconds', type=float, default=1.0); ap.add_argument('--warmup', type=int, default=0)
    ap.add_argument('--cache', required=True); ap.add_argument('--check', type=int, default=0)
    o = ap.parse_args()
    torch.set_num_threads(o.threads)
    torch.set_num_interop_threads(1)
    blas = os.path.realpath('/etc/alternatives/libblas.so.3-x86_64-linux-gnu') if os.path.exists('/etc/alternatives/libblas.so.3-x86_64-linux-gnu') else 'unknown'
    cfg = torch.__config__.show()
    info = {'version': torch.__version__, 'threads': torch.get_num_threads(), 'libblas': blas,
            'mkldnn': torch.backends.mkldnn.is_available(), 'capability': next((l.split(':')[1].strip() for l in cfg.splitlines() if 'CPU capability' in l), '')}
    base = {'system': 'torch', 'variant': 'cpu', 'workload': o.workload, 'threads': o.threads, 'info': info}
    count, x, y, params = load(o.cache)
    if o.check > 0:
        _, loss = trainer('W1', 'sgd', count, x, y, params)
        out = {**base, 'workload': 'check', 'series': {'loss': [loss() for _ in range(o.check)]}}
    elif o.workload == 'W3':
        series = {}
        g = torch.Generator().manual_seed(1)
        for M, K, N in GEMMS:
            a, b = torch.randn(M, K, generator=g), torch.randn(K, N, generator=g)
            def run(n):
                for _ in range(n):
                    torch.mm(a, b)
            series[f'{M}x{K}x{N}'] = sample_rates(run, 2, o.samples, o.seconds, 2 * M * K * N / 1e9)[0]
        out = {**base, 'unit': 'GFLOP/s', 'series': series}
    else:
        net = 'W1' if o.workload == 'W4' else o.workload
        warm = o.warmup or (30 if net == 'W1' else 3)
        per = NETS[net][1]
        if o.workload == 'W4':
            runs = {v: trainer(net, v, count, x, y, params)[0] for v in W4_VARIANTS}
            # Turns of a third of a sample, three times as many, as common.mjs's sampleInterleaved.
            steps = max(sample_rates(r, warm, 0, o.seconds / 3, per)[1] for r in runs.values())
            series = {v: [] for v in W4_VARIANTS}
            for _ in range(3 * o.samples):
                for v, r in runs.items():
                    t0 = time.perf_counter(); r(steps); series[v].append(steps * per / (time.perf_counter() - t0))
            out = {**base, 'unit': 'examples/s', 'series': series, 'steps': steps,
                   'info': {**info, 'how': 'torch.nn.utils.clip_grad_norm_(params, 10), then p.grad.add_(torch.randn_like(p), alpha=sigma_t)'}}
        else:
            run, _ = trainer(net, 'sgd', count, x, y, params)
            rates, steps = sample_rates(run, warm, o.samples, o.seconds, per)
            out = {**base, 'unit': 'examples/s', 'flopsPerExample': flops_per_example(NETS[net][0]), 'series': {'examples/s': rates}, 'steps': steps}
    ru = resource.getrusage(resource.RUSAGE_SELF)
    out['cpuPerWall'] = (ru.ru_utime + ru.ru_stime) / (time.perf_counter() - T_START)
    print(json.dumps(out), flush=True)


main()
