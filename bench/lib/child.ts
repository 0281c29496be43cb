import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';

/** A child process started by the bench, reachable at the URL it announced on stdout. */
export interface Child {
  readonly url: string;
  readonly pid: number;
  /** True while the process runs. */
  alive(): boolean;
  /** The last lines it wrote (stdout and stderr), for error reports. */
  tail(): string;
  stop(): Promise<number | null>;
}

export interface ChildSpec {
  name: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** A line matching this announces readiness; its first group is the URL. */
  ready: RegExp;
  timeoutMs?: number;
}

const TAIL_LINES = 40;
const STOP_GRACE_MS = 15_000;

function exited(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
}

/** Spawns `node <args>` and waits for its ready line; the child keeps running until `stop()`. */
export function startChild(spec: ChildSpec): Promise<Child> {
  const proc = spawn(process.execPath, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (line: string) => {
    lines.push(line);
    if (lines.length > TAIL_LINES) lines.shift();
  };
  const tail = () => lines.join('\n');
  // Both streams are read to the end: a full pipe would block the child.
  if (proc.stderr) createInterface({ input: proc.stderr }).on('line', keep);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${spec.name} did not start within ${spec.timeoutMs ?? 30_000} ms:\n${tail()}`));
    }, spec.timeoutMs ?? 30_000);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${spec.name} exited with ${code} before it was ready:\n${tail()}`));
    };
    proc.once('exit', onExit);
    proc.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    let ready = false;
    if (!proc.stdout) throw new Error('no stdout');
    createInterface({ input: proc.stdout }).on('line', (line) => {
      keep(line);
      const url = ready ? undefined : spec.ready.exec(line)?.[1];
      if (url === undefined) return;
      ready = true;
      clearTimeout(timer);
      proc.off('exit', onExit);
      resolve({
        url,
        pid: proc.pid ?? -1,
        alive: () => proc.exitCode === null && proc.signalCode === null,
        tail,
        stop: async () => {
          if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
          const kill = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
          proc.kill('SIGTERM');
          const code = await exited(proc);
          clearTimeout(kill);
          return code;
        },
      });
    });
  });
}

/** Peak resident set size (VmHWM) of a live process in MiB; undefined where /proc is absent. */
export function peakRssMiB(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? undefined : Math.round((Number(kb) / 1024) * 10) / 10;
  } catch {
    return undefined;
  }
}

/**
 * The child's side of `startChild`: listens on a free port of 127.0.0.1, prints `<name> <url>` once
 * it does (what `ready` matches), and closes every connection and exits 0 on SIGTERM or SIGINT.
 */
export function serveAndAnnounce(server: Server, name: string): void {
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${name} http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
  });
  const stop = () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
