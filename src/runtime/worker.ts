// A training worker. It attaches to the host's shared memory with its own instance of the core, then waits
// for runs: the leader (id 0) runs the training loop (runtime/loop.ts) and publishes each step through the
// control block; the others do their share of every step until the leader says done (runtime/parallel.ts).
// Progress goes back to the host as messages, a few per second; steps never wait for the host.
import { coreModuleFrom } from '../core/wasm.js';
import { Network } from '../graph/network.js';
import { FusedUpdater } from '../optim/fused.js';
import { Engine, NonFiniteError, evaluateStaged } from './engine.js';
import { serveNoise, type HelperInit } from './helper.js';
import { trainLoop, type StepInfo } from './loop.js';
import { Crew } from './parallel.js';
import type { ErrorData, FitMessage, InitMessage, WorkerMessage } from './protocol.js';
import { Control, PeerFailure } from './sync.js';
import { hostPort, type HostPort } from './threads.js';

let port: HostPort;
const post = (m: WorkerMessage) => port.post(m);
let crew: Crew | null = null;
let id = -1;

function errorData(e: unknown): ErrorData {
  if (e instanceof NonFiniteError) return { name: e.name, message: e.message, stack: e.stack, step: e.step, tensor: e.tensor, index: e.index, layer: e.layer };
  if (e instanceof PeerFailure) return { name: e.name, message: e.message, peer: true };
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: 'Error', message: String(e) };
}

function init(m: InitMessage): void {
  id = m.id;
  const mod = coreModuleFrom(m.build, m.module);
  const net = new Network(mod, m.spec, { ...m.net, memory: m.memory });
  const engine = new Engine(net, new FusedUpdater(net, m.fused), null);
  const ctl = new Control(m.control, m.parties, m.net.shards, engine.units.length, m.spin);
  crew = new Crew(engine, ctl, m.id);
  post({ type: 'ready', id });
}

function injectFault(m: FitMessage, c: Crew): void {
  const f = m.fault;
  if (!f || f.worker !== id) return;
  const net = c.engine.net;
  const original = net.forward.bind(net);
  net.forward = (s, rows, row0, training) => {
    if (net.step === f.step) {
      if (f.kind === 'hang') {
        // Sleeps without ever looking at the control block, as a deadlocked worker would.
        const never = new Int32Array(new SharedArrayBuffer(4));
        for (;;) Atomics.wait(never, 0, 0);
      }
      if (f.kind === 'exit') {
        const p = (globalThis as { process?: { exit(code: number): never } }).process;
        if (p) p.exit(3);
        (globalThis as unknown as { close(): void }).close();
      }
      throw new Error(`injected fault in worker ${id} at step ${f.step}`);
    }
    original(s, rows, row0, training);
  };
}

async function fit(m: FitMessage): Promise<void> {
  const c = crew!;
  c.begin(m.data, m.order, m.ahead, m.profile);
  injectFault(m, c);
  const sendTrace = () => {
    const record = c.takeRecord();
    if (record) post({ type: 'trace', id, record });
  };
  if (id !== 0) {
    try {
      c.follow();
    } catch (e) {
      if (!(e instanceof PeerFailure)) c.ctl.fail();
      throw e;
    }
    sendTrace();
    return;
  }
  const { engine, ctl } = c;
  let buffered: StepInfo[] = [];
  let flushAt = performance.now() + 25;
  const flush = () => {
    if (buffered.length > 0) post({ type: 'steps', steps: buffered });
    buffered = [];
    flushAt = performance.now() + 25;
  };
  try {
    const history = await trainLoop(engine.net, m.cfg, c.runner(), {
      aborted: () => ctl.aborted,
      onStep: (info) => {
        if (!m.steps) return;
        buffered.push(info);
        if (performance.now() >= flushAt) flush();
      },
      onEpoch: (info) => { flush(); post({ type: 'epoch', info }); },
      ...(m.validation ? { validate: () => { c.sync(); return evaluateStaged(engine, m.validation!, 'fit validation'); } } : {}),
      pause: () => {},
      check: () => {},
    });
    c.finish();
    flush();
    sendTrace();
    post({ type: 'done', history });
  } catch (e) {
    // A refused step leaves every worker at the step boundary: end the run in order. Anything else may
    // have left the others mid-step: fail the control block, which wakes and stops them.
    if (e instanceof NonFiniteError) c.finish();
    else ctl.fail();
    flush();
    throw e;
  }
}

function listen(raw: unknown): void {
  const m = raw as InitMessage | FitMessage | HelperInit;
  try {
    if (m.type === 'helper') {
      // A noise helper (runtime/helper.ts): it serves its control block until told to quit.
      serveNoise(m, coreModuleFrom(m.build, m.module), () => post({ type: 'ready', id: -1, origin: performance.timeOrigin }));
      return;
    }
    if (m.type === 'init') init(m);
    else if (m.type === 'fit') {
      fit(m).catch((e) => {
        post({ type: 'error', id, error: errorData(e) });
      });
    }
  } catch (e) {
    crew?.ctl.fail();
    post({ type: 'error', id, error: errorData(e) });
  }
}

// No top-level await: in a bundle, the Node-side module that hostPort() loads (runtime/node.ts) is
// defined after this module's body, so the body has to finish first.
void hostPort().then((p) => {
  port = p;
  port.listen(listen);
  // Listening now: the host sends init only after this, so no message can arrive before the listener.
  post({ type: 'alive' });
}).catch((e: unknown) => {
  // No port, so nothing to post to: thrown from a task, the error reaches the host as the worker's error
  // event (with its cause) instead of a start-up timeout.
  setTimeout(() => { throw e; });
});
