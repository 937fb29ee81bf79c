// Copies the chart library from node_modules (as package-lock.json pins it)
// into assets/shared/vendor, where the Rust build embeds it; with --check,
// fails unless the vendored files equal the locked package's bytes.
//
//   npm ci && node e2e/vendor.mjs          # after changing the version
//   npm ci && node e2e/vendor.mjs --check  # in .ci/run
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const files = [
  ['node_modules/uplot/dist/uPlot.esm.js', 'assets/shared/vendor/uPlot.esm.js'],
  ['node_modules/uplot/dist/uPlot.min.css', 'assets/shared/vendor/uPlot.min.css'],
  ['node_modules/uplot/LICENSE', 'assets/shared/vendor/uPlot.LICENSE'],
];
const check = process.argv.includes('--check');
let bad = 0;
for (const [from, to] of files) {
  const src = readFileSync(join(root, from));
  if (check) {
    let cur = null;
    try { cur = readFileSync(join(root, to)); } catch { /* missing */ }
    if (!cur || !cur.equals(src)) {
      console.error(`${to} differs from ${from}: run \`node e2e/vendor.mjs\``);
      bad++;
    }
  } else {
    writeFileSync(join(root, to), src);
    console.log(`vendored ${to}`);
  }
}
process.exit(bad ? 1 : 0);
