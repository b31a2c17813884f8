/**
 * The report's charts: Vega-Lite specifications compiled with `vega-lite` and rendered to SVG text by
 * `vega` in Node (headless View, renderer 'none'), so the HTML needs no script to show them.
 * vega 6 is ESM-only with a top-level await (vega-canvas): it is loaded with import(), not require().
 */
import type { TopLevelSpec } from 'vega-lite';

export interface DailyUnits {
  client_id: string;
  date: string;
  new_ace_units: number;
  mtd_ace_units: number;
}

export interface OutcomeUnits {
  client_id: string;
  outcome: string;
  experience: string;
  channel: string;
  ace_units: number;
}

export interface QualityDay {
  date: string;
  rejects: number;
  duplicates: number;
  too_late: number;
  unattributed: number;
}

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';
const CONFIG = { font: FONT, view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11, titleFontSize: 12 } };

/** New units by day as stacked bars, and month-to-date units as lines, one colour per client. */
export function dailySpec(rows: DailyUnits[], width = 760): TopLevelSpec {
  const x = { field: 'date', type: 'ordinal' as const, title: 'business date', axis: { labelAngle: -60 } };
  const color = { field: 'client_id', type: 'nominal' as const, title: 'client' };
  return {
    config: CONFIG,
    data: { values: rows as unknown as Record<string, unknown>[] },
    vconcat: [
      {
        title: 'New ACE units by day',
        width,
        height: 180,
        mark: { type: 'bar', tooltip: true },
        encoding: { x, y: { field: 'new_ace_units', type: 'quantitative', aggregate: 'sum', title: 'new units' }, color },
      },
      {
        title: 'Month-to-date ACE units',
        width,
        height: 220,
        mark: { type: 'line', point: true, tooltip: true },
        encoding: { x, y: { field: 'mtd_ace_units', type: 'quantitative', title: 'month-to-date units' }, color },
      },
    ],
  };
}

/** Units by outcome and by experience, each bar split by channel. */
export function outcomeSpec(rows: OutcomeUnits[], width = 250): TopLevelSpec {
  const color = { field: 'channel', type: 'nominal' as const, title: 'channel' };
  const bars = (field: 'outcome' | 'experience', title: string) => ({
    title,
    width,
    mark: { type: 'bar' as const, tooltip: true },
    encoding: {
      y: { field, type: 'nominal' as const, title: field, sort: '-x' as const },
      x: { field: 'ace_units', type: 'quantitative' as const, aggregate: 'sum' as const, title: 'ACE units' },
      color,
    },
  });
  return {
    config: CONFIG,
    data: { values: rows as unknown as Record<string, unknown>[] },
    hconcat: [bars('outcome', 'ACE units by outcome and channel'), bars('experience', 'ACE units by experience and channel')],
  };
}

/** Rejects, duplicates, too-late events and unattributed deliveries by day, stacked. */
export function qualitySpec(rows: QualityDay[], width = 760): TopLevelSpec {
  return {
    config: CONFIG,
    title: 'Data quality by day',
    width,
    height: 160,
    data: { values: rows as unknown as Record<string, unknown>[] },
    transform: [{ fold: ['rejects', 'duplicates', 'too_late', 'unattributed'], as: ['measure', 'count'] }],
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: { field: 'date', type: 'ordinal', title: 'business date', axis: { labelAngle: -60 } },
      y: { field: 'count', type: 'quantitative', title: 'events' },
      color: { field: 'measure', type: 'nominal', title: 'measure' },
    },
  };
}

/** Compiles a Vega-Lite spec and renders it to one `<svg>` element (no XML prologue). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vega = await import('vega');
  const { compile } = await import('vega-lite');
  const compiled = compile(spec, { logger: quietLogger() }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * vega-lite prints its spec warnings (a dropped encoding, a scale adjusted) on the console; the specs
 * here are fixed, so those would be noise in the CLI's output. Errors still throw from compile().
 */
function quietLogger() {
  let lvl = 0;
  const logger = {
    level(l?: number) {
      if (l === undefined) return lvl;
      lvl = l;
      return logger;
    },
    warn: () => logger,
    info: () => logger,
    debug: () => logger,
    error: () => logger,
  };
  return logger as never;
}
