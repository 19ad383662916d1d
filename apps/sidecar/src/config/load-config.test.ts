import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'sidecar-config-'));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function failure(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (ValidationError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('loadConfig', () => {
  it('starts with no config at all: 127.0.0.1:8787, 1 MiB bodies, SQLite under ./data', () => {
    const resolved = loadConfig({ env: {}, cwd: dir });
    expect(resolved).toMatchObject({ host: '127.0.0.1', port: 8787, bodyLimitBytes: 1_048_576, logLevel: 'info' });
    expect(resolved.store).toEqual({ kind: 'sqlite', path: join(dir, 'data', 'runtime.db') });
    expect(resolved.source).toBeUndefined();
  });

  it('reads YAML named by RUNTIME_CONFIG and JSON by path', () => {
    const yaml = write('a.yaml', 'server:\n  port: 9000\nstore:\n  kind: memory\ndefaultModel: gpt-4.1-mini\n');
    expect(loadConfig({ env: { RUNTIME_CONFIG: yaml }, cwd: dir })).toMatchObject({ port: 9000, store: { kind: 'memory' } });
    const json = write('b.json', JSON.stringify({ server: { host: '0.0.0.0', bodyLimitBytes: 2048 } }));
    expect(loadConfig({ path: json, env: {}, cwd: dir })).toMatchObject({ host: '0.0.0.0', bodyLimitBytes: 2048 });
  });

  it('applies the documented environment overrides', () => {
    const resolved = loadConfig({
      env: { RUNTIME_HOST: '::1', RUNTIME_PORT: '0', RUNTIME_DB: 'memory', RUNTIME_REDIS_URL: 'redis://127.0.0.1:6379', RUNTIME_BODY_LIMIT: '10' },
      cwd: dir,
    });
    expect(resolved).toMatchObject({ host: '::1', port: 0, bodyLimitBytes: 10, store: { kind: 'memory' } });
    expect(resolved.config.ledger).toEqual({ kind: 'redis', url: 'redis://127.0.0.1:6379' });
    expect(loadConfig({ env: { RUNTIME_DB: 'x.db' }, cwd: dir }).store).toEqual({ kind: 'sqlite', path: join(dir, 'x.db') });
  });

  it('names the field of a bad value and of an unknown field', () => {
    const badPort = write('c.yaml', 'server:\n  port: "eighty"\n');
    const portError = failure(() => loadConfig({ path: badPort, env: {}, cwd: dir }));
    expect(portError.code).toBe('VALIDATION_FAILED');
    expect(portError.message).toContain('server.port');
    expect(portError.details['field']).toBe('server.port');
    const unknown = write('d.yaml', 'server:\n  prot: 80\n');
    expect(failure(() => loadConfig({ path: unknown, env: {}, cwd: dir })).message).toContain('server.prot');
    const keys = write('e.yaml', 'auth:\n  apiKeys:\n    - { keyHash: "sha256:abc", tenant: t, tier: pro }\n');
    expect(failure(() => loadConfig({ path: keys, env: {}, cwd: dir })).message).toContain('auth.apiKeys[0]');
  });

  it('rejects unreadable files, bad syntax and bad environment values', () => {
    expect(failure(() => loadConfig({ path: join(dir, 'missing.yaml'), env: {}, cwd: dir })).message).toContain('Cannot read');
    const broken = write('f.json', '{"server": ');
    expect(failure(() => loadConfig({ path: broken, env: {}, cwd: dir })).message).toContain('not valid JSON');
    expect(failure(() => loadConfig({ env: { RUNTIME_PORT: '70000' }, cwd: dir })).details['field']).toBe('RUNTIME_PORT');
  });
});
