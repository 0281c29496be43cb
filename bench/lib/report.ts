import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { ROOT } from './service.js';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  /** 1-minute load average when the run started and ended: other work on the machine skews figures. */
  loadAverage: { start: number; end?: number };
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverage: { start: round1(os.loadavg()[0] ?? 0) },
  };
}

export const round1 = (n: number) => Math.round(n * 10) / 10;

export function describeMachine(m: MachineInfo): string {
  const load = `load average ${m.loadAverage.start}${m.loadAverage.end === undefined ? '' : `→${m.loadAverage.end}`}`;
  return `${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}; ${load}`;
}

export type Cell = string | number | undefined;

/** A Markdown table, columns padded so it also reads well in a terminal. */
export function markdownTable(headers: string[], rows: Cell[][], numeric: boolean[]): string {
  const text = rows.map((row) => row.map((c) => (c === undefined ? '–' : String(c))));
  const width = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  const pad = (s: string, i: number) => (numeric[i] ? s.padStart(width[i] ?? 0) : s.padEnd(width[i] ?? 0));
  const line = (cells: string[]) => `| ${cells.map(pad).join(' | ')} |`;
  const rule = `|${width.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(headers), rule, ...text.map(line)].join('\n');
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

/** Writes bench/results/<timestamp>-<kind>.json (and latest-<kind>.json when publishing); returns the path. */
export function writeResults(kind: string, data: unknown, publish: boolean): string {
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify(data, null, 2)}\n`;
  const file = join(dir, `${stamp()}-${kind}.json`);
  writeFileSync(file, text);
  if (publish) writeFileSync(join(dir, `latest-${kind}.json`), text);
  return file;
}

export const PERFORMANCE_DOC = join(ROOT, 'docs', 'performance.md');

/** Replaces what stands between `<!-- <marker>:start -->` and `<!-- <marker>:end -->` in docs/performance.md. */
export function replaceSection(marker: string, content: string, file = PERFORMANCE_DOC): void {
  const doc = readFileSync(file, 'utf8');
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file} has no ${start} … ${end} section`);
  writeFileSync(file, `${doc.slice(0, from + start.length)}\n${content.trim()}\n${doc.slice(to)}`);
}
