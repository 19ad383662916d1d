/**
 * Writes a sidecar config for end-to-end tests: a fake OpenAI-compatible provider with three
 * models (one per role), SQLite in a temp dir, three API keys on three tiers.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { hashApiKey } from '../../src/auth/authenticator.js';

export const KEYS = { acme: 'key-acme-pro', globex: 'key-globex-free', initech: 'key-initech-enterprise' } as const;

export interface E2eConfig {
  readonly directory: string;
  readonly configPath: string;
  readonly dbPath: string;
  readonly env: Record<string, string>;
}

export function writeE2eConfig(baseUrl: string, options: { bodyLimitBytes?: number; freeRpm?: number } = {}): E2eConfig {
  const directory = mkdtempSync(join(tmpdir(), 'sidecar-e2e-'));
  const dbPath = join(directory, 'runtime.db');
  const pricing = (input: number, output: number) => ({ inputPerMTok: input, outputPerMTok: output });
  const config = {
    server: { host: '127.0.0.1', port: 0, bodyLimitBytes: options.bodyLimitBytes ?? 65_536 },
    store: { kind: 'sqlite', path: dbPath },
    providers: { fake: { type: 'openai-compatible', baseUrl, apiKeyEnv: 'FAKE_PROVIDER_KEY', timeoutMs: 5_000 } },
    models: [
      { id: 'fake-fast', provider: 'fake', providerModel: 'fast-1', role: 'fast', maxInputTokens: 4_000, maxOutputTokens: 1_000, pricing: pricing(1, 2) },
      { id: 'fake-balanced', provider: 'fake', providerModel: 'balanced-1', role: 'balanced', maxInputTokens: 16_000, maxOutputTokens: 1_000, pricing: pricing(3, 15) },
      { id: 'fake-flagship', provider: 'fake', providerModel: 'flagship-1', role: 'flagship', maxInputTokens: 16_000, maxOutputTokens: 2_000, pricing: pricing(15, 75) },
    ],
    defaultModel: 'fake-balanced',
    auth: {
      apiKeys: [
        { keyEnv: 'E2E_KEY_ACME', tenant: 'acme', tier: 'pro' },
        { keyHash: hashApiKey(KEYS.globex), tenant: 'globex', tier: 'free' },
        { keyEnv: 'E2E_KEY_INITECH', tenant: 'initech', tier: 'enterprise' },
      ],
    },
    tiers: { free: { rpm: options.freeRpm ?? 1000, rph: 100_000, tpm: 10_000_000, allowedModels: ['fake-fast', 'fake-balanced'] } },
  };
  const configPath = join(directory, 'sidecar.yaml');
  writeFileSync(configPath, stringify(config));
  return {
    directory,
    configPath,
    dbPath,
    env: { RUNTIME_CONFIG: configPath, FAKE_PROVIDER_KEY: 'sk-fake', E2E_KEY_ACME: KEYS.acme, E2E_KEY_INITECH: KEYS.initech, RUNTIME_LOG_LEVEL: 'silent', RUNTIME_LEASE_TTL_MS: '1500' },
  };
}
