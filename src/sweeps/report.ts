// The report of a sweep, in the style of the paper's restart tables (Neelakantan et al. 2015, Table 6:
// of 7,290 Neural GPU restarts, how many reach under 1%, 2%, 3% and 5% error): per setting (the point's
// axis values, over all its seeds), the runs planned and finished, how many diverged, the best and the
// average accuracy, and how many runs have an error under each threshold of the spec. Each job id counts
// once, whatever ran it and however often. Pure: records in, a table (JSON and Markdown) out.
import type { JobRecord } from './job.js';
import type { SweepJob } from './plan.js';
import type { AxisValue } from './spec.js';

export interface SettingRow {
  readonly setting: Readonly<Record<string, AxisValue>>;
  /** The setting in words: "lr 0.1, init he" ("base config" for a sweep without axes). */
  readonly label: string;
  readonly planned: number;
  readonly finished: number;
  readonly diverged: number;
  /** Accuracies in [0, 1] over the finished runs (null: none finished). */
  readonly best: number | null;
  readonly average: number | null;
  /** Per threshold t of `thresholds`: finished runs with error under 1 - t (accuracy above t). */
  readonly under: readonly number[];
}

export interface SweepReport {
  readonly name: string;
  readonly thresholds: readonly number[];
  readonly planned: number;
  readonly finished: number;
  readonly diverged: number;
  /** What the accuracies are: "test" or "train" (data without a test split). */
  readonly accuracyOf: string;
  readonly rows: readonly SettingRow[];
}

/** The record fields the report reads (records of the first `reproduce table1` have them too). */
export type Counted = Pick<JobRecord, 'accuracy'> & { readonly summary: Pick<JobRecord['summary'], 'diverged'>; readonly accuracyOf?: string };

export const settingLabel = (p: Readonly<Record<string, AxisValue>>): string =>
  Object.keys(p).length === 0 ? 'base config' : Object.entries(p).map(([k, v]) => `${k} ${v}`).join(', ');

/** An error threshold as the paper writes it: accuracy 0.99 -> "1%". */
export const errorLabel = (t: number): string => `${Number(((1 - t) * 100).toFixed(6))}%`;

export function sweepReport(name: string, thresholds: readonly number[], plan: readonly SweepJob[], records: ReadonlyMap<string, Counted>): SweepReport {
  const groups = new Map<string, { setting: SweepJob['point']; ids: string[] }>();
  for (const j of plan) {
    const key = JSON.stringify(j.point);
    const g = groups.get(key) ?? { setting: j.point, ids: [] };
    if (!g.ids.includes(j.id)) g.ids.push(j.id);
    groups.set(key, g);
  }
  const rows: SettingRow[] = [...groups.values()].map(({ setting, ids }) => {
    const done = ids.map((id) => records.get(id)).filter((r): r is Counted => r !== undefined);
    const acc = done.map((r) => r.accuracy);
    return {
      setting, label: settingLabel(setting), planned: ids.length, finished: done.length,
      diverged: done.filter((r) => r.summary.diverged).length,
      best: acc.length ? Math.max(...acc) : null,
      average: acc.length ? acc.reduce((a, b) => a + b, 0) / acc.length : null,
      under: thresholds.map((t) => acc.filter((a) => a > t).length),
    };
  });
  const all = [...records.values()];
  const of = new Set(all.map((r) => r.accuracyOf ?? 'test'));
  return {
    name, thresholds, planned: rows.reduce((n, r) => n + r.planned, 0), finished: rows.reduce((n, r) => n + r.finished, 0),
    diverged: rows.reduce((n, r) => n + r.diverged, 0), accuracyOf: of.size === 0 ? 'test' : of.size === 1 ? [...of][0]! : 'test (train where there is no test split)', rows,
  };
}

/** An accuracy as a percentage with 2 decimals ('' for none). */
export const pct = (x: number | null): string => (x === null ? '' : `${(100 * x).toFixed(2)}%`);

export function reportMarkdown(r: SweepReport): string {
  const head = ['setting', 'runs', 'finished', 'diverged', 'best', 'average', ...r.thresholds.map((t) => `< ${errorLabel(t)} error`)];
  return [
    `Sweep ${r.name}: ${r.finished} of ${r.planned} runs finished${r.diverged ? ` (${r.diverged} diverged)` : ''}. Final ${r.accuracyOf} accuracy per setting ` +
      `over its seeds, and how many runs have an error under each threshold (the paper's restart tables, Table 6).`,
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...r.rows.map((x) => `| ${x.label} | ${x.planned} | ${x.finished} | ${x.diverged} | ${pct(x.best)} | ${pct(x.average)} | ${x.under.join(' | ')} |`),
  ].join('\n') + '\n';
}
