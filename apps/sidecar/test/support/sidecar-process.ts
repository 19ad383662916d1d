/**
 * Runs the `runtime` bin (the built app, one process) as a child process. The sidecar project's
 * global setup builds dist first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const appRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(appRoot, 'bin', 'runtime.mjs');

/** `detached` puts the child in its own process group (its pid is the group id), like a service. */
export function spawnCli(args: readonly string[], env: Record<string, string>, options: { readonly detached?: boolean } = {}): ChildProcess {
  return spawn(process.execPath, [bin, ...args], {
    cwd: appRoot,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCliProcess(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  const child = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  return { code, stdout, stderr };
}

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  readonly logs: () => string;
}

/** Starts `runtime serve` and resolves once it logs its URL. */
export async function startServeProcess(env: Record<string, string>, options: { readonly detached?: boolean } = {}): Promise<ServeProcess> {
  const child = spawnCli(['serve'], { ...env, RUNTIME_LOG_LEVEL: 'info', RUNTIME_PORT: '0' }, options);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${output}`)), 20_000);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${String(code)}: ${output}`));
    });
  });
  return { child, url, exited, logs: () => output };
}
