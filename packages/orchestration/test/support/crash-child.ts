/**
 * Child process of the crash test: runs (or resumes) a 200-task DAG against a SQLite store and
 * appends every LLM call's task id to a file, so the parent can count calls across the SIGKILL.
 * Usage: crash-child.ts <db> <calls-file> <run-id> <seed>
 */
import { appendFileSync } from 'node:fs';
import { asRunId } from '@runtime/contracts';
import { createSqliteRunStore } from '../../src/sqlite.js';
import { layeredDag, seededRandom } from './layered-dag.js';
import { createScriptedLlm } from '../../src/testing.js';
import { harness } from './setup.js';

const [dbPath, callsPath, runId, seedText] = process.argv.slice(2);
if (dbPath === undefined || callsPath === undefined || runId === undefined || seedText === undefined) {
  throw new Error('usage: crash-child.ts <db> <calls-file> <run-id> <seed>');
}
const seed = Number(seedText);
const random = seededRandom(seed);
const latency = new Map<string, number>();
const llm = createScriptedLlm({
  latency: (id) => {
    const known = latency.get(id);
    if (known !== undefined) return known;
    const value = 2 + Math.floor(random() * 12);
    latency.set(id, value);
    return value;
  },
  onCall: (id) => appendFileSync(callsPath, `${id}\n`),
});
const store = createSqliteRunStore({ path: dbPath });
// A short lease: the parent may take the run over 200 ms after the kill.
const { orchestrator } = harness(llm, { store, owner: `child-${process.pid}`, leaseTtlMs: 200, leaseRenewMs: 50 });
const run = await orchestrator.start(
  { tasks: layeredDag(200, 10, seed), policy: { maxParallelism: 8, budgetUsd: 10 } },
  { runId: asRunId(runId) },
);
process.stdout.write('started\n');
const done = await orchestrator.wait(run.id);
process.stdout.write(`done ${done.state}\n`);
await store.close();
