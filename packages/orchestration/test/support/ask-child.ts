/**
 * Child process of the cross-replica test "an asker keeps its process alive": opens the SQLite
 * store, aborts a run another (silent) owner holds, and prints `aborted <state>` — nothing else
 * keeps the process alive while it waits for the owner's answer.
 * Usage: ask-child.ts <db> <run-id>
 */
import { asRunId } from '@runtime/contracts';
import { createScriptedLlm } from '../../src/testing.js';
import { harness } from './setup.js';
import { openStore } from './store-location.js';

const [dbPath, runId] = process.argv.slice(2);
if (dbPath === undefined || runId === undefined) throw new Error('usage: ask-child.ts <db> <run-id>');
const store = await openStore(dbPath);
const { orchestrator } = harness(createScriptedLlm(), { store, owner: `asker-${process.pid}`, requestPollMs: 20, onBackgroundError: () => undefined });
const view = await orchestrator.abort(asRunId(runId), 'from another process');
process.stdout.write(`aborted ${view.state}\n`);
await orchestrator.close();
await store.close();
