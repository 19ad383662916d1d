/**
 * HTTP benchmark of the sidecar, loopback only, bounded:
 * 1. `GET /v1/runs/{id}` with autocannon (50 connections, 10 s) vs a bare fastify route returning
 *    the same JSON, measured in the same run;
 * 2. run admission: `POST /v1/runs` with a 100-task DAG (8 connections, 5 s), runs accepted per
 *    second, vs a bare fastify route that only parses the same body.
 *
 * Usage: pnpm --filter @runtime/sidecar bench [-- --duration 10]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Run } from '@runtime/contracts';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { createMockLlmClient } from '@runtime/providers';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { loadConfig } from '../src/config/load-config.js';
import { startSidecar } from '../src/start-sidecar.js';

const durationArg = process.argv.indexOf('--duration');
const duration = durationArg === -1 ? 10 : Number(process.argv[durationArg + 1]);

interface Figures {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly ok: number;
  readonly errors: number;
}

async function load(options: autocannon.Options): Promise<Figures> {
  const result = await autocannon(options);
  return {
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    ok: result['2xx'],
    errors: result.non2xx + result.errors + result.timeouts,
  };
}

function dag(size: number): unknown {
  return {
    tasks: Array.from({ length: size }, (_, index) => ({
      id: `t${index}`,
      prompt: `task ${index}`,
      maxOutputTokens: 64,
      ...(index < 10 ? {} : { deps: [`t${index - 10}`, `t${index - 1 - (index % 10)}`].filter((id, position, all) => all.indexOf(id) === position) }),
    })),
    policy: { maxParallelism: 16 },
  };
}

const directory = mkdtempSync(join(tmpdir(), 'sidecar-bench-'));
const configPath = join(directory, 'bench.yaml');
const unlimited = { rpm: 1_000_000_000, rph: 1_000_000_000, tpm: 1_000_000_000, maxParallelism: 256, maxBudgetUsdPerRun: 1_000_000 };
writeFileSync(configPath, stringify({ server: { port: 0, bodyLimitBytes: 4_194_304 }, store: { kind: 'sqlite', path: join(directory, 'runtime.db') }, tiers: { enterprise: unlimited } }));
// The mock answers at once, except during the admission-only phase where calls hang for a minute so
// that no run executes while runs are being admitted.
let mockLatencyMs = 0;
const sidecar = await startSidecar(loadConfig({ env: { RUNTIME_CONFIG: configPath, RUNTIME_SHUTDOWN_TIMEOUT_MS: '0' } }), {
  logger: pino({ level: 'silent' }),
  overrides: {
    clients: ({ catalog, estimator }) => {
      const mock = createMockLlmClient({ estimator, respond: () => ({ output: 'ok', latencyMs: mockLatencyMs }) });
      return Object.fromEntries(catalog.list().map((model) => [model.provider, mock]));
    },
  },
});

const created = await fetch(`${sidecar.url}/v1/runs`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ tasks: [{ id: 'a', prompt: 'hello', tier: 1 }, { id: 'b', prompt: 'world', tier: 3, deps: ['a'] }] }),
});
const started = (await created.json()) as Run;
let run = started;
while (run.state === 'running' || run.state === 'pending') {
  await new Promise((resolve) => setTimeout(resolve, 50));
  run = (await (await fetch(`${sidecar.url}/v1/runs/${started.id}`)).json()) as Run;
}
const runJson = JSON.stringify(run);

const bare = Fastify();
bare.get('/v1/runs/:id', (_request, reply) => reply.type('application/json; charset=utf-8').send(runJson));
bare.post('/v1/runs', (request, reply) => reply.code(201).send({ received: Array.isArray((request.body as { tasks?: unknown }).tasks) }));
const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });

console.log(`GET /v1/runs/{id}: ${runJson.length} bytes of JSON, 50 connections, ${duration} s each`);
const bareGet = await load({ url: `${bareUrl}/v1/runs/${run.id}`, connections: 50, duration });
const sidecarGet = await load({ url: `${sidecar.url}/v1/runs/${run.id}`, connections: 50, duration });
const row = (name: string, figures: Figures) =>
  `  ${name.padEnd(22)} ${Math.round(figures.requestsPerSecond).toLocaleString('en-US').padStart(8)} req/s   p99 ${String(figures.p99Ms).padStart(4)} ms   errors ${figures.errors}`;
console.log(row('bare fastify route', bareGet));
console.log(row('sidecar', sidecarGet));
console.log(`  sidecar / bare: ${((sidecarGet.requestsPerSecond / bareGet.requestsPerSecond) * 100).toFixed(1)}% (target ≥ 60%)`);

const body = JSON.stringify(dag(100));
const admissionSeconds = Math.max(2, Math.round(duration / 2));
console.log(`\nPOST /v1/runs with a 100-task DAG (${body.length} bytes), 8 connections, ${admissionSeconds} s each`);
const post = { method: 'POST' as const, headers: { 'content-type': 'application/json' }, body, connections: 8, duration: admissionSeconds };
const bareAdmission = await load({ url: `${bareUrl}/v1/runs`, ...post });
mockLatencyMs = 60_000;
const admissionOnly = await load({ url: `${sidecar.url}/v1/runs`, ...post });
mockLatencyMs = 0;
const admissionExecuting = await load({ url: `${sidecar.url}/v1/runs`, ...post });
console.log(row('bare fastify (parse)', bareAdmission));
console.log(row('sidecar, admission only', admissionOnly));
console.log(row('sidecar, runs executing', admissionExecuting));
console.log(`  runs accepted: ${(admissionOnly.ok / admissionSeconds).toFixed(1)}/s when admission is all the work (calls hang), ${(admissionExecuting.ok / admissionSeconds).toFixed(1)}/s while the accepted runs execute on the zero-latency mock`);

await bare.close();
await sidecar.stop();
rmSync(directory, { recursive: true, force: true });
// Calls of the admission-only phase are still parked on their timers.
process.exit(0);
