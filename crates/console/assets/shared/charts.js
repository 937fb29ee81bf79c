// Time-series and bar charts with uPlot (vendored from the npm lockfile,
// see crates/console/package.json). Each chart is an <figure> with a
// caption and an aria-label summarising the last value, so the numbers are
// available without the picture.
import uPlot from './vendor/uPlot.esm.js';

const COLORS = ['#1f5fa8', '#c0392b', '#2e8b57', '#8e44ad', '#d35400', '#16a085'];

// The figure's inner width (it is in the page already, so its grid cell
// has sized it).
function width(fig) {
  return Math.max(260, (fig.clientWidth || 560) - 16);
}

/**
 * A line chart. `times` are seconds since the epoch; `series` is a list of
 * `{label, values, unit}` (values may hold null for gaps).
 */
export function lineChart(container, title, times, series, id) {
  const last = series.map((s) => {
    const v = [...s.values].reverse().find((x) => x !== null && x !== undefined);
    return `${s.label}: ${v === undefined ? 'no data' : `${Math.round(v * 100) / 100}${s.unit ? ' ' + s.unit : ''}`}`;
  }).join('; ');
  const fig = document.createElement('figure');
  fig.className = 'chart';
  if (id) fig.dataset.testid = id;
  fig.setAttribute('role', 'img');
  fig.setAttribute('aria-label', `${title}. Latest: ${last}`);
  const cap = document.createElement('figcaption');
  cap.textContent = title;
  fig.append(cap);
  container.append(fig);
  if (times.length < 2) {
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = 'Collecting samples (one every 5 s)…';
    fig.append(p);
    return null;
  }
  const opts = {
    width: width(fig),
    height: 180,
    legend: { show: true },
    scales: { x: { time: true } },
    axes: [{}, { size: 100 }],
    series: [{}, ...series.map((s, i) => ({
      label: s.label,
      stroke: COLORS[i % COLORS.length],
      width: 2,
      spanGaps: false,
      value: (u, v) => (v === null || v === undefined) ? '—' : `${Math.round(v * 100) / 100}${s.unit ? ' ' + s.unit : ''}`,
    }))],
  };
  return new uPlot(opts, [times, ...series.map((s) => s.values)], fig);
}

/**
 * A bar chart over categories (`labels`), one or more series
 * (`{label, values}`), drawn with uPlot's bars path builder.
 */
export function barChart(container, title, labels, series, id) {
  const fig = document.createElement('figure');
  fig.className = 'chart';
  if (id) fig.dataset.testid = id;
  fig.setAttribute('role', 'img');
  fig.setAttribute('aria-label', `${title}. ` + labels.map((l, i) =>
    `${l}: ${series.map((s) => `${s.label} ${s.values[i]}`).join(', ')}`).join('; '));
  const cap = document.createElement('figcaption');
  cap.textContent = title;
  fig.append(cap);
  container.append(fig);
  if (!labels.length) {
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = 'No data in this range.';
    fig.append(p);
    return null;
  }
  const xs = labels.map((_, i) => i);
  // One series: centred bars; two: side by side (left of the tick, right
  // of it).
  if (series.length > 2) throw new Error('barChart draws one or two series');
  const bars = (i) => uPlot.paths.bars({
    size: [series.length === 1 ? 0.6 : 0.35, 60],
    align: series.length === 1 ? 0 : (i === 0 ? -1 : 1),
  });
  const opts = {
    width: width(fig),
    height: 200,
    scales: { x: { time: false, auto: false, range: () => [-0.5, labels.length - 0.5] } },
    axes: [
      { values: (u, ticks) => ticks.map((t) => labels[t] ?? ''), splits: () => xs },
      { size: 100 },
    ],
    series: [{ label: 'x', value: (u, v) => labels[v] ?? '' }, ...series.map((s, i) => ({
      label: s.label,
      fill: COLORS[i % COLORS.length] + 'cc',
      stroke: COLORS[i % COLORS.length],
      paths: bars(i),
      points: { show: false },
    }))],
  };
  return new uPlot(opts, [xs, ...series.map((s) => s.values)], fig);
}
