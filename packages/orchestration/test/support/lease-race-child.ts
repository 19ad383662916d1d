/**
 * One of two processes racing for a run's lease on one SQLite file: it takes the lease when it can,
 * appends fenced events naming itself and its epoch, sometimes stalls past its TTL (as a paused
 * process would) so the other takes over, and prints what the store answered as JSON.
 * Usage: `node --import tsx --conditions=@runtime/source lease-race-child.ts <db> <owner> <startAt> <durationMs> <ttlMs> <seed>`
 * (both processes start racing at `startAt`, epoch ms, whatever their start-up time).
 */
import { asRunId, asTaskId, RuntimeError, type RunLease } from '@runtime/contracts';
import { createSqliteRunStore } from '../../src/sqlite.js';
import { seededRandom } from './layered-dag.js';

const [path = '', owner = '', start = '', duration = '', ttl = '', seedText = ''] = process.argv.slice(2);
const startAt = Number(start);
const durationMs = Number(duration);
const ttlMs = Number(ttl);
const seed = Number(seedText);
const random = seededRandom(seed);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const store = createSqliteRunStore({ path });
const runId = asRunId('race');
const tally = { accepted: 0, lost: 0, refusedAcquire: 0, unexpected: [] as string[] };
let lease: RunLease | undefined;
await sleep(Math.max(0, startAt - Date.now()));
const end = Date.now() + durationMs;
while (Date.now() < end) {
  if (lease === undefined) {
    lease = await store.acquireLease(runId, owner, ttlMs, Date.now());
    if (lease === undefined) {
      tally.refusedAcquire += 1;
      await sleep(1);
      continue;
    }
  }
  const record = await store.getRun(runId);
  const seq = (record?.lastSeq ?? 0) + 1;
  try {
    await store.commit(runId, {
      fence: lease,
      events: [{ type: 'task.ready', runId, seq, at: new Date().toISOString(), taskId: asTaskId(`${owner}@${lease.epoch}`) }],
    });
    tally.accepted += 1;
  } catch (error) {
    if (RuntimeError.isInstance(error) && error.code === 'LEASE_LOST') {
      tally.lost += 1;
      lease = undefined;
    } else {
      // Anything else — above all a seq error — would mean two writers passed the fence.
      tally.unexpected.push(error instanceof Error ? error.message : String(error));
      break;
    }
  }
  // Now and then stall past the TTL (as a paused process would), so the other thread takes over.
  if (random() < 0.05) await sleep(ttlMs + 2);
  else if (random() < 0.3) await sleep(0);
}
await store.close();
process.stdout.write(`${JSON.stringify(tally)}\n`);
