/**
 * Sidecar replicas as real `runtime serve` processes sharing one PostgreSQL schema and one Redis
 * key prefix (both fresh for each test, removed after), all calling one slow counting fake
 * provider in the test process; tenant `acme` (tier pro, rate limits out of the way) with a tenant
 * budget. `beforeEach` sets up, `afterEach` SIGKILLs what still runs and cleans up. Read the fields
 * inside tests or hooks only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { stringify } from 'yaml';
import { hashApiKey } from '../../src/auth/authenticator.js';
import { startCountingOpenAiServer, type CountingOpenAiServer } from './counting-openai-server.js';
import { deleteRedisKeys, dropSchema, POSTGRES_URL, REDIS_URL, uniquePrefix, uniqueSchema } from './shared-services.js';
import { startServeProcess, type ServeProcess } from './sidecar-process.js';

/** The API key of tenant `acme`. */
export const FLEET_KEY = 'key-acme-replicas';
/** The limit of the `tenant:acme` budget. */
export const TENANT_LIMIT_USD = 5;

export interface ReplicaFleet {
  readonly fake: CountingOpenAiServer;
  /** The Redis key prefix of the fleet (ledger keys under `<prefix>ledger:`). */
  readonly prefix: string;
  /** Starts `count` replicas at once with this lease TTL; each resumes runs nobody holds every 250 ms. */
  start(count: number, leaseTtlMs: number): Promise<ServeProcess[]>;
}

export function useReplicaFleet(): ReplicaFleet {
  let fake: CountingOpenAiServer | undefined;
  let directory = '';
  let schema = '';
  let prefix = '';
  let processes: ServeProcess[] = [];

  beforeEach(async () => {
    fake = await startCountingOpenAiServer();
    directory = mkdtempSync(join(tmpdir(), 'sidecar-replicas-'));
    schema = uniqueSchema('replicas');
    prefix = uniquePrefix('replicas');
    processes = [];
  });

  afterEach(async () => {
    try {
      for (const serve of processes) if (serve.child.exitCode === null && serve.child.signalCode === null) serve.child.kill('SIGKILL');
      await Promise.all(processes.map((serve) => serve.exited));
      await fake?.close();
    } finally {
      await dropSchema(schema);
      await deleteRedisKeys(prefix);
      rmSync(directory, { recursive: true, force: true });
    }
  });

  function started(): CountingOpenAiServer {
    if (fake === undefined) throw new Error('useReplicaFleet: read inside a test or hook');
    return fake;
  }

  function writeConfig(): string {
    const pricing = { inputPerMTok: 1, outputPerMTok: 2 };
    const path = join(directory, 'sidecar.yaml');
    writeFileSync(
      path,
      stringify({
        store: { kind: 'postgres', url: POSTGRES_URL, schema },
        ledger: { kind: 'redis', url: REDIS_URL },
        rateLimits: { kind: 'redis' },
        providers: { fake: { type: 'openai-compatible', baseUrl: started().baseUrl, apiKeyEnv: 'FAKE_PROVIDER_KEY', timeoutMs: 10_000 } },
        models: [{ id: 'fake-fast', provider: 'fake', providerModel: 'fast-1', role: 'fast', maxInputTokens: 8_000, maxOutputTokens: 1_000, pricing }],
        defaultModel: 'fake-fast',
        auth: { apiKeys: [{ keyHash: hashApiKey(FLEET_KEY), tenant: 'acme', tier: 'pro' }] },
        tiers: { pro: { rpm: 1_000_000, rph: 10_000_000, tpm: 1_000_000_000, maxParallelism: 4 } },
        budgets: { tenants: { acme: { limitUsd: TENANT_LIMIT_USD } } },
      }),
    );
    return path;
  }

  return {
    get fake() {
      return started();
    },
    get prefix() {
      return prefix;
    },
    async start(count, leaseTtlMs) {
      const env = {
        RUNTIME_CONFIG: writeConfig(),
        FAKE_PROVIDER_KEY: 'sk-fake',
        RUNTIME_REDIS_PREFIX: prefix,
        RUNTIME_LEASE_TTL_MS: String(leaseTtlMs),
        RUNTIME_RESUME_INTERVAL_MS: '250',
      };
      return Promise.all(
        Array.from({ length: count }, async () => {
          const serve = await startServeProcess(env);
          processes.push(serve);
          return serve;
        }),
      );
    },
  };
}

/** Runs a replica resumed, from its log lines. */
export function resumedRuns(serve: ServeProcess): Set<string> {
  const ids = new Set<string>();
  for (const match of serve.logs().matchAll(/"runId":"([^"]+)","msg":"run resumed"/g)) if (match[1] !== undefined) ids.add(match[1]);
  return ids;
}
