// Plots as SVG files, drawn by a real charting library: a Vega-Lite spec compiled to Vega and rendered
// headless (no browser, no canvas: Vega's SVG renderer is pure JS). vega and vega-lite are optional
// packages (src/io/optional.ts), imported at the first plot. Without them the render functions throw a
// MissingPackageError, and writePlot / writeBars write nothing and return false: a command that also
// writes plots does all the rest and says once, at its start, what to install (plotsMissing).
import { writeFileAtomic } from './files.js';
import { importOptional, MissingPackageError } from '../io/optional.js';

interface Plotting {
  readonly vega: typeof import('vega');
  readonly vl: typeof import('vega-lite');
}

export const PLOT_PACKAGES = ['vega', 'vega-lite'] as const;
let plotting: Promise<Plotting> | null = null;

/** vega and vega-lite, imported once. */
function loadPlotting(): Promise<Plotting> {
  plotting ??= importOptional({ what: 'drawing the plots (.svg)' }, PLOT_PACKAGES, async () => ({ vega: await import('vega'), vl: await import('vega-lite') }));
  return plotting;
}

/** Null when plots can be drawn; otherwise the message that names the packages and the command. */
export async function plotsMissing(): Promise<string | null> {
  try {
    await loadPlotting();
    return null;
  } catch (e) {
    if (e instanceof MissingPackageError) return e.message;
    throw e;
  }
}

/** One point of a curve: x (epoch), y, and the series it belongs to. */
export interface Point {
  readonly epoch: number;
  readonly value: number;
  readonly series: string;
  /** Line style group (for example the learning rate). */
  readonly dash?: string;
}

export interface Panel {
  readonly title: string;
  readonly yTitle: string;
  readonly points: readonly Point[];
  /** Fixed y domain, for accuracies. */
  readonly yDomain?: readonly [number, number];
  readonly logY?: boolean;
}

/** Side-by-side line charts (one per panel) sharing a colour legend; returns the SVG text. */
export async function renderPanels(title: string, panels: readonly Panel[], colorTitle = 'setting', dashTitle = 'lr'): Promise<string> {
  const { vega, vl } = await loadPlotting();
  const hasDash = panels.some((p) => p.points.some((q) => q.dash !== undefined));
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start' },
    config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: '#ddd' }, legend: { orient: 'bottom' } },
    hconcat: panels.map((p) => ({
      title: p.title,
      width: 320,
      height: 220,
      data: { values: p.points.filter((q) => Number.isFinite(q.value)) },
      mark: { type: 'line', point: { size: 18 }, strokeWidth: 1.8 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
        y: {
          field: 'value', type: 'quantitative', title: p.yTitle,
          scale: p.logY ? { type: 'log' } : p.yDomain ? { domain: p.yDomain } : { zero: false },
        },
        color: { field: 'series', type: 'nominal', title: colorTitle, scale: { range: ['#888888', '#d62728', '#1f77b4', '#2ca02c'] } },
        ...(hasDash ? { strokeDash: { field: 'dash', type: 'nominal', title: dashTitle } } : {}),
      },
    })),
    resolve: { scale: { color: 'shared' } },
  };
  const view = new vega.View(vega.parse(vl.compile(spec as never).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** Writes the SVG of renderPanels to `path`; false (nothing written) when the plotting packages are missing. */
export async function writePlot(path: string, title: string, panels: readonly Panel[], colorTitle?: string, dashTitle?: string): Promise<boolean> {
  if (await plotsMissing()) return false;
  writeFileAtomic(path, await renderPanels(title, panels, colorTitle, dashTitle));
  return true;
}

/** One bar of a grouped bar chart: its category on the x axis, its group (colour) and its height. */
export interface Bar {
  readonly category: string;
  readonly group: string;
  readonly value: number;
}

/** A grouped bar chart (bars of each group side by side in each category); returns the SVG text. */
export async function renderBars(title: string, bars: readonly Bar[], xTitle: string, yTitle: string, groupTitle: string, yMax?: number): Promise<string> {
  const { vega, vl } = await loadPlotting();
  const categories = [...new Set(bars.map((b) => b.category))];
  const groups = [...new Set(bars.map((b) => b.group))];
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start' },
    config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: '#ddd' }, legend: { orient: 'bottom', columns: 2, labelLimit: 400 } },
    width: Math.max(240, categories.length * Math.max(40, groups.length * 14)),
    height: 220,
    data: { values: bars },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'category', type: 'nominal', title: xTitle, sort: categories, axis: { labelAngle: 0 } },
      xOffset: { field: 'group', type: 'nominal', sort: groups },
      y: { field: 'value', type: 'quantitative', title: yTitle, axis: { tickMinStep: 1 }, ...(yMax !== undefined ? { scale: { domain: [0, yMax] } } : {}) },
      color: { field: 'group', type: 'nominal', title: groupTitle, sort: groups },
    },
  };
  const view = new vega.View(vega.parse(vl.compile(spec as never).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** Writes the SVG of renderBars to `path`; false (nothing written) when the plotting packages are missing. */
export async function writeBars(path: string, title: string, bars: readonly Bar[], xTitle: string, yTitle: string, groupTitle: string, yMax?: number): Promise<boolean> {
  if (await plotsMissing()) return false;
  writeFileAtomic(path, await renderBars(title, bars, xTitle, yTitle, groupTitle, yMax));
  return true;
}
