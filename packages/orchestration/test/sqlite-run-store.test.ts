import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asRunId } from '@runtime/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteRunStore } from '../src/sqlite.js';
import { runStoreContract } from './support/run-store-contract.js';

const folder = mkdtempSync(join(tmpdir(), 'runtime-sqlite-store-'));
let counter = 0;

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

runStoreContract('createSqliteRunStore (real file, WAL)', () => createSqliteRunStore({ path: join(folder, `store-${++counter}.db`) }));

describe('createSqliteRunStore durability', () => {
  it('keeps what was committed across close and reopen', async () => {
    const path = join(folder, 'reopen.db');
    const store = createSqliteRunStore({ path, synchronous: 'full' });
    await store.createRun(
      {
        id: asRunId('durable'),
        tenant: 't',
        spec: { tasks: [{ id: 'a', prompt: 'x' }] },
        state: 'running',
        createdAt: 'now',
        updatedAt: 'now',
        lastSeq: 0,
      },
      [],
    );
    await store.commit(asRunId('durable'), { run: { state: 'completed' } });
    await store.close();
    const reopened = createSqliteRunStore({ path });
    expect(await reopened.getRun(asRunId('durable'))).toMatchObject({ state: 'completed' });
    await reopened.close();
  });

  it('fails with STORE_ERROR when the database cannot be opened', () => {
    expect(() => createSqliteRunStore({ path: join(folder, 'missing-dir', 'x.db') })).toThrow(expect.objectContaining({ code: 'STORE_ERROR' }));
  });
});
