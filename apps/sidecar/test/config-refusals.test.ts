/**
 * Configuration that could never work is refused when `runtime serve` starts, naming the field:
 * API keys a client cannot send (non-ASCII, whitespace) and one tenant with keys on two tiers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { hashApiKey } from '../src/auth/authenticator.js';
import { runCliProcess } from './support/sidecar-process.js';

let directory: string | undefined;

afterEach(() => {
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  directory = undefined;
});

function writeConfig(apiKeys: unknown[]): string {
  directory = mkdtempSync(join(tmpdir(), 'sidecar-config-'));
  const path = join(directory, 'sidecar.yaml');
  writeFileSync(path, stringify({ store: { kind: 'memory' }, auth: { apiKeys } }));
  return path;
}

describe('config refusals', () => {
  for (const [name, key] of [
    ['a non-ASCII character', 'clé-secrète'],
    ['a space', 'my key'],
    ['a tab', 'key\twith-tab'],
  ] as const) {
    it(`a key with ${name}: serve exits 2 naming auth.apiKeys[0].keyEnv`, async () => {
      const path = writeConfig([{ keyEnv: 'THE_KEY', tenant: 'acme', tier: 'pro' }]);
      const result = await runCliProcess(['serve'], { RUNTIME_CONFIG: path, THE_KEY: key, RUNTIME_PORT: '0' });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('auth.apiKeys[0].keyEnv');
      expect(result.stderr).not.toContain(key);
    });
  }

  it('one tenant with keys on different tiers: serve exits 2 naming auth.apiKeys[1].tier', async () => {
    const path = writeConfig([
      { keyHash: hashApiKey('k1'), tenant: 'acme', tier: 'free' },
      { keyHash: hashApiKey('k2'), tenant: 'acme', tier: 'enterprise' },
    ]);
    const result = await runCliProcess(['serve'], { RUNTIME_CONFIG: path, RUNTIME_PORT: '0' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('auth.apiKeys[1].tier');
    expect(result.stderr).toContain('acme');
  });

  it('keys of one tenant on the same tier load fine', async () => {
    const path = writeConfig([
      { keyHash: hashApiKey('k1'), tenant: 'acme', tier: 'pro' },
      { keyHash: hashApiKey('k2'), tenant: 'acme', tier: 'pro' },
    ]);
    const result = await runCliProcess(['models', '--json'], { RUNTIME_CONFIG: path });
    expect(result.code, result.stderr).toBe(0);
  });
});
