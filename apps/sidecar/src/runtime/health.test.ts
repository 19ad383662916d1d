import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config.js';
import { createSidecarRuntime } from './create-sidecar-runtime.js';
import type { SidecarRuntime } from './sidecar-runtime.js';

describe('SidecarRuntime.health', () => {
  let runtime: SidecarRuntime | undefined;
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
  });

  it('reports the store unhealthy while it can read but not write, and healthy again once it can', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sidecar-health-')), 'runtime.db');
    runtime = await createSidecarRuntime(loadConfig({ env: { RUNTIME_DB: path, RUNTIME_LOG_LEVEL: 'silent' } }));
    expect((await runtime.health())['store']).toEqual({ ok: true, kind: 'sqlite' });

    // Another connection holds the write lock for longer than the store waits (busy timeout 5 s):
    // reads still work, so only a write probe can tell.
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      const store = (await runtime.health())['store'];
      expect(store?.ok).toBe(false);
      expect(store?.error).toMatch(/lock|busy/i);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect((await runtime.health())['store']).toEqual({ ok: true, kind: 'sqlite' });
  }, 20_000);
});
