/**
 * Throttling through the real server: with auth off and no `tiers.default`, nothing limits a run
 * (a zero-config sidecar once ran 2,000 tasks at 100 calls a minute); with `tiers.default` set, a
 * throttled task shows `waiting` with the rule in its view and is counted in a metric.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../src/config/load-config.js';
import type { HttpRunView, HttpTaskView, TaskPage } from '../src/http/run-views.js';
import { startSidecar, type RunningSidecar } from '../src/start-sidecar.js';
import { createClient } from './support/http-client.js';
import { metricValue } from './support/process-probes.js';

let directory: string | undefined;
let sidecar: RunningSidecar | undefined;

afterEach(async () => {
  await sidecar?.stop();
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  sidecar = undefined;
  directory = undefined;
});

async function start(config: Record<string, unknown>): Promise<ReturnType<typeof createClient>> {
  directory = mkdtempSync(join(tmpdir(), 'sidecar-throttle-'));
  const path = join(directory, 'sidecar.yaml');
  writeFileSync(path, stringify({ store: { kind: 'memory' }, ...config }));
  const env = { RUNTIME_CONFIG: path, RUNTIME_PORT: '0' };
  sidecar = await startSidecar(loadConfig({ env }), { env, logger: pino({ level: 'silent' }) });
  return createClient(sidecar.url);
}

const tasks = (count: number) => Array.from({ length: count }, (_, index) => ({ id: `t${index}`, prompt: `task ${index}` }));

describe('throttling', () => {
  it('auth off, no tiers.default: 250 calls run without any rate limit (more than the built-in enterprise rpm of 100)', async () => {
    const client = await start({});
    const created = await client.request<HttpRunView>('POST', '/v1/runs', { body: { tasks: tasks(250), policy: { maxParallelism: 32 } } });
    expect(created.status, created.text).toBe(201);
    const run = await client.waitForRun(created.body.id, '', undefined, 20_000);
    expect(run.state).toBe('completed');
    const metrics = (await client.request<string>('GET', '/metrics')).text;
    expect(metrics).not.toMatch(/^runtime_tasks_throttled_total\{/m);
  }, 30_000);

  it('tiers.default with rpm: throttled tasks show waiting {reason: rateLimit, rule} and are counted; fields left out keep the unlimited base', async () => {
    const client = await start({ tiers: { default: { rpm: 3 } } });
    const created = await client.request<HttpRunView>('POST', '/v1/runs', { body: { tasks: tasks(6), policy: { maxParallelism: 6 } } });
    expect(created.status, created.text).toBe(201);
    let waiting: HttpTaskView | undefined;
    const deadline = Date.now() + 10_000;
    while (waiting === undefined && Date.now() < deadline) {
      const page = await client.request<TaskPage>('GET', `/v1/runs/${created.body.id}/tasks?state=waiting`);
      waiting = page.body.items[0];
      if (waiting === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(waiting).toMatchObject({ state: 'waiting', waiting: { reason: 'rateLimit', details: { rule: 'rpm', limit: 3 } } });
    expect(Date.parse(waiting?.waiting?.until ?? '')).toBeGreaterThan(Date.now());
    const view = await client.request<HttpRunView>('GET', `/v1/runs/${created.body.id}`);
    expect(view.body.tasks.filter((task) => task.state === 'completed')).toHaveLength(3);
    expect(view.body.tasks.some((task) => task.state === 'waiting')).toBe(true);
    const metrics = (await client.request<string>('GET', '/metrics')).text;
    expect(metricValue(metrics, 'runtime_tasks_throttled_total{rule="rpm"}')).toBeGreaterThan(0);
    expect(sidecar?.runtime.tiers['default']).toMatchObject({ rpm: 3, rph: Number.MAX_SAFE_INTEGER, tpm: Number.MAX_SAFE_INTEGER });
    await client.request('POST', `/v1/runs/${created.body.id}/abort`);
  }, 30_000);

  it('a configured tier that sets only rpm keeps the built-in rph and tpm of that tier', async () => {
    await start({ tiers: { pro: { rpm: 7 } } });
    expect(sidecar?.runtime.tiers['pro']).toMatchObject({ rpm: 7, rph: 500, tpm: 120_000 });
  });
});
