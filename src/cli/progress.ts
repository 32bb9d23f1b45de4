// Progress for a long job: a live bar (cli-progress) with ETA and the latest figures on a TTY, plain
// periodic lines when stdout is a pipe or a file, nothing at all in --json mode (stdout then carries only
// the final JSON line).
import cliProgress from 'cli-progress';

export type ProgressMode = 'bar' | 'lines' | 'silent';

export function progressMode(json: boolean, quiet = false): ProgressMode {
  if (json || quiet) return 'silent';
  return process.stdout.isTTY ? 'bar' : 'lines';
}

const fmtTime = (s: number): string => {
  if (!Number.isFinite(s) || s < 0) return '?';
  const m = Math.floor(s / 60), sec = Math.round(s % 60);
  return m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
};

/** A progress display over `total` units, with named figures shown beside the bar. */
export class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private readonly t0 = performance.now();
  private lastLine = 0;
  private done = 0;
  /** Units already done at the first update (a resumed job): the ETA counts only this process's pace. */
  private startDone: number | null = null;

  constructor(readonly mode: ProgressMode, private total: number, private readonly unit: string,
              private readonly figures: (values: Record<string, string>) => string = (v) => Object.entries(v).map(([k, x]) => `${k} ${x}`).join('  '),
              private readonly every = 5000) {
    if (mode === 'bar') {
      this.bar = new cliProgress.SingleBar({
        format: `{bar} {percentage}% | {value}/{total} ${unit} | ETA {eta_formatted} | {figures}`,
        hideCursor: true, clearOnComplete: false, etaBuffer: 50, fps: 8,
      }, cliProgress.Presets.shades_classic);
    }
  }

  /** Changes the total (for a job that learns it once it starts). */
  setTotal(total: number): void {
    this.total = total;
    this.bar?.setTotal(total);
  }

  update(done: number, values: Record<string, string>): void {
    this.done = done;
    if (this.startDone === null) {
      this.startDone = done;
      // Started at the first update, from where a resumed job stands, so the bar's ETA is this run's pace.
      this.bar?.start(this.total, done, { figures: '' });
    }
    if (this.bar) {
      this.bar.update(done, { figures: this.figures(values) });
      return;
    }
    if (this.mode !== 'lines') return;
    const now = performance.now();
    if (now - this.lastLine < this.every && done < this.total) return;
    this.lastLine = now;
    const elapsed = (now - this.t0) / 1000;
    const pace = done - (this.startDone ?? 0);
    const eta = pace > 0 ? (elapsed / pace) * (this.total - done) : NaN;
    process.stdout.write(`${done}/${this.total} ${this.unit} (${Math.floor((100 * done) / this.total)}%)  ETA ${fmtTime(eta)}  ${this.figures(values)}\n`);
  }

  /** Prints a line above the bar (or as a plain line). */
  log(line: string): void {
    if (this.mode === 'silent') return;
    if (this.bar && this.startDone !== null) {
      // cli-progress redraws on the same line: clear it, print, redraw.
      process.stdout.write('\r\x1b[2K');
      process.stdout.write(`${line}\n`);
      this.bar.render?.();
    } else process.stdout.write(`${line}\n`);
  }

  stop(): void {
    if (this.bar && this.startDone !== null) {
      this.bar.update(this.done);
      this.bar.stop();
    }
    this.bar = null;
  }
}
