// Veil's regulator console. Talks only to the local `veil regulator
// console` process that served it (same origin), with the session token
// from the link it printed.
import {
  $, el, getJSON, fmtInt, fmtTime, fmtAmount, short, table, facts, render, errorBox, announce, stat,
} from './common.js';
import { lineChart, barChart } from './charts.js';

const main = $('#main');

// The token arrives in the fragment (never sent to a server); keep it for
// this tab only and take it out of the address bar.
(() => {
  const m = location.hash.match(/token=([0-9a-f]{64})/);
  if (m) {
    sessionStorage.setItem('veil-console-token', m[1]);
    history.replaceState(null, '', `${location.pathname}#/view`);
  }
})();
const token = () => sessionStorage.getItem('veil-console-token') || '';
const auth = () => ({ authorization: `Bearer ${token()}` });
const api = (path, opts = {}) => getJSON(path, { ...opts, headers: { ...auth(), ...(opts.headers || {}) } });

let session = null;
const dec = (asset) => (session?.assets.find((a) => a.id === asset)?.decimals) ?? 0;
const amount = (minor, asset) => `${fmtAmount(minor, dec(asset))} ${asset}`;

/** Downloads `path` (with the token) as a file. */
async function download(path, name) {
  const r = await fetch(path, { headers: auth() });
  if (!r.ok) throw new Error(`${r.status}: ${(await r.text()).slice(0, 300)}`);
  const url = URL.createObjectURL(await r.blob());
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function download_json(obj, name) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(obj, null, 2)], { type: 'application/json' }));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** The range form shared by views and reports; `onQuery(params)`. */
function rangeForm(id, { bank = true, top = false }, onQuery) {
  const f = (name, label, attrs) => el('label', { for: `${id}-${name}` }, label, el('input', { id: `${id}-${name}`, name, ...attrs }));
  const select = (name, label, options) => el('label', { for: `${id}-${name}` }, label,
    el('select', { id: `${id}-${name}`, name }, el('option', { value: '' }, 'all'), options.map((o) => el('option', { value: o }, o))));
  const form = el('form', { class: 'inline', id },
    f('from', 'From height', { type: 'number', min: 0, value: 0, inputmode: 'numeric' }),
    f('to', 'To height', { type: 'text', value: 'latest', size: 8 }),
    f('day', 'or a UTC day', { type: 'date' }),
    bank ? select('bank', 'Participant', session.participants) : null,
    select('asset', 'Asset', session.assets.map((a) => a.id)),
    top ? f('top', 'Largest', { type: 'number', min: 1, max: 1000, value: 10 }) : null,
    el('button', { type: 'submit' }, 'Open (recorded on the ledger)'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    const v = (n) => form.elements[n]?.value?.trim();
    if (v('day')) p.set('day', v('day'));
    else { p.set('from', v('from') || '0'); p.set('to', v('to') || 'latest'); }
    for (const n of ['bank', 'asset', 'top']) if (v(n)) p.set(n, v(n));
    const button = form.querySelector('button');
    button.disabled = true;
    try { await onQuery(p); } finally { button.disabled = false; }
  });
  return form;
}

function accessNote(records) {
  return el('div', { class: 'alert ok', 'data-testid': 'access-records' },
    `${records.length} access record(s) left on the ledger for this query: `,
    records.map((r, i) => [i ? ', ' : '', short(r)]));
}

// ---------------------------------------------------------------- views

function viewPage() {
  const out = el('div', { 'aria-live': 'polite' });
  const form = rangeForm('view-form', { bank: true }, async (p) => {
    out.replaceChildren(el('p', {}, 'Opening…'));
    try {
      const v = await api(`/api/view?${p}`);
      if (v.empty_day) { out.replaceChildren(el('p', {}, 'No block on that day.')); return; }
      const rows = [];
      for (const t of v.transfers) {
        for (const o of t.outputs.filter((x) => !x.change)) rows.push({ t, o });
      }
      const byParty = new Map();
      const add = (party, k, n) => {
        const e = byParty.get(party) || { sent: 0, received: 0 };
        e[k] += n;
        byParty.set(party, e);
      };
      const byHeight = new Map();
      for (const { t, o } of rows) {
        const n = Number(o.amount) / 10 ** dec(t.asset);
        add(t.from, 'sent', n);
        add(o.to, 'received', n);
        byHeight.set(t.timestamp_ms, (byHeight.get(t.timestamp_ms) || 0) + n);
      }
      const charts = el('div', { class: 'two' });
      const parties = [...byParty.keys()].sort();
      const times = [...byHeight.keys()].sort((a, b) => a - b);
      out.replaceChildren(
        accessNote(v.access_records),
        el('div', { class: 'grid' },
          stat('Transfers and mints', fmtInt(v.transfers.length), 'view-count'),
          stat('Heights', `${v.from_height} – ${v.to_height}`, 'view-range')),
        el('div', {},
          el('button', { type: 'button', class: 'secondary', 'data-testid': 'export-view-csv', onclick: () => download(`/api/view.csv?${p}`, 'veil-transfers.csv').catch((e) => out.prepend(errorBox(e))) }, 'Export CSV'), ' ',
          el('button', { type: 'button', class: 'secondary', onclick: () => download_json(v, 'veil-transfers.json') }, 'Export JSON')),
        charts,
        table('Payments (change outputs left out)', [
          { label: 'Height', num: true, cell: (r) => fmtInt(r.t.height) },
          { label: 'Time', cell: (r) => fmtTime(r.t.timestamp_ms) },
          { label: 'Transaction', cell: (r) => short(r.t.tx) },
          { label: 'Kind', cell: (r) => r.t.kind },
          { label: 'From', cell: (r) => r.t.from },
          { label: 'To', cell: (r) => r.o.to },
          { label: 'Amount', num: true, cell: (r) => amount(r.o.amount, r.t.asset) },
          { label: 'Memo', cell: (r) => r.o.memo },
          { label: 'Check', cell: (r) => r.o.payload_matches ? 'ok' : el('strong', { class: 'alert critical' }, 'note disagrees with proven amount') },
        ], rows, { 'data-testid': 'view-table' }));
      barChart(charts, 'Paid and received per participant (asset units)', parties,
        [{ label: 'sent', values: parties.map((x) => byParty.get(x).sent) },
          { label: 'received', values: parties.map((x) => byParty.get(x).received) }], 'chart-parties');
      lineChart(charts, 'Volume per block (asset units)', times.map((t) => t / 1000),
        [{ label: 'paid', values: times.map((t) => byHeight.get(t)) }], 'chart-volume');
      announce(`${rows.length} payments opened; ${v.access_records.length} access records left`);
    } catch (e) { out.replaceChildren(errorBox(e)); }
  });
  render(main, 'Transfers', el('p', { class: 'muted' },
    'Opens every transfer in the range with this keystore\'s epoch keys. Amounts are the proven ones (from the verifiable ciphertexts); a flag marks a note that disagrees.'), form, out);
}

// ---------------------------------------------------------------- report

function reportPage() {
  const out = el('div', { 'aria-live': 'polite' });
  const form = rangeForm('report-form', { bank: false, top: true }, async (p) => {
    out.replaceChildren(el('p', {}, 'Building the report…'));
    try {
      const r = await api(`/api/report?${p}`);
      if (!r.report) { out.replaceChildren(el('p', {}, 'No block on that day.')); return; }
      const rep = r.report;
      const rows = [];
      for (const [party, assets] of Object.entries(rep.totals)) {
        for (const [asset, t] of Object.entries(assets)) rows.push({ party, asset, t });
      }
      const charts = el('div', { class: 'two' });
      out.replaceChildren(
        accessNote(r.access_records),
        facts([['Heights', `${rep.from_height} – ${rep.to_height}`], ['Transactions', fmtInt(rep.transactions)]]),
        el('div', {},
          el('button', { type: 'button', class: 'secondary', 'data-testid': 'export-report-csv', onclick: () => download(`/api/report.csv?${p}`, 'veil-clearing-report.csv').catch((e) => out.prepend(errorBox(e))) }, 'Export CSV'), ' ',
          el('button', { type: 'button', class: 'secondary', onclick: () => download_json(r, 'veil-clearing-report.json') }, 'Export JSON')),
        charts,
        table('Positions per participant and asset', [
          { label: 'Participant', cell: (x) => x.party },
          { label: 'Asset', cell: (x) => x.asset },
          { label: 'Inflow', num: true, cell: (x) => fmtAmount(x.t.inflow, dec(x.asset)) },
          { label: 'Outflow', num: true, cell: (x) => fmtAmount(x.t.outflow, dec(x.asset)) },
          { label: 'Fees', num: true, cell: (x) => fmtAmount(x.t.fees, dec(x.asset)) },
          { label: 'Net', num: true, cell: (x) => fmtAmount(x.t.net, dec(x.asset)) },
          { label: 'Received', num: true, cell: (x) => fmtInt(x.t.received) },
          { label: 'Sent', num: true, cell: (x) => fmtInt(x.t.sent) },
        ], rows, { 'data-testid': 'report-table' }),
        el('h2', {}, 'Largest transfers'),
        table('Largest transfers', [
          { label: 'Amount', num: true, cell: (l) => amount(l.amount, l.asset) },
          { label: 'From', cell: (l) => l.from },
          { label: 'To', cell: (l) => l.to },
          { label: 'Height', num: true, cell: (l) => fmtInt(l.height) },
          { label: 'Transaction', cell: (l) => short(l.tx) },
        ], rep.largest),
        rep.flagged.length ? el('div', { class: 'alert critical', role: 'alert' }, `Outputs whose note disagrees with the proven amount: ${rep.flagged.join(', ')}`) : null);
      const parties = rows.map((x) => `${x.party} (${x.asset})`);
      barChart(charts, 'Net position per participant (asset units)', parties,
        [{ label: 'net', values: rows.map((x) => Number(x.t.net) / 10 ** dec(x.asset)) }], 'chart-net');
      announce(`report over ${rep.transactions} transactions`);
    } catch (e) { out.replaceChildren(errorBox(e)); }
  });
  render(main, 'Day-end clearing report', form, out);
}

// ---------------------------------------------------------------- audit trail

async function auditPage() {
  const t = await api('/api/audit-trail');
  render(main, 'Audit trail of this keystore',
    el('p', { class: 'muted' }, 'Every query this keystore made through the node, as the ledger recorded it (newest first). Anyone can read this trail with `veil audit-log`.'),
    el('p', {}, el('button', { type: 'button', class: 'secondary', onclick: () => route() }, 'Refresh')),
    table('Access records signed by this keystore', [
      { label: 'Height', num: true, cell: (e) => fmtInt(e.height) },
      { label: 'Time', cell: (e) => fmtTime(e.timestamp_ms) },
      { label: 'Requester', cell: (e) => e.requester_label },
      { label: 'Request', cell: (e) => el('code', { class: 'breakall' }, `${e.method} ${e.target}`) },
      { label: 'Record', cell: (e) => short(e.tx) },
    ], t.entries, { 'data-testid': 'audit-table' }));
}

// ---------------------------------------------------------------- delegation

function delegatePage() {
  const out = el('div', { 'aria-live': 'polite', 'data-testid': 'delegate-result' });
  if (!session.regulator) {
    render(main, 'Delegate to an auditor', el('p', {}, `These credentials are an ${session.viewer}; only a regulator can delegate.`));
    return;
  }
  const input = (name, label, attrs) => el('label', { for: `d-${name}` }, label, el('input', { id: `d-${name}`, name, required: true, ...attrs }));
  const form = el('form', { class: 'stack' },
    input('epoch', 'Epoch (the auditor gets this epoch\'s key and nothing else)', { type: 'number', min: 0, value: session.epoch }),
    input('file', `Keystore file name (written in ${session.delegation_dir}, mode 0600)`, { type: 'text', value: `auditor-epoch-${session.epoch}.keystore`, pattern: '[A-Za-z0-9_][A-Za-z0-9._\\-]*' }),
    input('days', 'Valid for (days)', { type: 'number', min: 1, max: 366, value: 30 }),
    input('pass', 'Auditor\'s passphrase (12 characters or more; give it to the auditor separately)', { type: 'password', minlength: 12, autocomplete: 'new-password' }),
    el('div', {}, el('button', { type: 'submit' }, 'Write the auditor key')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = (n) => form.elements[n].value;
    try {
      const r = await api('/api/delegate', {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ epoch: Number(v('epoch')), file: v('file'), expires_days: Number(v('days')), passphrase: v('pass') }),
      });
      form.elements.pass.value = '';
      out.replaceChildren(el('div', { class: 'alert ok' }, `Written: ${r.file}`),
        facts([['Jurisdiction', r.delegation.jurisdiction], ['Epoch', String(r.delegation.epoch)],
          ['Key versions', r.delegation.versions.join(', ')], ['Auditor key', el('code', {}, r.delegation.auditor)],
          ['Expires', fmtTime(r.delegation.expires_ms)]]));
    } catch (err) { out.replaceChildren(errorBox(err)); }
  });
  render(main, 'Delegate to an auditor', form, out);
}

// ---------------------------------------------------------------- routing

const routes = { view: viewPage, report: reportPage, audit: auditPage, delegate: delegatePage };

async function route() {
  const name = (location.hash.match(/^#\/(\w+)/) || [])[1] || 'view';
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  try {
    if (!session) {
      session = await api('/api/session');
      $('#chain').textContent = `${session.viewer} · ${session.chain_id} · height ${fmtInt(session.height)}`;
    }
    await (routes[name] || viewPage)();
  } catch (e) {
    render(main, 'Regulator console', errorBox(e),
      e.status === 401 ? el('p', {}, 'Open the console with the link that `veil regulator console` printed.') : null);
  }
}

window.addEventListener('hashchange', route);
route();
