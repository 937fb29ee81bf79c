// End-to-end: the public console and the regulator console in headless
// Chromium (Debian's, driven by playwright-core) against a real dev node.
//
//   cargo build --release -p veil && cd crates/console && npm ci && node --test e2e/
//
// VEIL_BIN overrides target/release/veil; CHROMIUM overrides
// /usr/bin/chromium. Screenshots go to target/console-screenshots/; with
// VEIL_UPDATE_SCREENSHOTS=1 also to docs/console/ (the README shows those).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, existsSync, readFileSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const veil = process.env.VEIL_BIN || join(repo, 'target', 'release', 'veil');
const shots = join(repo, 'target', 'console-screenshots');
const docShots = join(repo, 'docs', 'console');
const env = { ...process.env, VEIL_PASSPHRASE: 'dev', RUST_LOG: 'warn' };

// What a transfer made in this test carries; none of it may reach the
// public console.
const AMOUNT = '1234.56';
const AMOUNT_MINOR = '123456';
const MEMO = 'invoice INV-7731 for steel';

let dir; let node; let api; let browser; let regulator; let regulatorUrl;
const children = [];
let transfer; let addrA; let addrB;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function getJSON(path) {
  const r = await fetch(api + path);
  assert.ok(r.ok, `${path}: ${r.status}`);
  return r.json();
}

function cli(...args) {
  return execFileSync(veil, ['--api', api, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function pay(amount, memo) {
  return JSON.parse(cli('--json', 'wallet', '--wallet', join(dir, 'dev', 'bank-a.wallet'),
    'transfer', '--to', addrB, '--amount', amount, '--memo', memo));
}

async function newPage() {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  const bodies = [];
  page.on('response', async (r) => {
    try { bodies.push({ url: r.url(), text: await r.text() }); } catch { /* redirects have no body */ }
  });
  return { page, errors, bodies };
}

// Accessibility: axe-core (npm, pinned by the lockfile) over the page as
// it is; any serious or critical violation fails the test.
const axeSource = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
async function accessible(page, name) {
  // Evaluated over the DevTools protocol: the page's CSP forbids inline
  // scripts, and stays on.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${name}: accessibility violations`);
}

async function shot(page, name) {
  await accessible(page, name);
  mkdirSync(shots, { recursive: true });
  const file = join(shots, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.VEIL_UPDATE_SCREENSHOTS === '1') {
    mkdirSync(docShots, { recursive: true });
    copyFileSync(file, join(docShots, `${name}.png`));
  }
}

before(async () => {
  assert.ok(existsSync(veil), `${veil} is missing: cargo build --release -p veil`);
  dir = mkdtempSync(join(tmpdir(), 'veil-console-'));
  const port = await freePort();
  api = `http://127.0.0.1:${port}`;
  node = spawn(veil, ['node', '--dev', '--data-dir', dir, '--api', api], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(node);
  let log = '';
  node.stderr.on('data', (d) => { log += d; });
  const deadline = Date.now() + 60_000;
  for (;;) {
    assert.ok(node.exitCode === null, `the dev node exited: ${log}`);
    assert.ok(Date.now() < deadline, `the dev node did not answer in 60 s: ${log}`);
    try {
      const r = await fetch(`${api}/v1/status`);
      if (r.ok && existsSync(join(dir, 'dev', 'bank-b.wallet'))) break;
    } catch { /* not yet */ }
    await sleep(200);
  }
  addrA = cli('wallet', '--wallet', join(dir, 'dev', 'bank-a.wallet'), 'address').trim();
  addrB = cli('wallet', '--wallet', join(dir, 'dev', 'bank-b.wallet'), 'address').trim();
  transfer = pay(AMOUNT, MEMO);
  const exe = process.env.CHROMIUM || '/usr/bin/chromium';
  browser = await chromium.launch({
    executablePath: exe,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (browser) await browser.close();
  for (const c of children) { if (c.exitCode === null) c.kill('SIGTERM'); }
  await sleep(300);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the public console: dashboard, explorer, search, governance, credentials, privacy', async () => {
  const { page, errors, bodies } = await newPage();
  const status = await getJSON('/v1/status');

  // Dashboard: the height is the node's, and follows it.
  await page.goto(`${api}/console/`);
  await page.getByTestId('height').waitFor();
  assert.equal(await page.getByTestId('height').textContent(), String(status.height));
  await page.getByTestId('validators-table').waitFor();
  const next = pay('1.00', 'second');
  await page.waitForFunction((h) => document.querySelector('[data-testid=height]')?.textContent === String(h),
    next.height, { timeout: 15_000 });
  // The charts draw once the node has two samples (one every 5 s).
  await page.locator('[data-testid=chart-height] canvas').waitFor({ timeout: 20_000 });
  await shot(page, 'dashboard');

  // Explorer: the block holding the transfer, and the transfer in it.
  await page.getByRole('link', { name: 'Explorer' }).click();
  await page.getByTestId('latest-blocks').waitFor();
  await page.getByTestId('latest-blocks').getByRole('link', { name: String(transfer.height), exact: true }).click();
  await page.getByTestId('block-height').waitFor();
  assert.equal(await page.getByTestId('block-height').textContent(), String(transfer.height));
  const txCell = page.getByTestId('block-txs').locator(`code[title="${transfer.tx}"]`);
  await txCell.waitFor();
  await shot(page, 'block');
  await txCell.click();
  await page.getByTestId('tx-hash').waitFor();
  assert.equal(await page.getByTestId('tx-hash').textContent(), transfer.tx);
  const keyImage = (await page.getByTestId('key-images').locator('code').first().textContent()).trim();
  assert.match(keyImage, /^[0-9a-f]{64}$/);
  await shot(page, 'transaction');

  // Search by key image finds the spend and its block.
  await page.getByRole('link', { name: 'Explorer' }).click();
  await page.getByLabel('Search the ledger').fill(keyImage);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByTestId('ki-block').waitFor();
  assert.equal(await page.getByTestId('ki-spent').textContent(), 'yes');
  assert.equal(await page.getByTestId('ki-block').textContent(), String(transfer.height));
  // …and by transaction hash and by height.
  await page.getByRole('link', { name: 'Explorer' }).click();
  await page.getByLabel('Search the ledger').fill(transfer.tx);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByTestId('tx-hash').waitFor();
  await page.getByRole('link', { name: 'Explorer' }).click();
  await page.getByLabel('Search the ledger').fill('ab'.repeat(32));
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByTestId('not-found').waitFor();

  // A committee proposal (the dev committee has one member, so it passes
  // in the block that carries it) and its tally.
  cli('gov', '--keystore', join(dir, 'dev', 'committee.keystore'), 'propose', '--memo', 'console test',
    'set-params', '--set', 'max_block_txs=5000');
  await page.getByRole('link', { name: 'Governance' }).click();
  await page.getByTestId('proposals').getByText('console test').waitFor();
  const proposals = await page.getByTestId('proposals').textContent();
  assert.match(proposals, /set-params/);
  assert.match(proposals, /1\/0\/0\/0 of 1/, proposals);
  await shot(page, 'governance');

  await page.getByRole('link', { name: 'Credentials' }).click();
  await page.getByTestId('trust-list').waitFor();
  await page.getByRole('button', { name: 'Resolve' }).click();
  await page.getByTestId('did-result').locator('pre, [role=alert]').waitFor();
  await page.getByLabel('Presentation (JSON)').fill('{"type": ["VerifiablePresentation"]}');
  await page.getByLabel('Request (JSON)').fill('{}');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByTestId('verify-result').getByText('Not verified').waitFor();
  // A real presentation (the holder proves age ≥ 18, discloses the country).
  const work = mkdtempSync(join(tmpdir(), 'veil-credential-'));
  const holder = JSON.parse(cli('--json', 'did', 'show', '--keystore', join(dir, 'dev', 'holder.identity')));
  const inWork = (...args) => execFileSync(veil, ['--api', api, ...args], { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  inWork('credential', 'issue', '--keystore', join(dir, 'dev', 'kyc-issuer.identity'), '--type', 'KycCredential',
    '--holder-commitment', holder.holder_commitment, '--attr', 'birth_date=1990-04-01', '--attr', 'country=CN',
    '--attr', 'given_name=Li', '--attr', 'family_name=Wei', '--attr', 'document_number=E1234567', '--attr', 'level=2',
    '--out', 'kyc.json');
  inWork('credential', 'request', '--type', 'KycCredential', '--scope', 'console-test', '--disclose', 'country',
    '--min-age', '18', '--out', 'request.json');
  inWork('credential', 'present', '--keystore', join(dir, 'dev', 'holder.identity'), '--credential', 'kyc.json',
    '--request', 'request.json', '--out', 'presentation.json');
  await page.getByLabel('Presentation (JSON)').fill(readFileSync(join(work, 'presentation.json'), 'utf8'));
  await page.getByLabel('Request (JSON)').fill(readFileSync(join(work, 'request.json'), 'utf8'));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByTestId('verify-result').getByText('Verified: KycCredential').waitFor();
  assert.ok((await page.getByTestId('verify-result').textContent()).includes('"country": "CN"'));
  rmSync(work, { recursive: true, force: true });
  await shot(page, 'credentials');

  await page.getByRole('link', { name: 'What the ledger hides' }).click();
  await page.getByTestId('privacy-table').waitFor();
  await shot(page, 'privacy');

  // The only console errors allowed are the API's own answers to the two
  // bad inputs above (404 for the unknown hash, 4xx for the bad presentation).
  const unexpected = errors.filter((e) => !/status of 4\d\d/.test(e));
  assert.deepEqual(unexpected, []);

  // Privacy: nothing the public console received shows the amount, the
  // memo or a party, and neither does any page's text.
  const served = bodies.map((b) => b.text).join('\n');
  assert.ok(bodies.some((b) => b.url.includes('/v1/blocks/')), 'the console fetched blocks');
  for (const secret of [AMOUNT, MEMO, addrA, addrB, 'bank-a', 'bank-b']) {
    assert.ok(!served.includes(secret), `the public console served ${secret}`);
  }
  assert.ok(!new RegExp(`\\b${AMOUNT_MINOR}\\b`).test(served), 'the public console served the amount in minor units');
  await page.close();
});

test('the regulator console: exact amount, audit entry, CSV export, access control', async () => {
  const out = mkdtempSync(join(tmpdir(), 'veil-regulator-console-'));
  regulator = spawn(veil, ['--api', api, '--json', 'regulator', '--keystore', join(dir, 'dev', 'regulator.keystore'),
    'console', '--out-dir', out], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(regulator);
  regulatorUrl = await new Promise((resolve, reject) => {
    let buf = '';
    regulator.stdout.on('data', (d) => {
      buf += d;
      const line = buf.split('\n').find((l) => l.includes('"console"'));
      if (line) resolve(JSON.parse(line).console);
    });
    regulator.on('exit', (c) => reject(new Error(`regulator console exited ${c}`)));
    setTimeout(() => reject(new Error('no console URL in 30 s')), 30_000);
  });
  const base = new URL(regulatorUrl);
  assert.equal(base.hostname, '127.0.0.1');

  // Without the token: 401 problem+json; with another Host: 403.
  const noToken = await fetch(`${base.origin}/api/session`);
  assert.equal(noToken.status, 401);
  assert.match(noToken.headers.get('content-type'), /application\/problem\+json/);
  const rebound = await new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: base.port, path: '/', headers: { host: `evil.example:${base.port}` } },
      (r) => { r.resume(); resolve(r.statusCode); }).on('error', reject);
  });
  assert.equal(rebound, 403);

  // Bad input: a clear problem+json, and nothing written.
  const token = base.hash.replace('#token=', '');
  const call = async (path, init = {}) => {
    const r = await fetch(`${base.origin}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers || {}) } });
    return { status: r.status, type: r.headers.get('content-type'), body: await r.json() };
  };
  const delegate = (body, type = 'application/json') => call('/api/delegate', {
    method: 'POST', headers: { 'content-type': type }, body: JSON.stringify(body),
  });
  const good = { epoch: 0, file: 'auditor.keystore', expires_days: 30, passphrase: 'auditor passphrase 1' };
  for (const [what, r, status] of [
    ['a path as file name', await delegate({ ...good, file: '../escape.keystore' }), 400],
    ['a hidden file', await delegate({ ...good, file: '.hidden' }), 400],
    ['zero days', await delegate({ ...good, expires_days: 0 }), 400],
    ['over a year', await delegate({ ...good, expires_days: 367 }), 400],
    ['a short passphrase', await delegate({ ...good, passphrase: 'short' }), 400],
    ['an unknown field', await delegate({ ...good, extra: 1 }), 400],
    ['not JSON', await delegate(good, 'text/plain'), 415],
    ['a bad day', await call('/api/view?day=2026-13-01'), 400],
    ['a bad height', await call('/api/view?to=abc'), 400],
    ['a non-numeric first height', await call('/api/view?from=abc'), 400],
    ['an unknown parameter', await call('/api/report?colour=red'), 400],
    ['day and heights', await call('/api/view?day=2026-01-01&from=1'), 400],
  ]) {
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
    assert.match(r.type, /application\/problem\+json/, what);
    assert.ok(r.body.detail, what);
  }
  assert.equal(execFileSync('find', [out, '-type', 'f'], { encoding: 'utf8' }).trim(), '', 'nothing written');

  const { page, errors } = await newPage();
  await page.goto(regulatorUrl);
  // The audit trail before the query.
  await page.getByRole('link', { name: 'Audit trail' }).click();
  await page.getByTestId('audit-table').waitFor();
  const before = await page.getByTestId('audit-table').locator('tbody tr td.num:first-child').count();
  await page.getByRole('link', { name: 'Transfers' }).click();
  await page.locator('#view-form button[type=submit]').click();
  await page.getByTestId('view-table').waitFor();
  const table = await page.getByTestId('view-table').textContent();
  assert.ok(table.includes(`${Number(AMOUNT).toLocaleString('en-US', { minimumFractionDigits: 2 })} CNY`), `the view shows ${AMOUNT}: ${table}`);
  assert.ok(table.includes(MEMO), 'the view shows the memo');
  await page.getByTestId('chart-parties').waitFor();
  await shot(page, 'regulator-transfers');

  // By day and participant: today's blocks (found by binary search over
  // block times), only what bank-b took part in; another day has none.
  const today = new Date().toISOString().slice(0, 10);
  await page.locator('#view-form-day').fill(today);
  await page.locator('#view-form-bank').selectOption('bank-b');
  await page.locator('#view-form button[type=submit]').click();
  await page.waitForFunction((tx) => document.querySelector('[data-testid=view-table]')?.textContent.includes(tx.slice(0, 10)), transfer.tx);
  await page.locator('#view-form-day').fill('2020-01-01');
  await page.locator('#view-form button[type=submit]').click();
  await page.getByText('No block on that day.').waitFor();
  await page.locator('#view-form-day').fill('');
  await page.locator('#view-form-bank').selectOption('');
  await page.locator('#view-form button[type=submit]').click();
  await page.getByTestId('view-table').waitFor();

  // CSV export with the exact amount.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-view-csv').click()]);
  const csv = readFileSync(await download.path(), 'utf8');
  assert.ok(csv.split('\n').some((l) => l.includes(`,${AMOUNT},${AMOUNT_MINOR},`) && l.includes(transfer.tx)), `CSV: ${csv}`);

  // A new audit entry, signed by this keystore, after the query.
  await page.getByRole('link', { name: 'Audit trail' }).click();
  await page.getByTestId('audit-table').waitFor();
  const deadline = Date.now() + 20_000;
  let rows = before;
  while (rows <= before && Date.now() < deadline) {
    await sleep(500);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByTestId('audit-table').waitFor();
    rows = await page.getByTestId('audit-table').locator('tbody tr td.num:first-child').count();
  }
  assert.ok(rows > before, `audit entries: ${before} → ${rows}`);
  assert.ok((await page.getByTestId('audit-table').textContent()).includes('/v1/regulator/transfers'));
  await shot(page, 'regulator-audit');

  // The clearing report and its CSV.
  await page.getByRole('link', { name: 'Clearing report' }).click();
  await page.locator('#report-form button[type=submit]').click();
  await page.getByTestId('report-table').waitFor();
  await shot(page, 'regulator-report');
  const [rdl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-report-csv').click()]);
  const rcsv = readFileSync(await rdl.path(), 'utf8');
  assert.match(rcsv.split('\n')[0], /^participant,asset,inflow,outflow,fees,net,received,sent$/);
  assert.ok(rcsv.includes('bank-b,CNY,'), rcsv);

  // Delegation writes an encrypted auditor keystore, 0600.
  await page.getByRole('link', { name: 'Delegate to an auditor' }).click();
  await page.getByLabel(/Auditor's passphrase/).fill('auditor passphrase 1');
  await page.getByRole('button', { name: 'Write the auditor key' }).click();
  await page.getByTestId('delegate-result').getByText('Written:').waitFor();
  const written = execFileSync('find', [out, '-name', '*.keystore', '-perm', '600'], { encoding: 'utf8' }).trim();
  assert.ok(written.endsWith('.keystore'), `auditor keystore 0600 in ${out}`);
  await shot(page, 'regulator-delegate');

  assert.deepEqual(errors, []);
  await page.close();
  rmSync(out, { recursive: true, force: true });
});

test('the Grafana dashboard uses only metrics this node exports', async () => {
  const text = await (await fetch(`${api}/metrics`)).text();
  const file = join(mkdtempSync(join(tmpdir(), 'veil-metrics-')), 'metrics.txt');
  writeFileSync(file, text);
  execFileSync('python3', [join(repo, 'scripts', 'check-grafana'), file], { stdio: 'inherit' });
});
