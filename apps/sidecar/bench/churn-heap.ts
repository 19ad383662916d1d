/**
 * Retained memory under churn, measured where it can be measured exactly: the sidecar in this
 * process (`node --expose-gc`), rounds of 100 runs × 50 chained tasks over HTTP, and after each
 * round a full GC and `heapUsed` — live objects only, unlike RSS, which follows the collector's
 * whims. Warm-up: the first 1,000 runs (the size of the sidecar's per-run caches). Pass: after it,
 * the retained heap grows less than 2 %.
 *
 * Usage: pnpm --filter @runtime/sidecar soak:heap [-- --rounds 18]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load-config.js';
import { startSidecar } from '../src/start-sidecar.js';
import { createClient } from '../test/support/http-client.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const roundsArgument = process.argv.indexOf('--rounds');
const rounds = roundsArgument === -1 ? 18 : Number(process.argv[roundsArgument + 1]);
const WARM_UP_ROUNDS = 10;

const directory = mkdtempSync(join(tmpdir(), 'sidecar-churn-'));
const env = { RUNTIME_DB: join(directory, 'runtime.db'), RUNTIME_PORT: '0' };
const sidecar = await startSidecar(loadConfig({ env }), { env, logger: pino({ level: 'silent' }) });
const client = createClient(sidecar.url);
const retained: number[] = [];
try {
  for (let round = 0; round < rounds; round += 1) {
    const ids = await Promise.all(
      Array.from({ length: 100 }, async (_, run) => {
        const created = await client.request<{ id: string }>('POST', '/v1/runs', {
          body: { tasks: Array.from({ length: 50 }, (_, task) => ({ id: `t${task}`, prompt: `round ${round} run ${run} task ${task}`, ...(task === 0 ? {} : { deps: [`t${task - 1}`] }) })) },
        });
        if (created.status !== 201) throw new Error(`run not created: ${created.text}`);
        return created.body.id;
      }),
    );
    for (const id of ids) await client.waitForRun(id, '', undefined, 120_000);
    gc();
    gc();
    retained.push(process.memoryUsage().heapUsed);
  }
} finally {
  await sidecar.stop();
  rmSync(directory, { recursive: true, force: true });
}
const MB = 1024 * 1024;
const first = retained[WARM_UP_ROUNDS - 1] ?? Number.NaN;
const last = retained.at(-1) ?? Number.NaN;
const growth = (last - first) / first;
console.log(
  `churn (in process, heap after full GC): ${rounds} rounds of 100 runs × 50 tasks; MB per round: ${retained.map((value) => (value / MB).toFixed(1)).join(' ')}; ` +
    `after the warm-up (${WARM_UP_ROUNDS} rounds = 1,000 runs) ${(first / MB).toFixed(1)} → ${(last / MB).toFixed(1)} MB (${(growth * 100).toFixed(2)} %, limit 2 %)`,
);
const ok = rounds > WARM_UP_ROUNDS && growth < 0.02;
console.log(ok ? 'churn heap: PASS' : 'churn heap: FAIL');
process.exitCode = ok ? 0 : 1;
