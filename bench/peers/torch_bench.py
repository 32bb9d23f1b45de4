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
# The graph workloads W5-W7 (bench/peers/models.mjs states each computation) are written as PyTorch users
# write them: nn.Embedding tables, nn.Conv2d / nn.MaxPool2d / nn.Linear (NCHW), nn.LSTM(batch_first=True), the
# loss from torch.nn.functional, loss.backward() and torch.optim.SGD(lr=0.01). Their weights are the
# cache's (gradnoise's init), converted exactly where PyTorch's layout differs: conv kernels [KH, KW, C, F]
# -> [F, C, KH, KW], dense kernels [IN, OUT] -> Linear's [OUT, IN], and W6's first dense layer's inputs
# from gradnoise's flatten order (h, w, c) to PyTorch's (c, h, w).
#
# W8, the Neural GPU, has no torch.nn layer for its convolutional GRU: it is written with F.conv2d and
# elementwise ops (the formulation of test/fixtures/graph/make_torch_fixtures.py's cgru), its state kept
# NCHW throughout, gradnoise's kernels [KH, KW, C, F] converted once to [F, C, KH, KW]; the update is
# torch.nn.utils.clip_grad_norm_(params, 1) and torch.optim.Adam(lr=0.003, foreach=True).
#
# Usage: python3 bench/peers/torch_bench.py --workload W1|...|W8 --threads 1|2 --cache DIR
import argparse, json, math, os, resource, sys, time

T_START = time.perf_counter()
# Debian's torch calls the system BLAS (OpenBLAS through libblas.so.3), whose own thread pool ignores
# torch.set_num_threads: without these, OpenBLAS starts one thread per core next to torch's OpenMP threads
# and the two spin against each other (W1 on "1 thread" fell to a third, on 2 threads to a tenth).
_threads = sys.argv[sys.argv.index('--threads') + 1] if '--threads' in sys.argv else '1'
os.environ.setdefault('OPENBLAS_NUM_THREADS', _threads)
os.environ.setdefault('OMP_NUM_THREADS', _threads)
# The graph workloads' many small operations end in an OpenMP barrier each; libgomp's threads spin there
# by default, and when the machine is busy the spinning thread holds a core the other one needs: on 2
# threads that made them several times slower than with passive waiting (bench/RESULTS.md). Passive waiting
# changes nothing on one thread.
# OMP_WAIT_POLICY=default leaves libgomp's own default (bench/peers/choices.mjs compares the two).
if ('--workload' in sys.argv and sys.argv[sys.argv.index('--workload') + 1] in ('W5', 'W6', 'W7', 'W8')):
    os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
if os.environ.get('OMP_WAIT_POLICY') == 'default':
    del os.environ['OMP_WAIT_POLICY']

import numpy as np
import torch
import torch.nn.functional as F

NETS = {'W1': ([784] + [50] * 20 + [10], 100), 'W2': ([784, 1024, 1024, 10], 128)}
GEMMS = [(512, 512, 512), (128, 1024, 1024)]
LR, CLIP, ETA, GAMMA = 0.01, 10.0, 0.01, 0.55
W8_LR, W8_CLIP, W8_EPS = 0.003, 1.0, 1e-8  # W8's update: clip by global norm 1, Adam (lr 0.003, eps 1e-8)
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


def load_graph(cache, workload):
    """A graph workload's cache (see common.mjs): count, batch, inputs by name (torch tensors), params by name."""
    meta = json.load(open(os.path.join(cache, workload + '.json')))
    inputs = {}
    for i in meta['inputs']:
        a = np.fromfile(os.path.join(cache, i['file']), dtype=np.int32 if i['dtype'] == 'i32' else np.float32)
        inputs[i['name']] = torch.from_numpy(a.reshape([meta['count']] + i['shape']))
    flat = np.fromfile(os.path.join(cache, workload + '.params.f32'), dtype=np.float32)
    params = {p['name']: flat[p['offset']:p['offset'] + int(np.prod(p['shape']))].reshape(p['shape']) for p in meta['params']}
    return meta['count'], meta['batch'], inputs, params


def position_encoding(J, d):
    """Sukhbaatar et al. 2015, section 4.1 (models.mjs's positionEncoding, computed the same way in f64)."""
    pe = np.zeros((J, d), dtype=np.float32)
    for j in range(1, J + 1):
        for k in range(1, d + 1):
            pe[j - 1, k - 1] = (1 - j / J) - (k / d) * (1 - 2 * j / J)
    return torch.from_numpy(pe)


class MemoryBlock(torch.nn.Module):
    """W5: MemN2N with adjacent weight tying, position encoding, 3 hops (models.mjs states it)."""

    def __init__(self, params, K=3, L=6):
        super().__init__()
        self.K = K
        tables = [torch.from_numpy(params['E%d/embeddings' % k].copy()) for k in range(K + 1)]
        self.E = torch.nn.ModuleList(torch.nn.Embedding.from_pretrained(t, freeze=False, padding_idx=0) for t in tables)
        self.register_buffer('pe', position_encoding(L, tables[0].shape[1]))

    def forward(self, story, query):
        # Padding ids read as zero vectors: their position weights are zeroed (row 0 of a table is a live
        # row of the output layer, tied to E_K, so padding_idx alone would not keep it zero).
        s_w = self.pe * (story != 0).unsqueeze(-1)                     # [B, S, L, D]
        q_w = self.pe * (query != 0).unsqueeze(-1)                     # [B, L, D]
        keys = (story != 0).any(-1)                                    # [B, S]
        memories = [(e(story) * s_w).sum(2) for e in self.E]           # [B, S, D] each
        u = (self.E[0](query) * q_w).sum(1)                            # [B, D]
        for k in range(self.K):
            scores = torch.bmm(memories[k], u.unsqueeze(2)).squeeze(2).masked_fill(~keys, float('-inf'))
            p = torch.softmax(scores, 1)
            u = u + torch.bmm(p.unsqueeze(1), memories[k + 1]).squeeze(1)
        return F.linear(u, self.E[self.K].weight)                      # [B, V]


def lenet(params):
    """W6: LeNet-5-style CNN, NCHW (the caller may put it in channels_last memory, see graph_trainer)."""
    nn = torch.nn
    m = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    with torch.no_grad():
        for i, name in [(0, 'conv1'), (3, 'conv2')]:
            m[i].weight.copy_(torch.from_numpy(params[name + '/kernel']).permute(3, 2, 0, 1))
            m[i].bias.copy_(torch.from_numpy(params[name + '/bias']))
        # fc1's inputs: gradnoise flattens [5, 5, 16] as (h, w, c), PyTorch [16, 5, 5] as (c, h, w).
        k = torch.from_numpy(params['fc1/kernel']).reshape(5, 5, 16, 120).permute(2, 0, 1, 3).reshape(400, 120)
        m[7].weight.copy_(k.t())
        for i, name in [(7, 'fc1'), (9, 'fc2'), (11, 'fc3')]:
            if name != 'fc1':
                m[i].weight.copy_(torch.from_numpy(params[name + '/kernel']).t())
            m[i].bias.copy_(torch.from_numpy(params[name + '/bias']))
    return m


class AddingLSTM(torch.nn.Module):
    """W7: nn.LSTM(2, 128, batch_first=True), the last state -> nn.Linear(128, 1)."""

    def __init__(self, params, H=128):
        super().__init__()
        self.lstm = torch.nn.LSTM(2, H, batch_first=True)
        self.out = torch.nn.Linear(H, 1)
        with torch.no_grad():
            for n in ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']:
                getattr(self.lstm, n).copy_(torch.from_numpy(params['lstm/' + n]))
            self.out.weight.copy_(torch.from_numpy(params['out/kernel']).t())
            self.out.bias.copy_(torch.from_numpy(params['out/bias']))

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.out(h[-1])


class NeuralGpu(torch.nn.Module):
    """W8: the Neural GPU (models.mjs states it). The state is kept as NCHW [B, m, width, height] (gradnoise's
    [width, height, m] per example, channels first), so each CGRU's convolutions are F.conv2d with 'same'
    padding 1; its gates as make_torch_fixtures.py's cgru (test/fixtures/graph), with the cutoff."""

    def __init__(self, params, width=17, height=2, maps=12, layers=2, cutoff=1.2):
        super().__init__()
        self.width, self.height, self.maps, self.layers, self.cutoff = width, height, maps, layers, cutoff
        t = lambda name: torch.nn.Parameter(torch.from_numpy(params[name].copy()))
        conv = lambda name: torch.nn.Parameter(torch.from_numpy(params[name]).permute(3, 2, 0, 1).contiguous())  # [KH, KW, C, F] -> [F, C, KH, KW]
        self.embedding = t('embedding/embeddings')
        self.w_in, self.b_in = t('input/kernel'), t('input/bias')
        self.gates = torch.nn.ParameterList(conv('cgru_%d/gates' % l) for l in range(layers))
        self.gates_bias = torch.nn.ParameterList(t('cgru_%d/gatesBias' % l) for l in range(layers))
        self.cand = torch.nn.ParameterList(conv('cgru_%d/candidate' % l) for l in range(layers))
        self.cand_bias = torch.nn.ParameterList(t('cgru_%d/candidateBias' % l) for l in range(layers))
        self.w_out, self.b_out = t('output/kernel'), t('output/bias')

    def gate(self, x):
        # The released code's sigmoid cutoff: clip(c * sigmoid(x) - (c - 1) / 2, 0, 1).
        return torch.clamp(self.cutoff * torch.sigmoid(x) - (self.cutoff - 1) / 2, 0, 1)

    def forward(self, tokens):
        keep = (tokens != 0).to(torch.float32)                                     # [B, W]
        e = torch.tanh(self.embedding[tokens] * keep.unsqueeze(-1))                # the padding id reads a zero vector
        first = e @ self.w_in + self.b_in                                          # [B, W, m]
        mask = keep[:, None, :, None]                                              # [B, 1, W, 1]
        s = F.pad(first.transpose(1, 2).unsqueeze(-1), (0, self.height - 1)) * mask  # [B, m, W, h]: row 0 = first
        m = self.maps
        for _ in range(self.width):
            for l in range(self.layers):
                g = F.conv2d(s, self.gates[l], self.gates_bias[l], padding=1)
                u, r = self.gate(g[:, :m]), self.gate(g[:, m:])
                c = torch.tanh(F.conv2d(r * s, self.cand[l], self.cand_bias[l], padding=1))
                s = (u * s + (1 - u) * c) * mask
        return s[:, :, :, 0].transpose(1, 2) @ self.w_out + self.b_out             # [B, W, classes]


def neural_gpu_loss(logits, targets):
    """Per example the mean cross-entropy over the positions whose target is not padding (0), then the batch mean."""
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=0, reduction='none').reshape(targets.shape)
    count = (targets != 0).sum(1).to(ce.dtype)
    return (ce.sum(1) / count.clamp(min=1)).mean()


def graph_trainer(workload, cache, variant=''):
    count, B, inputs, params = load_graph(cache, workload)
    if workload == 'W5':
        model = MemoryBlock(params)
        story, query, answer = inputs['story'].long(), inputs['query'].long(), inputs['answer'].long()
        batch = lambda fr: ((story[fr:fr + B], query[fr:fr + B]), answer[fr:fr + B])
        loss_fn = F.cross_entropy
    elif workload == 'W6':
        # NCHW, PyTorch's default. --variant channels_last keeps modules and images in channels_last memory
        # (oneDNN's convolutions); bench/peers/choices.mjs compares the two, and found no gain on this
        # machine. The cache's [N, 28, 28, 1] images are channels_last memory already.
        model = lenet(params)
        image, label = inputs['image'].permute(0, 3, 1, 2), inputs['label'].long()
        if variant == 'channels_last':
            model = model.to(memory_format=torch.channels_last)
            assert image.is_contiguous(memory_format=torch.channels_last)
        else:
            image = image.contiguous()
        batch = lambda fr: ((image[fr:fr + B],), label[fr:fr + B])
        loss_fn = F.cross_entropy
    elif workload == 'W7':
        model = AddingLSTM(params)
        x, target = inputs['x'], inputs['target']
        batch = lambda fr: ((x[fr:fr + B],), target[fr:fr + B])
        loss_fn = F.mse_loss
    else:
        model = NeuralGpu(params)
        tokens, targets = inputs['tokens'].long(), inputs['targets'].long()
        batch = lambda fr: ((tokens[fr:fr + B],), targets[fr:fr + B])
        loss_fn = neural_gpu_loss
    # W8: clip by global norm, then Adam (foreach=True, its multi-tensor update, a little faster here than the
    # per-parameter loop that is the default on the CPU); the others plain SGD.
    clip = W8_CLIP if workload == 'W8' else None
    opt = torch.optim.Adam(model.parameters(), lr=W8_LR, eps=W8_EPS, foreach=True) if workload == 'W8' else torch.optim.SGD(model.parameters(), lr=LR)
    initial = [p.detach().clone() for p in model.parameters()]
    nb = count // B
    state = {'s': 0}

    def step():
        xs, y = batch((state['s'] % nb) * B)
        state['s'] += 1
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(*xs), y)
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        return loss

    def run(n):
        for _ in range(n):
            step()

    def moved():
        # The L2 norm of (final - initial) over every parameter (the same-work check).
        with torch.no_grad():
            return math.sqrt(sum(float(((p.double() - p0.double()) ** 2).sum()) for p, p0 in zip(model.parameters(), initial)))

    return run, lambda: step().item(), B, moved


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
    if o.workload in ('W5', 'W6', 'W7', 'W8'):
        run, loss, B, moved = graph_trainer(o.workload, o.cache, o.variant)
        if o.check > 0:
            out = {**base, 'workload': 'check-' + o.workload, 'series': {'loss': [loss() for _ in range(o.check)]}, 'moved': moved()}
        else:
            rates, steps = sample_rates(run, o.warmup or 10, o.samples, o.seconds, B)
            out = {**base, 'unit': 'examples/s', 'series': {'examples/s': rates}, 'steps': steps}
    elif o.check > 0:
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
