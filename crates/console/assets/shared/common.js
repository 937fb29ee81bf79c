// Shared helpers of Veil's consoles. Every value from the network is put in
// the page as text (textContent), never as HTML.

/** The first element matching `sel`. */
export const $ = (sel, root = document) => root.querySelector(sel);

/**
 * A new element: `el('td', {class: 'num'}, 'text', childNode, …)`.
 * Attributes starting with `on` are event listeners.
 */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** An error carrying the API's problem+json, when there was one. */
export class ApiError extends Error {
  constructor(status, problem, fallback) {
    super(problem?.detail || fallback || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** `fetch` that answers JSON, or throws an ApiError with the problem. */
export async function getJSON(url, options = {}) {
  const r = await fetch(url, options);
  const type = r.headers.get('content-type') || '';
  if (!r.ok) {
    let problem = null;
    if (type.includes('json')) {
      try { problem = await r.json(); } catch { /* not JSON after all */ }
    }
    throw new ApiError(r.status, problem, `${r.status} ${r.statusText}`);
  }
  return r.json();
}

/** `12345` → `12,345`. */
export const fmtInt = (n) => (n === null || n === undefined) ? '—' : Number(n).toLocaleString('en-US');

/** Bytes for people. */
export function fmtBytes(n) {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Number(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** A time in ms since the epoch, as UTC. */
export function fmtTime(ms) {
  if (!ms) return '—';
  return new Date(Number(ms)).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** Seconds as `3 h 4 min`. */
export function fmtDuration(s) {
  s = Math.floor(Number(s));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** `minor` units of an asset with `decimals` places, as a decimal string (exact, via BigInt). */
export function fmtAmount(minor, decimals) {
  const d = Number(decimals || 0);
  const neg = String(minor).startsWith('-');
  const v = BigInt(String(minor).replace('-', ''));
  if (d === 0) return (neg ? '-' : '') + v.toLocaleString('en-US');
  const scale = 10n ** BigInt(d);
  const whole = (v / scale).toLocaleString('en-US');
  const frac = (v % scale).toString().padStart(d, '0');
  return `${neg ? '-' : ''}${whole}.${frac}`;
}

/** The first and last characters of a long hex string, with the whole in a title. */
export function short(hex, n = 10) {
  if (!hex) return '—';
  const s = String(hex);
  const text = s.length > 2 * n + 1 ? `${s.slice(0, n)}…${s.slice(-6)}` : s;
  return el('code', { title: s, class: 'hash' }, text);
}

/**
 * A table: `columns` is a list of `{label, cell: row => node|text, num?}`.
 * `caption` names it for screen readers.
 */
export function table(caption, columns, rows, attrs = {}) {
  const head = el('tr', {}, columns.map((c) => el('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)));
  const body = rows.length
    ? rows.map((r) => el('tr', {}, columns.map((c) => el('td', { class: c.num ? 'num' : null }, c.cell(r)))))
    : [el('tr', {}, el('td', { colspan: columns.length, class: 'empty' }, 'Nothing yet.'))];
  return el('div', { class: 'table-wrap' },
    el('table', attrs, el('caption', {}, caption), el('thead', {}, head), el('tbody', {}, body)));
}

/** Definition list of `[term, value]` pairs. */
export function facts(pairs, attrs = {}) {
  return el('dl', { class: 'facts', ...attrs }, pairs.flatMap(([k, v, id]) => [
    el('dt', {}, k),
    el('dd', id ? { 'data-testid': id } : {}, v),
  ]));
}

/** A card with a big number. */
export function stat(label, value, id, note) {
  return el('div', { class: 'stat' },
    el('div', { class: 'stat-label' }, label),
    el('div', { class: 'stat-value', 'data-testid': id }, value),
    note ? el('div', { class: 'stat-note' }, note) : null);
}

/** Replaces the content of `main` and moves focus to its heading. */
export function render(main, title, ...nodes) {
  document.title = `${title} · Veil`;
  const h = el('h1', { tabindex: '-1' }, title);
  main.replaceChildren(h, ...nodes);
  h.focus({ preventScroll: true });
}

/** An error box for a failed request. */
export function errorBox(err) {
  return el('div', { class: 'alert critical', role: 'alert' },
    el('strong', {}, 'Could not load: '), err?.message || String(err));
}

/** A polite live region's text (for changes screen readers should hear). */
export function announce(text) {
  const r = $('#announce');
  if (r) r.textContent = text;
}
