// Veil's public console: explorer, network and operations, governance,
// credentials. Reads the node's public API only (same origin).
import {
  $, el, getJSON, fmtInt, fmtAmount, fmtBytes, fmtTime, fmtDuration, short, table, facts, stat,
  render, errorBox, announce,
} from './common.js';
import { lineChart } from './charts.js';

const main = $('#main');
let timer = null;
let status = null;

function stop() {
  if (timer) clearInterval(timer);
  timer = null;
}

/** Runs `f` now and every `ms` while the page stays on this route. */
function every(ms, f) {
  stop();
  const route = location.hash;
  const tick = async () => {
    if (location.hash !== route) { stop(); return; }
    try { await f(); } catch (e) { console.warn('refresh failed:', e.message); }
  };
  timer = setInterval(tick, ms);
}

const link = (href, text) => el('a', { href }, text);
const blockLink = (h) => link(`#/block/${h}`, fmtInt(h));
const txLink = (hash) => el('a', { href: `#/tx/${hash}` }, short(hash));
const HEX64 = /^[0-9a-f]{64}$/;

async function refreshChain() {
  status = await getJSON('/v1/status');
  $('#chain').textContent = `${status.chain_id} · height ${fmtInt(status.height)}`;
  return status;
}

// ---------------------------------------------------------------- dashboard

async function dashboard() {
  const [s, health, vals, hist, gov] = await Promise.all([
    refreshChain(), getJSON('/v1/node/health'), getJSON('/v1/validators'),
    getJSON('/v1/node/history'), getJSON('/v1/governance/proposals'),
  ]);
  const stats = el('div', { class: 'grid', id: 'stats' });
  const alerts = el('section', { 'aria-labelledby': 'alerts-h' });
  const charts = el('div', { class: 'two', id: 'charts' });
  const fill = (s, h) => {
    stats.replaceChildren(
      stat('Height', fmtInt(s.height), 'height', `block ${fmtTime(s.timestamp_ms)}`),
      stat('Last block', `${fmtDuration(h.last_block_age_s)} ago`, 'block-age'),
      stat('Mempool', `${fmtInt(s.mempool.count)} tx`, 'mempool', `${fmtBytes(s.mempool.bytes)} of ${fmtBytes(h.mempool_max_bytes)}`),
      stat('Validators', fmtInt(vals.nodes.filter((n) => n.power > 0).length || (s.validators || []).length || 1), 'validators',
        vals.total_power ? `voting power ${fmtInt(vals.total_power)}` : 'single dev node'),
      stat('Peers', fmtInt(h.peers.length), 'peers'),
      stat('Disk used', fmtBytes(h.data_bytes), 'disk',
        h.disk_free_bytes !== null ? `${fmtBytes(h.disk_free_bytes)} free` : null),
      stat('Version', h.version, 'version', `up ${fmtDuration(h.uptime_s)}`),
      stat('Regulator epoch', fmtInt(s.epoch), 'epoch'),
    );
    alerts.replaceChildren(
      el('h2', { id: 'alerts-h' }, 'Alerts'),
      h.alerts.length
        ? h.alerts.map((a) => el('div', { class: `alert ${a.severity}`, role: a.severity === 'critical' ? 'alert' : null },
          el('strong', {}, `${a.severity}: ${a.code} — `), a.message))
        : el('div', { class: 'alert ok' }, 'No alerts.'),
    );
  };
  const drawCharts = (hist) => {
    charts.replaceChildren();
    const t = hist.samples.map((x) => x.time_ms / 1000);
    lineChart(charts, 'Height', t, [{ label: 'height', values: hist.samples.map((x) => x.height) }], 'chart-height');
    lineChart(charts, 'Committed transactions per second', t,
      [{ label: 'TPS', values: hist.samples.map((x) => x.committed_tps) }], 'chart-tps');
    lineChart(charts, 'Finality (block timestamp → committed here)', t, [
      { label: 'median', unit: 'ms', values: hist.samples.map((x) => x.finality_p50_ms) },
      { label: 'slowest', unit: 'ms', values: hist.samples.map((x) => x.finality_max_ms) },
    ], 'chart-finality');
    lineChart(charts, 'Mempool', t, [
      { label: 'transactions', values: hist.samples.map((x) => x.mempool_txs) },
      { label: 'refused', values: hist.samples.map((x) => x.rejected) },
    ], 'chart-mempool');
  };
  fill(s, health);
  drawCharts(hist);

  const validators = table('Validators and their voting power', [
    { label: 'Name', cell: (n) => n.name || '—' },
    { label: 'Node key', cell: (n) => short(n.key) },
    { label: 'Address', cell: (n) => n.address || '—' },
    { label: 'Power', num: true, cell: (n) => fmtInt(n.power) },
    { label: 'Missed', num: true, cell: (n) => fmtInt(n.missed) },
    { label: 'State', cell: (n) => n.jail ? `jailed (${n.jail.reason})` : n.observer ? 'observer' : n.power > 0 ? 'validating' : 'candidate' },
  ], vals.nodes, { 'data-testid': 'validators-table' });
  const peers = table('Connected peers', [
    { label: 'Node key', cell: (p) => short(p.key) },
    { label: 'Announced height', num: true, cell: (p) => p.height === null ? '—' : fmtInt(p.height) },
  ], health.peers);
  const events = table('Recent warnings and errors (newest first)', [
    { label: 'Time', cell: (e) => fmtTime(e.time_ms) },
    { label: 'Level', cell: (e) => el('span', { class: 'badge' }, e.level) },
    { label: 'Source', cell: (e) => el('code', {}, e.target) },
    { label: 'Message', cell: (e) => e.message },
  ], health.events.slice(0, 50), { 'data-testid': 'events' });
  const open = gov.proposals.filter((p) => p.status === 'voting');
  render(main, 'Network & operations', stats, alerts,
    el('h2', {}, 'Over the last hour'), charts,
    el('h2', {}, 'Validators'), validators,
    el('h2', {}, 'Peers'), peers,
    el('h2', {}, 'Governance'),
    el('p', {}, `${open.length} proposal(s) open for voting, ${gov.proposals.length} in all. `, link('#/governance', 'See proposals and tallies')),
    el('h2', {}, 'Recent warnings and errors'), events,
    el('p', { class: 'muted' }, 'Long-term metrics: scrape /metrics with Prometheus and import the Grafana dashboard in config/grafana/.'));
  let lastHistory = hist.samples.length;
  every(2000, async () => {
    const [s2, h2] = await Promise.all([refreshChain(), getJSON('/v1/node/health')]);
    fill(s2, h2);
    const hs = await getJSON('/v1/node/history');
    if (hs.samples.length !== lastHistory) { lastHistory = hs.samples.length; drawCharts(hs); }
  });
}

// ---------------------------------------------------------------- explorer

function searchForm(value = '') {
  const input = el('input', {
    id: 'search', type: 'search', name: 'q', value, size: 70, required: true,
    placeholder: 'height, transaction hash or key image', 'aria-describedby': 'search-help',
  });
  return el('form', {
    class: 'inline', role: 'search',
    onsubmit: (e) => { e.preventDefault(); location.hash = `#/search/${encodeURIComponent(input.value.trim())}`; },
  },
  el('label', { for: 'search' }, 'Search the ledger', input),
  el('button', { type: 'submit' }, 'Search'),
  el('span', { id: 'search-help', class: 'muted' }, 'A block height, a transaction hash, or a key image (64 hex digits).'));
}

async function explorer() {
  const s = await refreshChain();
  const page = await getJSON(`/v1/blocks?from=${Math.max(0, s.height - 24)}&limit=25`);
  const blocks = page.blocks.reverse();
  render(main, 'Explorer', searchForm(),
    table('Latest blocks', [
      { label: 'Height', num: true, cell: (b) => blockLink(b.header.height) },
      { label: 'Time', cell: (b) => fmtTime(b.header.timestamp_ms) },
      { label: 'Transactions', num: true, cell: (b) => fmtInt(b.header.tx_count) },
      { label: 'Kinds', cell: (b) => [...new Set(b.txs.map((t) => t.kind))].join(', ') || '—' },
      { label: 'Hash', cell: (b) => short(b.header.hash) },
      { label: 'Signers', num: true, cell: (b) => fmtInt(b.signers.length) },
    ], blocks, { 'data-testid': 'latest-blocks' }));
}

async function search(q) {
  q = decodeURIComponent(q || '').trim().toLowerCase();
  if (/^\d+$/.test(q)) { location.hash = `#/block/${q}`; return; }
  if (!HEX64.test(q)) {
    render(main, 'Search', searchForm(q),
      el('div', { class: 'alert warning', role: 'alert' }, `“${q}” is neither a height nor 64 hex digits.`));
    return;
  }
  try {
    await getJSON(`/v1/transactions/${q}`);
    location.hash = `#/tx/${q}`;
    return;
  } catch (e) { if (e.status !== 404) throw e; }
  const ki = await getJSON(`/v1/key-images/${q}`).catch((e) => { if (e.status === 404 || e.status === 400) return null; throw e; });
  if (ki && (ki.spent || ki.pending)) { location.hash = `#/key-image/${q}`; return; }
  render(main, 'Search', searchForm(q),
    el('div', { class: 'alert warning', role: 'alert', 'data-testid': 'not-found' },
      'No transaction with this hash, and no spent key image equal to it. (Block hashes are not indexed: search blocks by height.)'));
}

function txSummaryColumns() {
  return [
    { label: 'Hash', cell: (t) => txLink(t.hash) },
    { label: 'Kind', cell: (t) => el('span', { class: 'badge' }, t.kind) },
    { label: 'Asset', cell: (t) => t.asset || '—' },
    { label: 'Inputs', num: true, cell: (t) => fmtInt(t.key_images.length) },
    { label: 'Outputs', num: true, cell: (t) => fmtInt(t.outputs) },
    { label: 'Size', num: true, cell: (t) => fmtBytes(t.size) },
  ];
}

async function block(h) {
  const b = await getJSON(`/v1/blocks/${encodeURIComponent(h)}`);
  await refreshChain();
  const hd = b.header;
  render(main, `Block ${fmtInt(hd.height)}`,
    facts([
      ['Height', String(hd.height), 'block-height'],
      ['Hash', el('code', { class: 'breakall' }, hd.hash)],
      ['Parent', hd.height > 0 ? el('a', { href: `#/block/${hd.height - 1}` }, el('code', { class: 'breakall' }, hd.parent)) : el('code', {}, hd.parent)],
      ['Time', fmtTime(hd.timestamp_ms)],
      ['Transactions', fmtInt(hd.tx_count)],
      ['Transaction root', el('code', { class: 'breakall' }, hd.tx_root)],
      ['State root', el('code', { class: 'breakall' }, hd.state_root)],
      ['Proposer', el('code', { class: 'breakall' }, hd.proposer)],
      ['Certificate signers', b.signers.length ? el('ul', { class: 'plain' }, b.signers.map((s) => el('li', {}, el('code', {}, s)))) : 'none (a single dev node commits without a certificate)'],
    ]),
    el('p', {},
      hd.height > 0 ? link(`#/block/${hd.height - 1}`, '← previous') : null, ' ',
      status && hd.height < status.height ? link(`#/block/${hd.height + 1}`, 'next →') : null),
    el('h2', {}, 'Transactions'),
    table(`Transactions in block ${hd.height}`, txSummaryColumns(), b.txs, { 'data-testid': 'block-txs' }));
}

function hidden(text) {
  return el('span', { class: 'hidden-note' }, el('span', { class: 'badge' }, 'not on the ledger'), ' ', text);
}

async function tx(hash) {
  const [t, s] = await Promise.all([getJSON(`/v1/transactions/${encodeURIComponent(hash)}`), refreshChain()]);
  const x = t.transaction;
  const decimals = s.assets.find((a) => a.id === x.asset)?.decimals ?? 0;
  if (!x) throw new Error('the transaction left the mempool; reload');
  render(main, 'Transaction',
    facts([
      ['Hash', el('code', { class: 'breakall', 'data-testid': 'tx-hash' }, t.hash)],
      ['Status', t.status === 'committed' ? el('span', {}, 'committed in block ', blockLink(t.height), ` at position ${t.position}`) : 'pending'],
      ['Kind', x.kind],
      ['Asset', x.asset || '—'],
      ['Size', `${fmtInt(x.size)} bytes`],
      ['Fee', x.fee === undefined || x.fee === null ? '—' : `${fmtAmount(x.fee, decimals)} ${x.asset} (public)`],
      ['Ring sizes', x.ring_sizes.length ? x.ring_sizes.join(', ') : '—'],
      ['Amounts', hidden('hidden in commitments; only the parties and the regulator can open them')],
      ['Sender and receivers', hidden('one-time keys only; unlinkable to addresses')],
      ['Memo', hidden('encrypted to the receiver and the regulator')],
    ]),
    el('h2', {}, 'Key images (spent inputs)'),
    table('Key images', [{ label: 'Key image', cell: (k) => el('a', { href: `#/key-image/${k}` }, el('code', { class: 'breakall' }, k)) }],
      x.key_images, { 'data-testid': 'key-images' }),
    el('h2', {}, 'Outputs'),
    table('Outputs: one-time key and amount commitment', [
      { label: '#', num: true, cell: (o) => String(o.i) },
      { label: 'Global index', num: true, cell: (o) => fmtInt(x.first_output + o.i) },
      { label: 'One-time key', cell: (o) => el('code', { class: 'breakall' }, o.key) },
      { label: 'Amount commitment', cell: (o) => el('code', { class: 'breakall' }, o.commitment) },
    ], x.one_time_keys.map((key, i) => ({ i, key, commitment: x.commitments[i] }))),
    el('h2', {}, 'Proofs, signatures and ciphertexts'),
    table('Parts and their sizes', [
      { label: 'Part', cell: (p) => p.name },
      { label: 'Bytes', num: true, cell: (p) => fmtInt(p.bytes) },
    ], x.parts),
    el('p', {}, link('#/privacy', 'What the ledger does not show, and why')));
}

async function keyImage(ki) {
  const k = await getJSON(`/v1/key-images/${encodeURIComponent(ki)}`);
  render(main, 'Key image',
    facts([
      ['Key image', el('code', { class: 'breakall' }, k.key_image)],
      ['Spent', k.spent ? 'yes' : k.pending ? 'pending (in the mempool)' : 'no', 'ki-spent'],
      ['By transaction', k.tx ? txLink(k.tx) : '—'],
      ['In block', k.height !== null && k.height !== undefined ? blockLink(k.height) : '—', 'ki-block'],
    ]),
    el('p', { class: 'muted' }, 'A key image marks one output as spent without saying which: the ring hides it among decoys. The same key image twice is a double spend, refused.'));
}

// ---------------------------------------------------------------- governance

async function governance() {
  const [g, p, v] = await Promise.all([
    getJSON('/v1/governance'), getJSON('/v1/governance/proposals'), getJSON('/v1/validators'),
  ]);
  const pct = (n) => `${(Number(n) / 10000).toFixed(1)} %`;
  render(main, 'Governance',
    facts([
      ['Governance', g.enabled ? 'enabled' : 'disabled (genesis committee only)'],
      ['Committee weight', fmtInt(g.total_weight)],
      ['Quorum / threshold / veto', `${pct(g.params.quorum)} / ${pct(g.params.threshold)} / ${pct(g.params.veto)}`],
      ['Voting period', `${fmtInt(g.params.voting_period)} blocks`],
      ['Max validators', fmtInt(g.params.max_validators)],
      ['Max transactions per block', fmtInt(g.params.max_block_txs)],
    ]),
    el('h2', {}, 'Committee'),
    table('Committee members', [
      { label: 'Label', cell: (m) => m.label },
      { label: 'Key', cell: (m) => short(m.key) },
      { label: 'Weight', num: true, cell: (m) => fmtInt(m.weight) },
    ], g.committee),
    el('h2', {}, 'Proposals'),
    table('Proposals and their tallies (newest first)', [
      { label: 'ID', num: true, cell: (x) => String(x.id) },
      { label: 'Action', cell: (x) => [el('strong', {}, x.action.kind), ' ', Object.entries(x.action.fields).map(([k, val]) => `${k}=${val}`).join(' ')] },
      { label: 'Status', cell: (x) => el('span', { class: 'badge' }, x.status) },
      { label: 'Votes', cell: (x) => x.votes.map((vt) => `${vt.voter.slice(0, 8)}…: ${vt.choice}`).join(', ') || '—' },
      { label: 'Tally (yes/no/abstain/veto of total)', cell: (x) => x.tally ? `${x.tally.yes}/${x.tally.no}/${x.tally.abstain}/${x.tally.veto} of ${x.tally.total}` : '—' },
      { label: 'Heights', cell: (x) => `${x.submitted_height} → ${x.closed_height ?? x.voting_end_height}` },
      { label: 'Memo', cell: (x) => x.memo },
    ], [...p.proposals].reverse(), { 'data-testid': 'proposals' }),
    el('h2', {}, 'Nodes'),
    table('Registered nodes', [
      { label: 'Name', cell: (n) => n.name },
      { label: 'Key', cell: (n) => short(n.key) },
      { label: 'Bond', num: true, cell: (n) => fmtInt(n.bond) },
      { label: 'Delegated', num: true, cell: (n) => fmtInt(n.delegated) },
      { label: 'Power', num: true, cell: (n) => fmtInt(n.power) },
    ], v.nodes));
}

// ---------------------------------------------------------------- credentials

async function credentials() {
  const trust = await getJSON('/v1/trust-list');
  const didOut = el('div', { 'aria-live': 'polite', 'data-testid': 'did-result' });
  const didInput = el('input', { id: 'did', name: 'did', size: 50, placeholder: 'did:veil:…', required: true, value: trust.root_authority || '' });
  const verifyOut = el('div', { 'aria-live': 'polite', 'data-testid': 'verify-result' });
  const pres = el('textarea', { id: 'presentation', name: 'presentation', required: true, placeholder: '{"@context": …, "type": ["VerifiablePresentation"], …}' });
  const req = el('textarea', { id: 'request', name: 'request', required: true, placeholder: '{"type": "KycCredential", "scope": …}' });
  render(main, 'Credentials',
    el('h2', {}, 'Resolve a DID'),
    el('form', {
      class: 'inline',
      onsubmit: async (e) => {
        e.preventDefault();
        didOut.replaceChildren(el('p', {}, 'Resolving…'));
        try {
          const d = await getJSON(`/v1/dids/${encodeURIComponent(didInput.value.trim())}`);
          didOut.replaceChildren(el('pre', { class: 'json' }, JSON.stringify(d, null, 2)));
        } catch (err) { didOut.replaceChildren(errorBox(err)); }
      },
    }, el('label', { for: 'did' }, 'DID', didInput), el('button', { type: 'submit' }, 'Resolve')),
    didOut,
    el('h2', {}, 'Trust list'),
    facts([['Root authority', el('code', {}, trust.root_authority)], ['Sequence', fmtInt(trust.sequence)]]),
    table('Credential types the root authority recognises', [
      { label: 'Type', cell: (c) => c.name },
      { label: 'Attributes', cell: (c) => c.attributes.map((a) => `${a.name} (${a.kind})`).join(', ') },
    ], trust.credential_types, { 'data-testid': 'trust-list' }),
    el('h2', {}, 'Verify a presentation'),
    el('p', { class: 'muted' }, 'Paste what the holder sent and the request it answers. The node checks the proof, the issuer\'s accreditation and revocation, and records the scope\'s nullifier.'),
    el('form', {
      class: 'stack',
      onsubmit: async (e) => {
        e.preventDefault();
        let body;
        try {
          body = JSON.stringify({ presentation: JSON.parse(pres.value), request: JSON.parse(req.value) });
        } catch (err) {
          verifyOut.replaceChildren(el('div', { class: 'alert warning', role: 'alert' }, `Not JSON: ${err.message}`));
          return;
        }
        verifyOut.replaceChildren(el('p', {}, 'Verifying…'));
        try {
          const r = await getJSON('/v1/presentations/verify', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
          verifyOut.replaceChildren(el('div', { class: 'alert ok' }, `Verified: ${r.credential_type} from ${r.issuer}`),
            el('pre', { class: 'json' }, JSON.stringify(r, null, 2)));
        } catch (err) {
          verifyOut.replaceChildren(el('div', { class: 'alert critical', role: 'alert' },
            el('strong', {}, 'Not verified: '), err.problem ? `${err.problem.title} — ${err.problem.detail}` : err.message));
        }
      },
    },
    el('label', { for: 'presentation' }, 'Presentation (JSON)', pres),
    el('label', { for: 'request' }, 'Request (JSON)', req),
    el('div', {}, el('button', { type: 'submit' }, 'Verify'))),
    verifyOut);
}

// ---------------------------------------------------------------- privacy

function privacy() {
  const row = (what, shown, hidden, who) => ({ what, shown, hidden, who });
  render(main, 'What the ledger does not show',
    el('p', {}, 'Every member of the consortium holds the same ledger. It is built so that holding it tells you that transfers are valid, and nothing about who paid whom how much.'),
    table('What is public, what is hidden, and who can open it', [
      { label: 'Data', cell: (r) => r.what },
      { label: 'On the ledger', cell: (r) => r.shown },
      { label: 'Not on the ledger', cell: (r) => r.hidden },
      { label: 'Who can open it', cell: (r) => r.who },
    ], [
      row('Amounts', 'Pedersen commitments and a range proof that each is within range', 'The amount', 'The sender, the receiver, and the regulator holding the epoch key (each opening recorded)'),
      row('Receiver', 'A one-time key per output, unlinkable to the receiver\'s address', 'The address; that two outputs go to the same party', 'The receiver (view key) and the regulator'),
      row('Sender', 'A ring signature over 16 outputs and a key image', 'Which ring member was spent; the sender\'s address', 'The regulator'),
      row('Memo', 'A ciphertext', 'The text', 'The receiver and the regulator'),
      row('Fee', 'The fee, in minor units', '—', 'Everyone'),
      row('Documents and credentials', 'Commitments, nullifiers, proofs', 'Attributes the holder did not disclose', 'The holder; the regulator for hook-accredited credentials'),
      row('Regulator openings', 'An access record per query, signed by the regulator', '—', 'Everyone: the audit trail is public'),
    ], { 'data-testid': 'privacy-table' }),
    el('p', {}, 'What this console shows of a transaction is exactly this public part: kind, size, key images, one-time keys, commitments, proof sizes, fee, block and the certificate\'s signers.'));
}

// ---------------------------------------------------------------- routing

const routes = [
  [/^#?\/?$/, 'dashboard', dashboard],
  [/^#\/explorer$/, 'explorer', explorer],
  [/^#\/search\/(.*)$/, 'explorer', search],
  [/^#\/block\/(\d+|latest)$/, 'explorer', block],
  [/^#\/tx\/([0-9a-f]{64})$/, 'explorer', tx],
  [/^#\/key-image\/([0-9a-f]{64})$/, 'explorer', keyImage],
  [/^#\/governance$/, 'governance', governance],
  [/^#\/credentials$/, 'credentials', credentials],
  [/^#\/privacy$/, 'privacy', privacy],
];

async function route() {
  stop();
  const hash = location.hash || '#/';
  for (const [re, nav, f] of routes) {
    const m = hash.match(re);
    if (!m) continue;
    for (const a of document.querySelectorAll('[data-nav]')) {
      if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    try {
      await f(...m.slice(1));
      announce(document.title);
    } catch (e) {
      render(main, 'Something went wrong', errorBox(e));
    }
    return;
  }
  render(main, 'Not found', el('p', {}, 'No such page. '), link('#/', 'Back to the dashboard'));
}

window.addEventListener('hashchange', route);
route();
