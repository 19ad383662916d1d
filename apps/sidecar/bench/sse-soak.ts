/**
 * Soak test of the sidecar process (bounded time), printing figures:
 * 1. SSE: a 10,000-event run, then 200 clients that never read its event stream, for `--duration`
 *    seconds (default 60): RSS growth of the server and `/healthz` latency sampled every 100 ms,
 *    plus how many subscribers were closed for staying behind. Pass: RSS growth < 200 MB and every
 *    `/healthz` < 100 ms.
 * 2. Churn: 100 runs × 50 tasks submitted again and again for `--duration` seconds (or
 *    `--churn-duration`); RSS sampled once per round. Warm-up: the first 1,000 runs (the size of the
 *    sidecar's per-run caches) and at least half the rounds. Pass: no round after the warm-up is
 *    more than 10 % above the warm-up's peak RSS (memory flat).
 *
 * Usage: pnpm --filter @runtime/sidecar soak [-- --duration 60 --part sse|churn|both]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createClient } from '../test/support/http-client.js';
import { healthzLatency, metricValue, openNonReadingClient, residentBytes } from '../test/support/process-probes.js';
import { startServeProcess, type ServeProcess } from '../test/support/sidecar-process.js';

const MB = 1024 * 1024;
const argument = (name: string, fallback: string): string => {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback);
};
const durationMs = Number(argument('duration', '60')) * 1000;
const churnDurationMs = Number(argument('churn-duration', String(durationMs / 1000))) * 1000;
const part = argument('part', 'both');
const clients = Number(argument('clients', '200'));

async function withServer<T>(env: Record<string, string>, body: (serve: ServeProcess) => Promise<T>): Promise<T> {
  const directory = mkdtempSync(join(tmpdir(), 'sidecar-soak-'));
  const configPath = join(directory, 'sidecar.yaml');
  writeFileSync(configPath, stringify({ server: { bodyLimitBytes: 64 * MB }, store: { kind: 'sqlite', path: join(directory, 'runtime.db') } }));
  const serve = await startServeProcess({ RUNTIME_CONFIG: configPath, ...env });
  try {
    return await body(serve);
  } finally {
    serve.child.kill('SIGKILL');
    await serve.exited;
    rmSync(directory, { recursive: true, force: true });
  }
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function soakEventStreams(): Promise<boolean> {
  return withServer({}, async (serve) => {
    const client = createClient(serve.url);
    const filler = 'x'.repeat(200);
    const created = await client.request<{ id: string }>('POST', '/v1/runs', {
      body: { tasks: Array.from({ length: 2_000 }, (_, index) => ({ id: `t${index}`, prompt: `${index} ${filler}` })), policy: { maxParallelism: 64 } },
    });
    if (created.status !== 201) throw new Error(`run not created: ${created.text}`);
    const run = await client.waitForRun(created.body.id, '', undefined, 120_000);
    const events = await client.events(`/v1/runs/${run.id}/events`, '');
    const pid = serve.child.pid ?? 0;
    const baseline = residentBytes(pid);
    const sockets: Socket[] = [];
    for (let index = 0; index < clients; index += 1) sockets.push(await openNonReadingClient(serve.url, `/v1/runs/${run.id}/events`));
    // Accepting 200 connections at once is a burst any server queues; the claim is about serving
    // while they are connected, so sampling starts once every stream is open (or 20 s passed).
    const metric = async (name: string): Promise<number> => metricValue((await client.request<string>('GET', '/metrics')).text, name);
    const openBy = Date.now() + 20_000;
    while ((await metric('runtime_event_streams')) + (await metric('runtime_event_streams_closed_slow_total')) < clients && Date.now() < openBy) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const latencies: number[] = [];
    let peak = baseline;
    const started = Date.now();
    while (Date.now() - started < durationMs) {
      latencies.push((await healthzLatency(serve.url)).ms);
      peak = Math.max(peak, residentBytes(pid));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const closedSlow = await metric('runtime_event_streams_closed_slow_total');
    for (const socket of sockets) socket.destroy();
    const growth = (peak - baseline) / MB;
    const slowest = Math.max(...latencies);
    console.log(
      `sse: ${events.length} events (${(events.reduce((sum, event) => sum + JSON.stringify(event).length, 0) / MB).toFixed(1)} MB) × ${clients} non-reading clients, ${(durationMs / 1000).toFixed(0)} s: ` +
        `RSS ${(baseline / MB).toFixed(0)} → peak ${(peak / MB).toFixed(0)} MB (growth ${growth.toFixed(0)} MB, limit 200); ` +
        `/healthz p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${slowest.toFixed(1)} ms (limit 100, ${latencies.length} samples); ` +
        `subscribers closed for staying behind: ${closedSlow}`,
    );
    return growth < 200 && slowest < 100;
  });
}

async function soakChurn(): Promise<boolean> {
  return withServer({}, async (serve) => {
    const client = createClient(serve.url);
    const pid = serve.child.pid ?? 0;
    const samples: number[] = [];
    const started = Date.now();
    let round = 0;
    while (Date.now() - started < churnDurationMs) {
      const ids = await Promise.all(
        Array.from({ length: 100 }, async (_, index) => {
          const created = await client.request<{ id: string }>('POST', '/v1/runs', {
            body: { tasks: Array.from({ length: 50 }, (_, task) => ({ id: `t${task}`, prompt: `round ${round} run ${index} task ${task}`, ...(task === 0 ? {} : { deps: [`t${task - 1}`] }) })) },
          });
          if (created.status !== 201) throw new Error(`run not created: ${created.text}`);
          return created.body.id;
        }),
      );
      for (const id of ids) await client.waitForRun(id, '', undefined, 120_000);
      samples.push(residentBytes(pid));
      round += 1;
    }
    // Warm-up: the first 1,000 runs (the sidecar's per-run caches hold the last 1,000: finished
    // views, usage records) and at least the first half. Flat: no round after it goes more than
    // 10 % above the highest RSS of the warm-up (RSS moves ±7 % with GC timing alone).
    const warmRounds = Math.max(10, Math.ceil(samples.length / 2));
    const warm = samples.slice(0, warmRounds);
    const after = samples.slice(warmRounds);
    const warmPeak = Math.max(...warm);
    const afterPeak = after.length === 0 ? Number.NaN : Math.max(...after);
    const growth = (afterPeak - warmPeak) / warmPeak;
    console.log(
      `churn: ${round} rounds of 100 runs × 50 tasks in ${((Date.now() - started) / 1000).toFixed(0)} s; RSS per round (MB): ${samples.map((value) => (value / MB).toFixed(0)).join(' ')}; ` +
        `peak during warm-up (${warmRounds} rounds) ${(warmPeak / MB).toFixed(0)} MB, after it ${(afterPeak / MB).toFixed(0)} MB (${(growth * 100).toFixed(1)} %, limit 10 %; needs rounds after the warm-up)`,
    );
    return after.length > 0 && growth < 0.1;
  });
}

let ok = true;
if (part === 'sse' || part === 'both') ok = (await soakEventStreams()) && ok;
if (part === 'churn' || part === 'both') ok = (await soakChurn()) && ok;
console.log(ok ? 'soak: PASS' : 'soak: FAIL');
process.exitCode = ok ? 0 : 1;
