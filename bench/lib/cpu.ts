import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Dialect } from '../../src/db/connect.js';

let clockTicksPerSecond: number | undefined;
const ticksPerSecond = () =>
  (clockTicksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100);

/**
 * CPU seconds a live process has used so far, its own threads and the kernel's work for it
 * (utime + stime); undefined where /proc is absent.
 */
export function cpuSeconds(pid: number): number | undefined {
  try {
    // The command name may hold spaces and parentheses: fields are counted after its closing one.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/** CPU seconds per process of a set, so that processes which start or end in between count too. */
export function cpuSecondsEach(pids: readonly number[]): Map<number, number> {
  const seconds = new Map<number, number>();
  for (const pid of pids) {
    const s = cpuSeconds(pid);
    if (s !== undefined) seconds.set(pid, s);
  }
  return seconds;
}

/**
 * Seconds all the machine's cores spent working since boot: not idle, not waiting on the disk, and
 * not stolen by the hypervisor for other guests (which is no work of this machine's processes).
 */
export function hostBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is in user).
    const [user, nice, system, , , irq, softirq] = line.trim().split(/\s+/).slice(1).map(Number);
    const busy = [user, nice, system, irq, softirq].reduce((a: number, b) => a + (b ?? 0), 0);
    return Number.isFinite(busy) ? busy / ticksPerSecond() : undefined;
  } catch {
    return undefined;
  }
}

const SERVER_COMMANDS: Record<Exclude<Dialect, 'sqlite'>, readonly string[]> = {
  mysql: ['mariadbd', 'mysqld'],
  postgres: ['postgres'],
};

/**
 * The processes of a database server that runs on this machine (PostgreSQL has one per
 * connection); empty for SQLite, which runs inside the service, or a server found elsewhere.
 */
export function databaseServerPids(dialect: Dialect, adminUrl: string): number[] {
  if (dialect === 'sqlite') return [];
  const host = new URL(adminUrl).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) return [];
  const names = SERVER_COMMANDS[dialect];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc', { withFileTypes: true })) {
    if (!entry.isDirectory() || !/^\d+$/.test(entry.name)) continue;
    try {
      if (names.includes(readFileSync(`/proc/${entry.name}/comm`, 'utf8').trim()))
        pids.push(Number(entry.name));
    } catch {
      // The process ended while the list was read.
    }
  }
  return pids;
}

/** CPU spent between two readings of `cpuSecondsEach`: a process new since the first counts whole. */
export function cpuSpent(before: Map<number, number>, after: Map<number, number>): number {
  let spent = 0;
  for (const [pid, s] of after) spent += s - (before.get(pid) ?? 0);
  return spent;
}
