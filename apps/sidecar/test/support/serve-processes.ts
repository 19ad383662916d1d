/**
 * Real `runtime serve` child processes against a fake OpenAI-compatible server, fresh for each
 * test: `beforeEach` starts the fake server and writes the config, `afterEach` kills every process
 * still running, waits for their exits, closes the fake server and removes the config directory.
 * Read the fields inside tests or hooks only.
 */
import { rmSync } from 'node:fs';
import { afterEach, beforeEach } from 'vitest';
import { writeE2eConfig, type E2eConfig } from './e2e-config.js';
import { startFakeOpenAiServer, type FakeOpenAiServer } from './fake-openai-server.js';
import { startServeProcess, type ServeProcess } from './sidecar-process.js';

export interface ServeProcesses {
  readonly fake: FakeOpenAiServer;
  readonly config: E2eConfig;
  /** Starts `runtime serve` on the test's config; it is killed after the test if still running. */
  serve(options?: { readonly detached?: boolean }): Promise<ServeProcess>;
}

export function useServeProcesses(): ServeProcesses {
  let fake: FakeOpenAiServer | undefined;
  let config: E2eConfig | undefined;
  let processes: ServeProcess[] = [];
  beforeEach(async () => {
    fake = await startFakeOpenAiServer();
    config = writeE2eConfig(fake.baseUrl);
    processes = [];
  });
  afterEach(async () => {
    for (const serve of processes) if (serve.child.exitCode === null && serve.child.signalCode === null) serve.child.kill('SIGKILL');
    await Promise.all(processes.map((serve) => serve.exited));
    fake?.resume();
    await fake?.close();
    if (config !== undefined) rmSync(config.directory, { recursive: true, force: true });
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useServeProcesses: read inside a test or hook');
    return value;
  };
  return {
    get fake() {
      return started(fake);
    },
    get config() {
      return started(config);
    },
    async serve(options = {}) {
      const child = await startServeProcess(started(config).env, options);
      processes.push(child);
      return child;
    },
  };
}
