/**
 * End to end over HTTP only: the real sidecar on 127.0.0.1 (SQLite journal, real cost, context,
 * orchestration, providers and policy) against a fake OpenAI-compatible server.
 */
import type { ErrorBody, EstimateResponse, ModelListResponse, Run, RunListResponse } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { KEYS } from './support/e2e-config.js';
import { useInProcessSidecar } from './support/in-process-sidecar.js';

const app = useInProcessSidecar({ freeRpm: 4 });

const task = (id: string, extra: Record<string, unknown> = {}, directives = '') => ({ id, prompt: `Do ${id} [task=${id}]${directives}`, ...extra });

describe('public endpoints', () => {
  it('serves /healthz, /metrics and /openapi.json without a key', async () => {
    const health = await app.client.request<{ status: string; checks: Record<string, { ok: boolean }> }>('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.body.checks['store']?.ok).toBe(true);
    const metrics = await app.client.request('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('runtime_http_request_duration_seconds');
    const openapi = await app.client.request<{ openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } }>('GET', '/openapi.json');
    expect(openapi.body.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/v1/runs', '/v1/runs/{id}', '/v1/runs/{id}/events', '/v1/estimate', '/v1/models']));
    expect(openapi.body.components.schemas['RunRequest']).toMatchObject({ type: 'object', additionalProperties: false });
  });
});

describe('authentication', () => {
  it('answers 401 UNAUTHENTICATED without a key or with an unknown key, and accepts hashed keys', async () => {
    const none = await app.client.request<ErrorBody>('GET', '/v1/models');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('UNAUTHENTICATED');
    const wrong = await app.client.request<ErrorBody>('GET', '/v1/models', { key: 'nope' });
    expect(wrong.status).toBe(401);
    expect((await app.client.request('GET', '/v1/models', { key: KEYS.globex })).status).toBe(200);
  });
});

describe('models and estimate', () => {
  it('lists the configured catalog', async () => {
    const models = await app.client.request<ModelListResponse>('GET', '/v1/models', { key: KEYS.acme });
    expect(models.body.items.map((model) => model.id).sort()).toEqual(['fake-balanced', 'fake-fast', 'fake-flagship']);
    expect(models.body.items[0]).toHaveProperty('pricing');
  });

  it('estimates one call: default model, tier routing, exact worst case', async () => {
    const estimate = await app.client.request<EstimateResponse>('POST', '/v1/estimate', { key: KEYS.acme, body: { prompt: 'Hello there', maxOutputTokens: 100 } });
    expect(estimate.status).toBe(200);
    expect(estimate.body.model).toBe('fake-balanced');
    expect(estimate.body.maxOutputTokens).toBe(100);
    expect(estimate.body.maxCostUsd).toBeCloseTo((estimate.body.inputTokens * 3 + 100 * 15) / 1e6, 12);
    const tiered = await app.client.request<EstimateResponse>('POST', '/v1/estimate', { key: KEYS.acme, body: { messages: [{ role: 'user', content: 'hi' }], tier: 3 } });
    expect(tiered.body).toMatchObject({ model: 'fake-flagship', maxOutputTokens: 2000 });
  });

  it('answers 422 for an unknown model and for a prompt over the window', async () => {
    const unknown = await app.client.request<ErrorBody>('POST', '/v1/estimate', { key: KEYS.acme, body: { prompt: 'x', model: 'nope' } });
    expect([unknown.status, unknown.body.error.code]).toEqual([422, 'UNKNOWN_MODEL']);
    const big = await app.client.request<ErrorBody>('POST', '/v1/estimate', { key: KEYS.acme, body: { prompt: 'lorem ipsum '.repeat(4_000), model: 'fake-fast' } });
    expect([big.status, big.body.error.code]).toEqual([422, 'CONTEXT_TOO_LARGE']);
  });
});

describe('runs', () => {
  it('runs a diamond DAG; each dependency output reaches its dependent exactly once; SSE replays from any id', async () => {
    const created = await app.client.request<Run>('POST', '/v1/runs', {
      key: KEYS.acme,
      body: {
        tasks: [task('a', { tier: 1 }), task('b', { deps: ['a'], tier: 2 }), task('c', { deps: ['a'], tier: 2 }), task('d', { deps: ['b', 'c'], tier: 3 })],
        metadata: { suite: 'e2e' },
      },
    });
    expect(created.status).toBe(201);
    expect(['running', 'pending']).toContain(created.body.state);
    expect(created.body.tasks.map((view) => view.model)).toEqual(['fake-fast', 'fake-balanced', 'fake-balanced', 'fake-flagship']);
    const events = await app.client.events(`/v1/runs/${created.body.id}/events`, KEYS.acme);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(events[0]?.type).toBe('run.started');
    expect(events.at(-1)?.type).toBe('run.completed');
    const run = await app.client.waitForRun(created.body.id, KEYS.acme);
    expect(run.state).toBe('completed');
    expect(run.usage.costUsd).toBeGreaterThan(0);
    expect(run.usage.costUsd).toBeCloseTo(run.tasks.reduce((sum, view) => sum + view.usage.costUsd, 0), 9);
    const dCall = app.fake.calls.find((call) => call.taskId === 'd' && call.messages.some((message) => message.content.includes('result of b')));
    expect(dCall).toBeDefined();
    const contents = dCall?.messages.map((message) => message.content).join('\n') ?? '';
    expect(contents.split('result of b').length - 1).toBe(1);
    expect(contents.split('result of c').length - 1).toBe(1);

    const afterHeader = await app.client.events(`/v1/runs/${created.body.id}/events`, KEYS.acme, { 'last-event-id': '3' });
    expect(afterHeader[0]?.seq).toBe(4);
    expect(afterHeader.length).toBe(events.length - 3);
    const afterQuery = await app.client.events(`/v1/runs/${created.body.id}/events?lastEventId=5`, KEYS.acme);
    expect(afterQuery[0]?.seq).toBe(6);
    const badCursor = await app.client.request<ErrorBody>('GET', `/v1/runs/${created.body.id}/events?lastEventId=abc`, { key: KEYS.acme });
    expect(badCursor.status).toBe(400);
  });

  it('lists the tenant runs newest first with a cursor and a state filter', async () => {
    const ids: string[] = [];
    for (const name of ['l1', 'l2', 'l3']) {
      const response = await app.client.request<Run>('POST', '/v1/runs', { key: KEYS.initech, body: { tasks: [task(name)] } });
      ids.push(response.body.id);
    }
    for (const id of ids) await app.client.waitForRun(id, KEYS.initech);
    const first = await app.client.request<RunListResponse>('GET', '/v1/runs?limit=2', { key: KEYS.initech });
    expect(first.status).toBe(200);
    expect(first.body.items.map((run) => run.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.nextCursor).not.toBeNull();
    const second = await app.client.request<RunListResponse>('GET', `/v1/runs?limit=2&cursor=${encodeURIComponent(first.body.nextCursor ?? '')}`, { key: KEYS.initech });
    expect(second.body.items.map((run) => run.id)).toEqual([ids[0]]);
    expect(second.body.nextCursor).toBeNull();
    const completed = await app.client.request<RunListResponse>('GET', '/v1/runs?state=completed', { key: KEYS.initech });
    expect(completed.body.items).toHaveLength(3);
    const empty = await app.client.request<RunListResponse>('GET', '/v1/runs?state=&limit=&cursor=', { key: KEYS.initech });
    expect(empty.body.items).toHaveLength(3);
    const running = await app.client.request<RunListResponse>('GET', '/v1/runs?state=running', { key: KEYS.initech });
    expect(running.body.items).toHaveLength(0);
  });

  it('isolates tenants: another tenant’s run is 404 RUN_NOT_FOUND on every endpoint', async () => {
    const created = await app.client.request<Run>('POST', '/v1/runs', { key: KEYS.acme, body: { tasks: [task('secret')] } });
    const id = created.body.id;
    for (const [method, path, body] of [
      ['GET', `/v1/runs/${id}`, undefined],
      ['GET', `/v1/runs/${id}/events`, undefined],
      ['POST', `/v1/runs/${id}/abort`, undefined],
      ['POST', `/v1/runs/${id}/tasks`, { tasks: [task('x')] }],
    ] as const) {
      const response = await app.client.request<ErrorBody>(method, path, { key: KEYS.globex, ...(body === undefined ? {} : { body }) });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body.error.code).toBe('RUN_NOT_FOUND');
      expect(response.text).not.toContain('secret');
    }
    const list = await app.client.request<RunListResponse>('GET', '/v1/runs', { key: KEYS.globex });
    expect(list.body.items.map((run) => run.id)).not.toContain(id);
    await app.client.waitForRun(id, KEYS.acme);
  });

  it('returns the existing run for a repeated idempotency key and 409 for a different body', async () => {
    const body = { tasks: [task('idem')], idempotencyKey: 'order-42' };
    const first = await app.client.request<Run>('POST', '/v1/runs', { key: KEYS.acme, body });
    expect(first.status).toBe(201);
    const again = await app.client.request<Run>('POST', '/v1/runs', { key: KEYS.acme, body });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const conflict = await app.client.request<ErrorBody>('POST', '/v1/runs', { key: KEYS.acme, body: { ...body, metadata: { other: 'body' } } });
    expect([conflict.status, conflict.body.error.code]).toEqual([409, 'IDEMPOTENCY_CONFLICT']);
    const otherTenant = await app.client.request<Run>('POST', '/v1/runs', { key: KEYS.initech, body });
    expect(otherTenant.status).toBe(201);
    expect(otherTenant.body.id).not.toBe(first.body.id);
    await app.client.waitForRun(first.body.id, KEYS.acme);
    await app.client.waitForRun(otherTenant.body.id, KEYS.initech);
  });

  it('creates exactly one run for concurrent requests with the same idempotency key', async () => {
    const body = { tasks: [task('race')], idempotencyKey: 'race-1' };
    const responses = await Promise.all(Array.from({ length: 6 }, () => app.client.request<Run>('POST', '/v1/runs', { key: KEYS.initech, body })));
    expect(responses.map((response) => response.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(responses.map((response) => response.body.id)).size).toBe(1);
    await app.client.waitForRun(responses[0]?.body.id ?? '', KEYS.initech);
  });

  it('adds tasks to a running run (deps on existing tasks) and refuses a finished run with 409', async () => {
    const created = await app.client.request<Run>('POST', '/v1/runs', { key: KEYS.acme, body: { tasks: [task('slow', {}, '[delay=400]')] } });
    const added = await app.client.request<Run>('POST', `/v1/runs/${created.body.id}/tasks`, { key: KEYS.acme, body: { tasks: [task('later', { deps: ['slow'] })] } });
    expect(added.status).toBe(202);
    expect(added.body.tasks.map((view) => view.id)).toEqual(['slow', 'later']);
    const run = await app.client.waitForRun(created.body.id, KEYS.acme);
    expect(run.state).toBe('completed');
    expect(run.tasks.find((view) => view.id === 'later')?.state).toBe('completed');
    const late = await app.client.request<ErrorBody>('POST', `/v1/runs/${created.body.id}/tasks`, { key: KEYS.acme, body: { tasks: [task('too-late')] } });
    expect([late.status, late.body.error.code]).toEqual([409, 'RUN_NOT_RUNNING']);
    const cycle = await app.client.request<ErrorBody>('POST', '/v1/runs', { key: KEYS.acme, body: { tasks: [task('p', { deps: ['q'] }), task('q', { deps: ['p'] })] } });
    expect([cycle.status, cycle.body.error.code]).toEqual([422, 'DAG_CYCLE']);
  });

  it('aborts a run: the running task fails RUN_ABORTED, the rest are skipped; abort is idempotent', async () => {
    const created = await app.client.request<Run>('POST', '/v1/runs', { key: KEYS.acme, body: { tasks: [task('hang', {}, '[hang]'), task('after', { deps: ['hang'] })] } });
    await app.client.waitForRun(created.body.id, KEYS.acme, (run) => run.tasks[0]?.state === 'running');
    const aborted = await app.client.request<Run>('POST', `/v1/runs/${created.body.id}/abort`, { key: KEYS.acme });
    expect(aborted.status).toBe(202);
    const run = await app.client.waitForRun(created.body.id, KEYS.acme);
    expect(run.state).toBe('aborted');
    expect(run.tasks[0]).toMatchObject({ state: 'failed', error: { code: 'RUN_ABORTED' } });
    expect(run.tasks[1]?.state).toBe('skipped');
    const again = await app.client.request<Run>('POST', `/v1/runs/${created.body.id}/abort`, { key: KEYS.acme });
    expect([again.status, again.body.state]).toEqual([202, 'aborted']);
  });

  it('fails a run with BUDGET_EXCEEDED mid-run and never spends over the limit', async () => {
    const created = await app.client.request<Run>('POST', '/v1/runs', {
      key: KEYS.acme,
      body: {
        tasks: [task('big', { model: 'fake-flagship', maxOutputTokens: 1000 }, '[tokens=1000]'), task('next', { model: 'fake-flagship', maxOutputTokens: 1000, deps: ['big'] })],
        policy: { budgetUsd: 0.1 },
      },
    });
    expect(created.status).toBe(201);
    const run = await app.client.waitForRun(created.body.id, KEYS.acme);
    expect(run.state).toBe('failed');
    expect(run.error?.code).toBe('BUDGET_EXCEEDED');
    expect(run.tasks[0]?.state).toBe('completed');
    expect(run.budget?.limitUsd).toBe(0.1);
    expect(run.budget?.spentUsd ?? 1).toBeLessThanOrEqual(0.1);
    expect(run.budget?.reservedUsd).toBe(0);
    const events = await app.client.events(`/v1/runs/${created.body.id}/events`, KEYS.acme);
    expect(events.map((event) => event.type)).toContain('budget.exceeded');
  });

  it('answers 402 up front when no task could ever fit the budget', async () => {
    const response = await app.client.request<ErrorBody>('POST', '/v1/runs', {
      key: KEYS.acme,
      body: { tasks: [task('never', { model: 'fake-flagship', maxOutputTokens: 2000 })], policy: { budgetUsd: 0.000001 } },
    });
    expect([response.status, response.body.error.code]).toEqual([402, 'BUDGET_EXCEEDED']);
  });

  it('reports a provider terminal error as PROVIDER_ERROR with details.status, and retries transient ones', async () => {
    const failing = await app.client.request<Run>('POST', '/v1/runs', { key: KEYS.acme, body: { tasks: [task('bad', {}, '[fail=400]')] } });
    const failed = await app.client.waitForRun(failing.body.id, KEYS.acme);
    expect(failed.state).toBe('failed');
    expect(failed.tasks[0]?.error).toMatchObject({ code: 'PROVIDER_ERROR', details: { status: 400 } });
    const flaky = await app.client.request<Run>('POST', '/v1/runs', { key: KEYS.acme, body: { tasks: [task('flaky', {}, '[failOnce=503]')] } });
    const recovered = await app.client.waitForRun(flaky.body.id, KEYS.acme);
    expect(recovered.state).toBe('completed');
    const events = await app.client.events(`/v1/runs/${flaky.body.id}/events`, KEYS.acme);
    expect(events.map((event) => event.type)).toContain('task.retrying');
  });

  it('applies the tier: a requested budget is capped by maxBudgetUsdPerRun', async () => {
    const created = await app.client.request<Run>('POST', '/v1/runs', { key: KEYS.globex, body: { tasks: [task('capped')], policy: { budgetUsd: 100 } } });
    expect(created.status).toBe(201);
    expect(created.body.budget?.limitUsd).toBe(0.25);
    await app.client.waitForRun(created.body.id, KEYS.globex);
  });

  it('refuses a model outside the tier with 403 POLICY_VIOLATION, also when reached through a tier', async () => {
    const named = await app.client.request<ErrorBody>('POST', '/v1/runs', { key: KEYS.globex, body: { tasks: [task('big', { model: 'fake-flagship' })] } });
    expect([named.status, named.body.error.code]).toEqual([403, 'POLICY_VIOLATION']);
    expect(named.body.error.details).toMatchObject({ rule: 'modelAllowlist', model: 'fake-flagship', task: 'big' });
    const tiered = await app.client.request<ErrorBody>('POST', '/v1/runs', { key: KEYS.globex, body: { tasks: [task('big', { tier: 3 })] } });
    expect(tiered.status).toBe(403);
  });

  it('fails a task that overruns taskTimeoutMs with TASK_TIMEOUT', async () => {
    const created = await app.client.request<Run>('POST', '/v1/runs', {
      key: KEYS.acme,
      body: { tasks: [task('late', {}, '[delay=3000]')], policy: { taskTimeoutMs: 150 } },
    });
    const run = await app.client.waitForRun(created.body.id, KEYS.acme);
    expect(run.state).toBe('failed');
    expect(run.tasks[0]?.error?.code).toBe('TASK_TIMEOUT');
  });

  it('rate-limits a tenant with 429 RATE_LIMITED and Retry-After', async () => {
    let limited: Awaited<ReturnType<typeof app.client.request<ErrorBody>>> | undefined;
    for (let attempt = 0; attempt < 6 && limited === undefined; attempt += 1) {
      const response = await app.client.request<ErrorBody>('POST', '/v1/runs', { key: KEYS.globex, body: { tasks: [task(`r${attempt}`)] } });
      if (response.status === 429) limited = response;
      else expect(response.status).toBe(201);
    }
    expect(limited?.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('answers 413 over the body limit and 415 for a body that is not JSON', async () => {
    const huge = await app.client.request<ErrorBody>('POST', '/v1/runs', { key: KEYS.acme, body: { tasks: [task('h', { system: 'x'.repeat(70_000) })] } });
    expect([huge.status, huge.body.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const text = await app.client.request<ErrorBody>('POST', '/v1/runs', { key: KEYS.acme, raw: 'tasks=1', contentType: 'text/plain' });
    expect([text.status, text.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });

  it('exports run, task, token and cost metrics', async () => {
    const metrics = await app.client.request('GET', '/metrics');
    expect(metrics.text).toMatch(/runtime_runs_total\{state="completed"\} \d+/);
    expect(metrics.text).toMatch(/runtime_tasks_total\{state="completed"\} \d+/);
    expect(metrics.text).toMatch(/runtime_tokens_total\{type="input",model="fake-fast"\} \d+/);
    expect(metrics.text).toContain('runtime_cost_usd_total');
    expect(metrics.text).toContain('runtime_queue_depth');
  });
});
