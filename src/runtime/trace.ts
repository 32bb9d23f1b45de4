// The profiler of fit({ profile }) and `gradnoise train --profile FILE`: every thread that works on a step
// (the calling thread when training inline, each worker, the noise helper) records spans (name, start,
// end) of the ops of each shard, the reduction, the update passes, the barriers and the noise drawn ahead,
// and the host turns them into a Chrome trace (the trace event format's JSON: chrome://tracing and
// Perfetto open it), one track per thread.
//
// Contract: recording changes no bit (it only reads the clock), and profiling off costs a null check per
// op call. A recorder is active only for the steps of its window, so the trace of a long run stays small;
// each thread keeps at most MAX_EVENTS spans and counts what it drops. Times: each thread's
// performance.timeOrigin + performance.now(), shifted to the host's timeOrigin, so the tracks of all threads
// (and of several fit() calls of one process) share one time axis.
import { check, checkFields, int, optional, type FieldsOf } from '../core/check.js';
import type { SpanRecorder } from '../graph/network.js';

/** Spans one thread keeps at most (24 bytes each); later ones are counted as dropped. */
export const MAX_EVENTS = 1 << 20;

/** Which steps of a fit() call to record: steps from..from+steps-1, counted from the call's first step. */
export interface ProfileWindow {
  readonly from: number;
  readonly steps: number;
}

/** fit()'s `profile` option: true (the first DEFAULT_PROFILE_STEPS steps), or a window. */
export type ProfileOption = boolean | { readonly from?: number; readonly steps?: number };

/** Steps a profile records by default. */
export const DEFAULT_PROFILE_STEPS = 200;

/** One span of the trace event format ('X': complete event; 'M': metadata such as a thread's name). */
export interface TraceEvent {
  readonly name: string;
  readonly cat?: string;
  readonly ph: 'X' | 'M';
  /** Microseconds on the trace's time axis. */
  readonly ts?: number;
  readonly dur?: number;
  readonly pid: number;
  readonly tid: number;
  readonly args?: Readonly<Record<string, unknown>>;
}

/** A Chrome trace (JSON object format): `JSON.stringify` it to a .json file. */
export interface Trace {
  readonly traceEvents: TraceEvent[];
  readonly displayTimeUnit: 'ms';
  readonly otherData: Readonly<Record<string, unknown>>;
}

/** What one thread recorded, as plain data (it crosses from a worker as a message). */
export interface ThreadRecord {
  readonly names: readonly string[];
  readonly cats: readonly string[];
  /** Per span: name id, start, end (ms on the thread's clock). */
  readonly data: Float64Array;
  /** The thread's performance.timeOrigin (ms since the epoch). */
  readonly origin: number;
  readonly dropped: number;
}

/** Spans a recorder's buffer holds before it first grows. */
const INITIAL_SPANS = 4096;

/** A thread's recorder: spans by interned name in a growing buffer. */
export class Recorder implements SpanRecorder {
  private readonly names: string[] = [];
  private readonly cats: string[] = [];
  private readonly ids = new Map<string, number>();
  private data = new Float64Array(3 * INITIAL_SPANS);
  private n = 0;
  private dropped = 0;

  /** The id of a span name in a category (made once per name, not per step). */
  intern(name: string, cat: string): number {
    const key = `${cat}\u0000${name}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.cats.push(cat);
      this.ids.set(key, id);
    }
    return id;
  }

  now(): number {
    return performance.now();
  }

  span(id: number, t0: number, t1: number): void {
    if (this.n >= MAX_EVENTS) { this.dropped++; return; }
    if (3 * this.n === this.data.length) {
      const more = new Float64Array(Math.min(2 * this.data.length, 3 * MAX_EVENTS));
      more.set(this.data);
      this.data = more;
    }
    const d = this.data, i = 3 * this.n++;
    d[i] = id;
    d[i + 1] = t0;
    d[i + 2] = t1;
  }

  /** Spans recorded so far. */
  get count(): number {
    return this.n;
  }

  /** Everything recorded so far, as plain data; the recorder starts empty again. */
  take(): ThreadRecord {
    const r: ThreadRecord = {
      names: [...this.names], cats: [...this.cats], data: this.data.slice(0, 3 * this.n), origin: performance.timeOrigin, dropped: this.dropped,
    };
    this.n = 0;
    this.dropped = 0;
    if (this.data.length > INITIAL_SPANS * 3) this.data = new Float64Array(3 * INITIAL_SPANS); // a large profile's buffer goes with it
    return r;
  }
}

/** fit()'s profile option: true, false, or an object (whose fields profileWindow() checks). */
export const PROFILE_OPTION = check('true, false or { from, steps }',
  (v) => typeof v === 'boolean' || (v !== null && typeof v === 'object' && !Array.isArray(v)));

const PROFILE_FIELDS: FieldsOf<{ from?: number; steps?: number }> = { from: optional(int(0)), steps: optional(int(1)) };

/** The window of fit()'s profile option (already checked by PROFILE_OPTION); null when profiling is off. */
export function profileWindow(where: string, p: ProfileOption | undefined): ProfileWindow | null {
  if (p === undefined || p === false) return null;
  if (p === true) return { from: 0, steps: DEFAULT_PROFILE_STEPS };
  checkFields(`${where}: profile`, p, PROFILE_FIELDS);
  return { from: p.from ?? 0, steps: p.steps ?? DEFAULT_PROFILE_STEPS };
}

/** Whether step t of a call whose first step was t0 lies in the window. */
export function inWindow(w: ProfileWindow | null, t0: number, t: number): boolean {
  return w !== null && t - t0 >= w.from && t - t0 < w.from + w.steps;
}

/** A thread's track in the trace. */
export interface Track {
  readonly tid: number;
  readonly label: string;
  readonly record: ThreadRecord;
}

/**
 * The Chrome trace of some tracks: one 'X' event per span, times in microseconds from the host's
 * timeOrigin, each thread named by a metadata event. Spans come sorted by start (longer first at a tie),
 * which is the order trace viewers nest them in.
 */
export function toTrace(tracks: readonly Track[], otherData: Readonly<Record<string, unknown>> = {}): Trace {
  const events: TraceEvent[] = [{ name: 'process_name', ph: 'M', pid: 1, tid: 0, args: { name: 'gradnoise' } }];
  let dropped = 0, steps = 0;
  for (const t of tracks) {
    events.push({ name: 'thread_name', ph: 'M', pid: 1, tid: t.tid, args: { name: t.label } });
    events.push({ name: 'thread_sort_index', ph: 'M', pid: 1, tid: t.tid, args: { sort_index: t.tid } });
    const { names, cats, data, origin } = t.record;
    const shift = origin - performance.timeOrigin;
    const spans: TraceEvent[] = [];
    for (let i = 0; i < data.length; i += 3) {
      // Both ends rounded to nanoseconds: a span that starts where another ends starts at its rounded end.
      const id = data[i]!, t0 = round3((data[i + 1]! + shift) * 1000), t1 = round3((data[i + 2]! + shift) * 1000);
      spans.push({ name: names[id]!, cat: cats[id]!, ph: 'X', ts: t0, dur: round3(t1 - t0), pid: 1, tid: t.tid });
    }
    spans.sort((a, b) => a.ts! - b.ts! || b.dur! - a.dur!);
    for (const s of spans) events.push(s);
    if (t === tracks[0]) steps = spans.filter((s) => s.cat === 'step').length;
    dropped += t.record.dropped;
  }
  return { traceEvents: events, displayTimeUnit: 'ms', otherData: { ...otherData, recordedSteps: steps, droppedSpans: dropped } };
}

/** Several traces of one process (fit() calls) as one: their tracks share the time axis already. */
export function mergeTraces(traces: readonly Trace[]): Trace | null {
  if (traces.length === 0) return null;
  if (traces.length === 1) return traces[0]!;
  const seen = new Set<string>();
  const events: TraceEvent[] = [];
  let dropped = 0, steps = 0;
  for (const t of traces) {
    for (const e of t.traceEvents) {
      if (e.ph === 'M') {
        const key = `${e.name}/${e.tid}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      events.push(e);
    }
    dropped += Number(t.otherData.droppedSpans ?? 0);
    steps += Number(t.otherData.recordedSteps ?? 0);
  }
  return { traceEvents: events, displayTimeUnit: 'ms', otherData: { ...traces[0]!.otherData, recordedSteps: steps, droppedSpans: dropped, calls: traces.length } };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
