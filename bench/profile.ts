/**
 * `npm run bench:profile -- <file.cpuprofile> [--top 25]`: where a V8 CPU profile (node --cpu-prof,
 * or `npm run bench -- --cpu-prof <dir>`) spent its time: self time per function and per package.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { markdownTable } from './lib/report.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** node_modules/<package>, src/<dir>, node:<module>, or V8's own buckets such as (garbage collector). */
function packageOf(compiledUrl: string, functionName: string): string {
  // The bench runs src/ compiled into node_modules/.cache/deposit-gateway-bench/src.
  const url = compiledUrl.replace(/^.*node_modules\/\.cache\/[^/]+\//, '/');
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules?.[1]) return modules[1];
  if (url.startsWith('node:')) return url.split('/')[0] ?? url;
  const local = /\/(src|bench|test)\/([^/]+)\//.exec(url);
  return local ? `${local[1]}/${local[2]}` : url.replace(/^.*\//, '');
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string' } } });
const file = positionals[0];
if (!file) {
  process.stderr.write('usage: npm run bench:profile -- <file.cpuprofile> [--top 25]\n');
  process.exit(2);
}
const top = Number(values.top ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
for (const [i, id] of profile.samples.entries())
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);

const functions = new Map<string, number>();
const packages = new Map<string, number>();
for (const [id, us] of selfUs) {
  const frame = byId.get(id)?.callFrame;
  if (!frame) continue;
  const where = frame.url
    ? `${frame.url.replace(/^.*\/(node_modules|src|bench)\//, '$1/')}:${frame.lineNumber + 1}`
    : '';
  const name = `${frame.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
  functions.set(name, (functions.get(name) ?? 0) + us);
  const pkg = packageOf(frame.url, frame.functionName);
  packages.set(pkg, (packages.get(pkg) ?? 0) + us);
}

const rows = (m: Map<string, number>) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => [name, (us / 1000).toFixed(0), ((100 * us) / totalUs).toFixed(1)]);
process.stdout.write(`${file}: ${(totalUs / 1e6).toFixed(1)} s sampled\n\n`);
process.stdout.write(
  `${markdownTable(['function', 'self ms', '%'], rows(functions), [false, true, true])}\n\n`,
);
process.stdout.write(`${markdownTable(['package', 'self ms', '%'], rows(packages), [false, true, true])}\n`);
