/**
 * HTTP-API.md v1.1 bounded responses through the real server: run views without outputs and with
 * at most 100 tasks, outputs through the paged task endpoints, `?include=outputs` refused with 413
 * over the response limit, and no answer ever larger than the limit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import type { HttpRunView, HttpTaskView, TaskPage } from '../src/http/run-views.js';
import { startSidecar, type RunningSidecar } from '../src/start-sidecar.js';
import { createClient } from './support/http-client.js';

const LIMIT = 1_048_576;
const TASKS = 150;
const OUTPUT_CHARS = 20_000;

let directory: string;
let sidecar: RunningSidecar;
let client: ReturnType<typeof createClient>;
let runId: string;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'sidecar-bounded-'));
  const env = { RUNTIME_DB: join(directory, 'runtime.db'), RUNTIME_PORT: '0', RUNTIME_BODY_LIMIT: String(16 * LIMIT), RUNTIME_RESPONSE_LIMIT: String(LIMIT) };
  sidecar = await startSidecar(loadConfig({ env, cwd: directory }), { env, logger: pino({ level: 'silent' }) });
  client = createClient(sidecar.url);
  // The mock provider echoes the prompt: every output is ~20 KB, the run's outputs ~3 MB.
  const filler = 'y'.repeat(OUTPUT_CHARS);
  const created = await client.request<HttpRunView>('POST', '/v1/runs', {
    body: { tasks: Array.from({ length: TASKS }, (_, index) => ({ id: `t${String(index).padStart(3, '0')}`, prompt: `${index} ${filler}` })) },
  });
  expect(created.status, created.text).toBe(201);
  runId = created.body.id;
  await client.waitForRun(runId, '', (run) => run.state === 'completed', 30_000);
}, 60_000);

afterAll(async () => {
  await sidecar.stop();
  rmSync(directory, { recursive: true, force: true });
});

describe('bounded run views', () => {
  it('GET /v1/runs/{id} leaves outputs out and lists the first 100 tasks with tasksTruncated and taskCount', async () => {
    const response = await client.request<HttpRunView>('GET', `/v1/runs/${runId}`);
    expect(response.status).toBe(200);
    expect(response.body.tasks).toHaveLength(100);
    expect(response.body.tasksTruncated).toBe(true);
    expect(response.body.taskCount).toBe(TASKS);
    expect(response.body.tasks.every((task) => task.output === undefined)).toBe(true);
    expect(response.text.length).toBeLessThan(LIMIT);
  });

  it('GET /v1/runs items and POST answers are bounded the same way', async () => {
    const list = await client.request<{ items: HttpRunView[] }>('GET', '/v1/runs?state=completed');
    expect(list.status).toBe(200);
    const item = list.body.items.find((run) => run.id === runId);
    expect(item?.tasks).toHaveLength(100);
    expect(item?.tasks.some((task) => task.output !== undefined)).toBe(false);
    const aborted = await client.request<HttpRunView>('POST', `/v1/runs/${runId}/abort`);
    expect(aborted.status).toBe(202);
    expect(aborted.body.taskCount).toBe(TASKS);
    expect(aborted.text.length).toBeLessThan(LIMIT);
  });

  it('?include=outputs over the response limit answers 413 PAYLOAD_TOO_LARGE naming the paged endpoint', async () => {
    const response = await client.request<{ error: { code: string; details: { endpoint: string } } }>('GET', `/v1/runs/${runId}?include=outputs`);
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(response.body.error.details.endpoint).toBe(`/v1/runs/${runId}/tasks`);
  });

  it('?include=outputs of a small run keeps the v1 shape with every output', async () => {
    const created = await client.request<HttpRunView>('POST', '/v1/runs', { body: { tasks: [{ id: 'a', prompt: 'hello' }] } });
    await client.waitForRun(created.body.id, '', (run) => run.state === 'completed');
    const response = await client.request<HttpRunView>('GET', `/v1/runs/${created.body.id}?include=outputs`);
    expect(response.status).toBe(200);
    expect(response.body.tasks[0]?.output).toContain('hello');
    expect(response.body.tasksTruncated).toBeUndefined();
  });
});

describe('task endpoints', () => {
  it('pages every task in spec order with its output, each page under the limit (limit 500 is capped by bytes)', async () => {
    const seen: HttpTaskView[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '?limit=500' : `?limit=500&cursor=${cursor}`;
      const page = await client.request<TaskPage>('GET', `/v1/runs/${runId}/tasks${query}`);
      expect(page.status, page.text).toBe(200);
      expect(Buffer.byteLength(page.text)).toBeLessThanOrEqual(LIMIT + 1024);
      expect(page.body.items.length).toBeGreaterThan(0);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBeGreaterThan(1);
    expect(seen.map((task) => task.id)).toEqual(Array.from({ length: TASKS }, (_, index) => `t${String(index).padStart(3, '0')}`));
    expect(seen.every((task) => (task.output?.length ?? 0) > OUTPUT_CHARS)).toBe(true);
  });

  it('filters by state and honours a small limit', async () => {
    const page = await client.request<TaskPage>('GET', `/v1/runs/${runId}/tasks?state=completed&limit=3`);
    expect(page.body.items.map((task) => task.id)).toEqual(['t000', 't001', 't002']);
    expect(page.body.nextCursor).not.toBeNull();
    const none = await client.request<TaskPage>('GET', `/v1/runs/${runId}/tasks?state=failed`);
    expect(none.body).toEqual({ items: [], nextCursor: null });
  });

  it('rejects a limit outside 1..500 and a foreign cursor with 400 VALIDATION_FAILED', async () => {
    for (const query of ['?limit=0', '?limit=501', '?cursor=bm9wZQ', '?state=done']) {
      const response = await client.request<{ error: { code: string } }>('GET', `/v1/runs/${runId}/tasks${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('GET /v1/runs/{id}/tasks/{taskId} answers one task with its output; an unknown task is 404 TASK_NOT_FOUND', async () => {
    const task = await client.request<HttpTaskView>('GET', `/v1/runs/${runId}/tasks/t149`);
    expect(task.status).toBe(200);
    expect(task.body).toMatchObject({ id: 't149', state: 'completed' });
    expect(task.body.output?.length).toBeGreaterThan(OUTPUT_CHARS);
    const missing = await client.request<{ error: { code: string } }>('GET', `/v1/runs/${runId}/tasks/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('TASK_NOT_FOUND');
    const otherRun = await client.request<{ error: { code: string } }>('GET', '/v1/runs/not-a-run/tasks/t1');
    expect(otherRun.status).toBe(404);
    expect(otherRun.body.error.code).toBe('RUN_NOT_FOUND');
  });
});
