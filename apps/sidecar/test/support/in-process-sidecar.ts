/**
 * One in-process sidecar against a fake OpenAI-compatible server for a test file: started in
 * `beforeAll`, stopped (and its config directory removed) in `afterAll`. Read the fields inside
 * tests or hooks only: they are set once `beforeAll` has run.
 */
import { rmSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { startSidecar, type RunningSidecar } from '../../src/start-sidecar.js';
import { writeE2eConfig, type E2eConfig } from './e2e-config.js';
import { startFakeOpenAiServer, type FakeOpenAiServer } from './fake-openai-server.js';
import { createClient } from './http-client.js';

export interface InProcessSidecar {
  readonly fake: FakeOpenAiServer;
  readonly config: E2eConfig;
  readonly sidecar: RunningSidecar;
  readonly client: ReturnType<typeof createClient>;
}

export function useInProcessSidecar(options: Parameters<typeof writeE2eConfig>[1] = {}): InProcessSidecar {
  const harness = {} as { -readonly [K in keyof InProcessSidecar]: InProcessSidecar[K] };
  beforeAll(async () => {
    harness.fake = await startFakeOpenAiServer();
    harness.config = writeE2eConfig(harness.fake.baseUrl, options);
    harness.sidecar = await startSidecar(loadConfig({ env: harness.config.env }), { env: harness.config.env, logger: pino({ level: 'silent' }) });
    harness.client = createClient(harness.sidecar.url);
  });
  afterAll(async () => {
    await harness.sidecar.stop();
    await harness.fake.close();
    rmSync(harness.config.directory, { recursive: true, force: true });
  });
  return harness;
}
