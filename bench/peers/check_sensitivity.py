# How large a real change of the work is, against the same-work check's tolerances (bench/peers/run.mjs):
# PyTorch trains each graph workload for 50 steps as torch_bench.py does, then again with one thing changed
# that a peer could get wrong, and prints the largest difference of a step's loss and the relative
# difference of the distance the weights moved (the L2 norm of final - initial). The check's tolerances
# (1e-4 on the loss, 1e-4 relative on the distance) must sit between float rounding (about 1e-6) and these.
#
#   node bench/peers/run.mjs --only W5,W6,W7 --systems none --no-write --keep-cache DIR
#   OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 bench/peers/check_sensitivity.py DIR
# W8 (the Neural GPU) is compared too when DIR holds its cache (--only W5,W6,W7,W8, or --only W8 and
# `--only W8` here to compare it alone).
# bench/measured/check-sensitivity.txt is the committed output.
import math, os, sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
tb = {}
exec(compile(open(os.path.join(HERE, 'torch_bench.py')).read().replace('\nmain()\n', '\n'), 'torch_bench.py', 'exec'), tb)
torch.set_num_threads(1)
CACHE, STEPS = sys.argv[1], 50
F = tb['F']


def train(workload):
    run, loss, _, moved = tb['graph_trainer'](workload, CACHE)
    return [loss() for _ in range(STEPS)], moved()


ONLY_W8 = '--only' in sys.argv and sys.argv[sys.argv.index('--only') + 1] == 'W8'
ref = {w: train(w) for w in (() if ONLY_W8 else ('W5', 'W6', 'W7'))}
if os.path.exists(os.path.join(CACHE, 'W8.json')):
    ref['W8'] = train('W8')


def compare(what, workload):
    losses, moved = train(workload)
    r_losses, r_moved = ref[workload]
    d = max(abs(a - b) for a, b in zip(losses, r_losses))
    rel = abs(moved - r_moved) / r_moved
    print(f'{workload} {what}: largest loss difference {d:.1e}, distance moved {moved:.6g} against {r_moved:.6g} ({rel:.1e} relative)')


# W8: the mistakes a Neural GPU peer could make: plain sigmoid gates (no cutoff), the loss averaged over
# the batch's positions instead of per example, no clip, the released code's Adam epsilon 1e-4, the
# learning rate 1% too high, no update at all.
def neural_gpu_cases():
    NeuralGpu, loss, gate = tb['NeuralGpu'], tb['neural_gpu_loss'], tb['NeuralGpu'].gate
    NeuralGpu.gate = lambda self, x: torch.sigmoid(x)
    compare('gates a plain sigmoid (no cutoff 1.2)', 'W8')
    NeuralGpu.gate = gate

    def pooled(logits, targets):
        ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=0, reduction='none')
        return ce.sum() / (targets != 0).sum()
    tb['neural_gpu_loss'] = pooled
    compare("the loss the mean over the batch's positions, not per example", 'W8')
    tb['neural_gpu_loss'] = loss
    for name, value, what in (('W8_CLIP', None, 'no clip'), ('W8_EPS', 1e-4, 'Adam eps 1e-4'), ('W8_LR', tb['W8_LR'] * 1.01, 'learning rate 1% too high'),
                              ('W8_LR', 0.0, 'no update at all (lr 0)')):
        saved, tb[name] = tb[name], value
        compare(what, 'W8')
        tb[name] = saved


if 'W8' in ref:
    neural_gpu_cases()
if ONLY_W8:
    sys.exit(0)

# W5 with row 0 of the tables read for the padding id (no zeroed position weight).
MemoryBlock = tb['MemoryBlock']
masked = MemoryBlock.forward


def unmasked(self, story, query):
    pe_s = self.pe.expand(tuple(story.shape) + (self.pe.shape[1],))
    pe_q = self.pe.expand(tuple(query.shape) + (self.pe.shape[1],))
    keys = (story != 0).any(-1)
    memories = [(e(story) * pe_s).sum(2) for e in self.E]
    u = (self.E[0](query) * pe_q).sum(1)
    for k in range(self.K):
        scores = torch.bmm(memories[k], u.unsqueeze(2)).squeeze(2).masked_fill(~keys, float('-inf'))
        u = u + torch.bmm(torch.softmax(scores, 1).unsqueeze(1), memories[k + 1]).squeeze(1)
    return F.linear(u, self.E[self.K].weight)


MemoryBlock.forward = unmasked
compare('padding read as row 0 of the tables', 'W5')
MemoryBlock.forward = masked

# W6's first dense layer without the flatten-order conversion.
lenet = tb['lenet']


def lenet_unconverted(params):
    m = lenet(params)
    with torch.no_grad():
        m[7].weight.copy_(torch.from_numpy(params['fc1/kernel']).t())
    return m


tb['lenet'] = lenet_unconverted
compare('flatten order (h, w, c) read as (c, h, w)', 'W6')
tb['lenet'] = lenet

# W7 with Keras' single bias stepped at lr (b_hh frozen at 0, b_ih = b_ih + b_hh).
AddingLSTM = tb['AddingLSTM']


class OneBias(AddingLSTM):
    def __init__(self, params, H=128):
        super().__init__(params, H)
        with torch.no_grad():
            self.lstm.bias_ih_l0.add_(self.lstm.bias_hh_l0)
            self.lstm.bias_hh_l0.zero_()
        self.lstm.bias_hh_l0.requires_grad_(False)


tb['AddingLSTM'] = OneBias
compare('one LSTM bias b_ih + b_hh stepped at lr, not 2 lr', 'W7')
tb['AddingLSTM'] = AddingLSTM

# The learning rate 1% too high, and no update at all.
LR = tb['LR']
for lr, what in ((LR * 1.01, 'learning rate 1% too high'), (0.0, 'no update at all (lr 0)')):
    tb['LR'] = lr
    for w in ('W5', 'W6', 'W7'):
        compare(what, w)
tb['LR'] = LR
