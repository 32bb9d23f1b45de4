// The host side of multi-worker training: starts N workers on the model's shared memory, hands them a run,
// relays their progress to the caller's callbacks, and ends the run cleanly whatever happens: an abort
// stops at the next step boundary; a worker that throws or dies fails the control block (which wakes and
// stops the others) and rejects the run with that worker's error, after which the pool is torn down and the
// next fit() starts a fresh one. Idle workers never keep a Node process alive.
import type { CoreModule } from '../core/wasm.js';
import type { Network } from '../graph/network.js';
import type { FusedPlan } from '../optim/fuse.js';
import { updateUnits } from '../optim/fused.js';
import { sharedStaged, type Staged } from './data.js';
import { NonFiniteError } from './engine.js';
import type { EpochInfo, FitHistory, LoopConfig, StepInfo } from './loop.js';
import type { AheadMode, ErrorData, Fault, FitMessage, InitMessage, WorkerMessage } from './protocol.js';
import { Control, controlBytes, type SpinPolicy } from './sync.js';
import { startWorker, type WorkerHandle } from './threads.js';
import { toTrace, type ProfileWindow, type ThreadRecord } from './trace.js';

/** How long a pool may take to start before it counts as failed. */
const START_TIMEOUT_MS = 60_000;
/** After a worker reports that it stopped for another's failure, how long to wait for that failure's report. */
const PEER_REPORT_MS = 2_000;
/**
 * The watchdog: a run that has not stopped this long after its abort signal fired is stuck (a worker
 * deadlocked or spinning), and is ended by terminating its workers. An abort normally lands within one
 * step; this is far longer than any step or any validation pass should take.
 */
export const ABORT_GRACE_MS = 30_000;

/** Tests set this global (a Fault) to make a worker throw or exit at a given step. Not part of the API. */
export const FAULT_HOOK = Symbol.for('gradnoise.testing.fault');
/** Testing hook: an AheadMode that every later fit() passes to its workers ('idle' when unset). */
export const AHEAD_HOOK = Symbol.for('gradnoise.testing.noiseAhead');
/** Benchmark hook: a SpinPolicy for every later pool's workers (bench/barrier-spin.mjs). Not part of the API. */
export const SPIN_HOOK = Symbol.for('gradnoise.testing.spin');

export interface RunHooks {
  readonly onStep?: (info: StepInfo) => void;
  readonly onEpoch?: (info: EpochInfo) => void;
  readonly signal?: AbortSignal;
}

function rebuild(e: ErrorData, id: number): Error {
  const err = e.name === 'NonFiniteError'
    ? new NonFiniteError(e.message, { step: e.step!, tensor: e.tensor!, index: e.index!, layer: e.layer! })
    : new Error(id === 0 ? e.message : `worker ${id}: ${e.message}`);
  if (e.name !== 'NonFiniteError' && e.name !== 'Error') err.name = e.name;
  if (e.stack) err.stack = `${err.name}: ${err.message}\n    (in worker ${id})\n${e.stack.split('\n').slice(1).join('\n')}`;
  return err;
}

export class Pool {
  /** Set once a worker failed or died: the pool must not run again. */
  broken = false;
  /** Set by terminate(): the workers' exits, which every later caller awaits too. */
  private ending: Promise<void> | null = null;
  private run: { fail(e: Error): void; exited(id: number, code: number): void; message(id: number, m: WorkerMessage): void } | null = null;

  private constructor(private readonly handles: WorkerHandle[], private readonly ctl: Control, private readonly net: Network) {}

  /** Starts `workers` workers attached to the network's memory; resolves when every one is ready. */
  static async start(mod: CoreModule, net: Network, fused: FusedPlan, workers: number, spin: SpinPolicy): Promise<Pool> {
    const unitCount = updateUnits(net).length;
    const control = new SharedArrayBuffer(controlBytes(net.shards, unitCount));
    const ctl = new Control(control, workers, net.shards, unitCount, spin);
    const handles: WorkerHandle[] = [];
    const pool = new Pool(handles, ctl, net);
    try {
      await Promise.all(Array.from({ length: workers }, async (_, id) => {
        const h = await startWorker(`gradnoise-${id}`);
        handles[id] = h;
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`gradnoise: worker ${id} did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
          const init: InitMessage = {
            type: 'init', id, parties: workers, spin, build: mod.build, module: mod.module, memory: net.core.memory,
            spec: net.spec,
            net: { maxRows: net.maxRows, seed: net.seed, stateSlots: net.plan.optState.length, shards: net.shards, noiseSlots: net.plan.noise.length },
            fused, control,
          };
          h.listen({
            message: (raw) => {
              const m = raw as WorkerMessage;
              if (m.type === 'alive') h.post(init);
              else if (m.type === 'ready') { clearTimeout(timer); resolve(); }
              else if (m.type === 'error' && !pool.run) { clearTimeout(timer); reject(rebuild(m.error, id)); }
              else pool.run?.message(id, m);
            },
            error: (e) => {
              clearTimeout(timer);
              pool.broken = true;
              if (pool.run) pool.run.fail(new Error(`gradnoise: worker ${id} failed: ${e.message}`, { cause: e }));
              else reject(new Error(`gradnoise: worker ${id} failed: ${e.message}`, { cause: e }));
            },
            exit: (code) => {
              clearTimeout(timer);
              pool.broken = true;
              if (pool.run) pool.run.exited(id, code);
              else reject(new Error(`gradnoise: worker ${id} exited (code ${code}) before it was ready`));
            },
          });
        });
      }));
    } catch (e) {
      await pool.terminate();
      throw e;
    }
    for (const h of handles) h.hold(false);
    return pool;
  }

  /**
   * One fit() run over the workers. Resolves with the history (and, with a profile window, the trace of
   * every worker); rejects with the first real failure.
   */
  fit(data: Staged, validation: Staged | null, cfg: LoopConfig, hooks: RunHooks, profile: ProfileWindow | null = null): Promise<FitHistory> {
    if (this.ending) return Promise.reject(new Error('gradnoise: the model was disposed during fit()'));
    if (this.broken) return Promise.reject(new Error('internal: a broken pool was asked to run'));
    const { ctl, handles, net } = this;
    ctl.reset();
    const fault = (globalThis as Record<symbol, unknown>)[FAULT_HOOK] as Fault | undefined;
    const msg: FitMessage = {
      type: 'fit', data: sharedStaged(data), validation: validation && sharedStaged(validation), cfg,
      order: cfg.shuffle ? new Uint32Array(new SharedArrayBuffer(cfg.count * 4)) : null,
      steps: hooks.onStep !== undefined, fault: fault ?? null,
      ahead: ((globalThis as Record<symbol, unknown>)[AHEAD_HOOK] as AheadMode | undefined) ?? 'idle',
      profile,
    };
    // With a profile, the run ends when the leader's history and every worker's spans have arrived.
    const records = new Map<number, ThreadRecord>();
    let finished: FitHistory | null = null;
    const complete = (history: FitHistory) => ({
      ...history,
      profile: toTrace([...records].sort((a, b) => a[0] - b[0]).map(([id, record]) => ({
        tid: 1 + id, label: id === 0 ? 'worker 0 (leader: training loop)' : `worker ${id}`, record,
      })), { workers: handles.length, shards: net.shards, from: profile!.from, steps: profile!.steps }),
    });
    return new Promise<FitHistory>((resolve, reject) => {
      let settled = false, callbackError: unknown = null;
      let peerTimer: ReturnType<typeof setTimeout> | null = null, watchdog: ReturnType<typeof setTimeout> | null = null;
      const grace = fault?.abortGraceMs ?? ABORT_GRACE_MS;
      const onAbort = () => {
        ctl.abort();
        watchdog ??= setTimeout(() => {
          this.broken = true;
          ctl.fail();
          end(new Error(`gradnoise: fit() did not stop within ${grace / 1000} s of its abort, at step ${net.step}: a worker is stuck. ` +
            'Its workers were ended (the next fit() starts new ones); the parameters may hold a partial step, so load the last checkpoint.'));
        }, grace);
      };
      const end = (err: unknown, history?: FitHistory) => {
        if (settled) return;
        settled = true;
        if (peerTimer) clearTimeout(peerTimer);
        if (watchdog) clearTimeout(watchdog);
        hooks.signal?.removeEventListener('abort', onAbort);
        this.run = null;
        for (const h of handles) h.hold(false);
        if (err) {
          // A broken pool's workers are ended before fit() rejects: none may still write to the memory
          // once the caller has it back (a load after a stuck run, say).
          if (this.broken) void this.terminate().then(() => reject(err));
          else reject(err);
        } else resolve(history!);
      };
      const call = (f: () => void) => {
        if (callbackError !== null) return;
        try { f(); } catch (e) { callbackError = e; onAbort(); }
      };
      this.run = {
        fail: (e) => { this.broken = true; ctl.fail(); end(e); },
        exited: (id, code) => {
          this.broken = true;
          ctl.fail();
          end(new Error(`gradnoise: worker ${id} exited (code ${code}) during training, at step ${net.step}`));
        },
        message: (id, m) => {
          if (m.type === 'steps') { for (const s of m.steps) call(() => hooks.onStep?.(s)); }
          else if (m.type === 'epoch') call(() => hooks.onEpoch?.(m.info));
          else if (m.type === 'trace') {
            records.set(id, m.record);
            if (finished && records.size === handles.length) end(callbackError, complete(finished));
          } else if (m.type === 'done') {
            if (!profile) end(callbackError, m.history);
            else if (records.size === handles.length) end(callbackError, complete(m.history));
            else finished = m.history;
          }
          else if (m.type === 'error') {
            if (m.error.peer) {
              // This worker only stopped because another failed: that one's report (or exit) follows.
              this.broken = true;
              peerTimer ??= setTimeout(() => end(new Error('gradnoise: a worker failed without reporting why')), PEER_REPORT_MS);
              return;
            }
            // A refused step ends the run in order (every worker at the boundary); anything else breaks the pool.
            if (!(id === 0 && m.error.name === 'NonFiniteError')) { this.broken = true; ctl.fail(); }
            end(rebuild(m.error, id));
          }
        },
      };
      if (hooks.signal?.aborted) onAbort();
      hooks.signal?.addEventListener('abort', onAbort);
      for (const h of handles) h.hold(true);
      for (let id = handles.length - 1; id >= 0; id--) handles[id]!.post(msg);
    });
  }

  /** Ends every worker (any run in progress rejects). */
  terminate(): Promise<void> {
    if (this.ending) return this.ending;
    this.broken = true;
    this.ctl.fail();
    this.run?.fail(new Error('gradnoise: the model was disposed during fit()'));
    // Every caller (a failed run, dispose(), the next fit() replacing a broken pool) waits for the exits.
    this.ending = Promise.all(this.handles.filter(Boolean).map((h) => h.terminate().catch(() => {}))).then(() => {});
    return this.ending;
  }
}
