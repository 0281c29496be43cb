import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The service as its users run it: `node --import tsx src/main.ts <command>` from the repository
 * root, with an environment given in full (nothing inherited but what the caller passes).
 */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export type CliEnv = Record<string, string>;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function spawnCli(args: string[], env: CliEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Collects a child's output as it comes, so that a failure can show what the process said. */
export function outputOf(child: ChildProcess): { text(): string; stdout(): string; stderr(): string } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return { text: () => stdout + stderr, stdout: () => stdout, stderr: () => stderr };
}

/** Resolves with the exit code and signal, or rejects when the process has not exited within `ms`. */
export function exitOf(
  child: ChildProcess,
  ms: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`process ${child.pid} still running after ${ms} ms`)),
      ms,
    );
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** Runs one command to its end; a command that runs longer than `ms` is killed and reported. */
export async function runCli(args: string[], env: CliEnv, ms = 30_000): Promise<CliResult> {
  const child = spawnCli(args, env);
  const out = outputOf(child);
  try {
    const { code, signal } = await exitOf(child, ms);
    return { code, signal, stdout: out.stdout(), stderr: out.stderr() };
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`deposit-gateway ${args.join(' ')}: ${(err as Error).message}\n${out.text()}`);
  }
}

/**
 * Waits until the output so far matches every pattern and returns their first groups in order;
 * rejects when the process exits first or `ms` passes.
 */
export function waitForOutput(
  child: ChildProcess,
  patterns: RegExp[],
  ms: number,
): Promise<{ groups: string[]; output: string }> {
  let output = '';
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const matches = patterns.map((p) => p.exec(output));
      if (matches.every((m) => m !== null)) {
        done();
        resolve({ groups: matches.map((m) => m?.[1] ?? ''), output });
      }
    };
    const onExit = (code: number | null) => done(new Error(`exited with ${code} before ready:\n${output}`));
    const timer = setTimeout(() => done(new Error(`not ready within ${ms} ms:\n${output}`)), ms);
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Ends a child this test started, if it is still running (cleanup after a failed assertion). */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = exitOf(child, 5000).catch(() => undefined);
  child.kill('SIGKILL');
  await exited;
}
