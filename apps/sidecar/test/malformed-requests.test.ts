/**
 * Bad input, table-driven: every malformed request gets the right 4xx and code, never a 5xx, and
 * the server stays up.
 */
import type { ErrorBody } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { KEYS } from './support/e2e-config.js';
import type { RequestOptions } from './support/http-client.js';
import { useInProcessSidecar } from './support/in-process-sidecar.js';

const app = useInProcessSidecar();

interface Case {
  readonly name: string;
  readonly method?: string;
  readonly path?: string;
  readonly request: RequestOptions;
  readonly status: number;
  readonly code: string;
  /** A path that `details.issues` must name. */
  readonly field?: string;
}

const ok = { id: 'a', prompt: 'hello' };
const run = (patch: Record<string, unknown>) => ({ tasks: [ok], ...patch });
const withTask = (patch: Record<string, unknown>) => ({ tasks: [{ ...ok, ...patch }] });
const raw = (text: string, contentType = 'application/json'): RequestOptions => ({ raw: text, contentType });

const cases: readonly Case[] = [
  { name: 'invalid JSON', request: raw('{"tasks": ['), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'trailing garbage after JSON', request: raw('{"tasks": []} xyz'), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'empty JSON body', request: raw(''), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'JSON array as body', request: { body: [] }, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'JSON string as body', request: { body: 'tasks' }, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'JSON null as body', request: raw('null'), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'JSON number as body', request: raw('42'), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'missing tasks', request: { body: {} }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks' },
  { name: 'empty tasks', request: { body: { tasks: [] } }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks' },
  { name: 'tasks is an object', request: { body: { tasks: {} } }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks' },
  { name: 'task without prompt or messages', request: { body: { tasks: [{ id: 'a' }] } }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks[0].prompt' },
  { name: 'task with prompt and messages', request: { body: withTask({ messages: [{ role: 'user', content: 'x' }] }) }, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'empty prompt', request: { body: withTask({ prompt: '' }) }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks[0].prompt' },
  { name: 'prompt is a number', request: { body: withTask({ prompt: 7 }) }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks[0].prompt' },
  { name: 'missing id', request: { body: { tasks: [{ prompt: 'x' }] } }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks[0].id' },
  { name: 'empty id', request: { body: withTask({ id: '' }) }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks[0].id' },
  { name: 'id with a space', request: { body: withTask({ id: 'a b' }) }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks[0].id' },
  { name: 'huge id (129 chars)', request: { body: withTask({ id: 'x'.repeat(129) }) }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks[0].id' },
  { name: 'unicode id', request: { body: withTask({ id: 'tâche-🚀' }) }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks[0].id' },
  { name: 'id is a number', request: { body: withTask({ id: 1 }) }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks[0].id' },
  { name: 'unknown top-level field', request: { body: run({ priority: 'high' }) }, status: 400, code: 'VALIDATION_FAILED', field: 'priority' },
  { name: 'unknown task field', request: { body: withTask({ temperature: 0.2 }) }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks[0].temperature' },
  { name: 'unknown policy field', request: { body: run({ policy: { retries: 3 } }) }, status: 400, code: 'VALIDATION_FAILED', field: 'policy.retries' },
  { name: 'unknown message field', request: { body: { tasks: [{ id: 'a', messages: [{ role: 'user', content: 'x', extra: 1 }] }] } }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks[0].messages[0].extra' },
  { name: 'unknown context field', request: { body: run({ policy: { context: { window: 5 } } }) }, status: 400, code: 'VALIDATION_FAILED', field: 'policy.context.window' },
  { name: '__proto__ key', request: raw('{"tasks":[{"id":"a","prompt":"x"}],"__proto__":{"admin":true}}'), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'null model', request: { body: withTask({ model: null }) }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks[0].model' },
  { name: 'null policy', request: { body: run({ policy: null }) }, status: 400, code: 'VALIDATION_FAILED', field: 'policy' },
  { name: 'tier 4', request: { body: withTask({ tier: 4 }) }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks[0].tier' },
  { name: 'tier as string', request: { body: withTask({ tier: '1' }) }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks[0].tier' },
  { name: 'maxOutputTokens 0', request: { body: withTask({ maxOutputTokens: 0 }) }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks[0].maxOutputTokens' },
  { name: 'maxOutputTokens fractional', request: { body: withTask({ maxOutputTokens: 1.5 }) }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks[0].maxOutputTokens' },
  { name: 'maxOutputTokens 1e20', request: { body: withTask({ maxOutputTokens: 1e20 }) }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks[0].maxOutputTokens' },
  { name: 'maxParallelism 257', request: { body: run({ policy: { maxParallelism: 257 } }) }, status: 400, code: 'VALIDATION_FAILED', field: 'policy.maxParallelism' },
  { name: 'budgetUsd 0', request: { body: run({ policy: { budgetUsd: 0 } }) }, status: 400, code: 'VALIDATION_FAILED', field: 'policy.budgetUsd' },
  { name: 'negative budgetUsd', request: { body: run({ policy: { budgetUsd: -1 } }) }, status: 400, code: 'VALIDATION_FAILED', field: 'policy.budgetUsd' },
  { name: 'unknown failurePolicy', request: { body: run({ policy: { failurePolicy: 'sometimes' } }) }, status: 400, code: 'VALIDATION_FAILED', field: 'policy.failurePolicy' },
  { name: 'unknown compaction strategy', request: { body: run({ policy: { context: { strategy: 'magic' } } }) }, status: 400, code: 'VALIDATION_FAILED', field: 'policy.context.strategy' },
  { name: 'unknown message role', request: { body: { tasks: [{ id: 'a', messages: [{ role: 'robot', content: 'x' }] }] } }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks[0].messages[0].role' },
  { name: 'empty messages', request: { body: { tasks: [{ id: 'a', messages: [] }] } }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks[0].messages' },
  { name: 'deps is a string', request: { body: withTask({ deps: 'b' }) }, status: 400, code: 'VALIDATION_FAILED', field: 'tasks[0].deps' },
  { name: 'metadata value is a number', request: { body: run({ metadata: { team: 7 } }) }, status: 400, code: 'VALIDATION_FAILED', field: 'metadata.team' },
  { name: 'empty idempotencyKey', request: { body: run({ idempotencyKey: '' }) }, status: 400, code: 'VALIDATION_FAILED', field: 'idempotencyKey' },
  { name: 'nested junk in the policy', request: { body: run({ policy: { context: { strategy: { deep: [1, [2, { x: null }]] } } } }) }, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'deeply nested arrays as prompt', request: raw(`{"tasks":[{"id":"a","prompt":${'['.repeat(20_000)}${']'.repeat(20_000)}}]}`), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'two-task cycle', request: { body: { tasks: [{ id: 'a', prompt: 'x', deps: ['b'] }, { id: 'b', prompt: 'y', deps: ['a'] }] } }, status: 422, code: 'DAG_CYCLE' },
  { name: 'self-dependency', request: { body: withTask({ deps: ['a'] }) }, status: 422, code: 'DAG_CYCLE' },
  { name: 'unknown dependency', request: { body: withTask({ deps: ['ghost'] }) }, status: 422, code: 'UNKNOWN_DEPENDENCY' },
  { name: 'duplicate task id', request: { body: { tasks: [ok, ok] } }, status: 422, code: 'DUPLICATE_TASK_ID' },
  { name: 'unknown model', request: { body: withTask({ model: 'gpt-99' }) }, status: 422, code: 'UNKNOWN_MODEL' },
  { name: 'text/plain body', request: raw('{"tasks":[]}', 'text/plain'), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'form body', request: raw('tasks=1', 'application/x-www-form-urlencoded'), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'JSON body without a content type', request: { bytes: new TextEncoder().encode('{"tasks":[{"id":"a","prompt":"x"}]}') }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'run id longer than any URL parameter limit', method: 'GET', path: `/v1/runs/${'r'.repeat(3000)}`, request: {}, status: 404, code: 'RUN_NOT_FOUND' },
  { name: 'body over the limit', request: { body: withTask({ prompt: 'x'.repeat(70_000) }) }, status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'estimate without prompt or messages', path: '/v1/estimate', request: { body: { model: 'fake-fast' } }, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'estimate with an unknown field', path: '/v1/estimate', request: { body: { prompt: 'x', temperature: 1 } }, status: 400, code: 'VALIDATION_FAILED', field: 'temperature' },
  { name: 'add tasks to an unknown run', path: '/v1/runs/no-such-run/tasks', request: { body: { tasks: [ok] } }, status: 404, code: 'RUN_NOT_FOUND' },
  { name: 'abort an unknown run', path: '/v1/runs/no-such-run/abort', request: {}, status: 404, code: 'RUN_NOT_FOUND' },
  { name: 'huge run id', method: 'GET', path: `/v1/runs/${'r'.repeat(600)}`, request: {}, status: 404, code: 'RUN_NOT_FOUND' },
  { name: 'list with limit 0', method: 'GET', path: '/v1/runs?limit=0', request: {}, status: 400, code: 'VALIDATION_FAILED', field: 'limit' },
  { name: 'list with limit abc', method: 'GET', path: '/v1/runs?limit=abc', request: {}, status: 400, code: 'VALIDATION_FAILED', field: 'limit' },
  { name: 'list with unknown state', method: 'GET', path: '/v1/runs?state=sleeping', request: {}, status: 400, code: 'VALIDATION_FAILED', field: 'state' },
  { name: 'list with unknown parameter', method: 'GET', path: '/v1/runs?order=asc', request: {}, status: 400, code: 'VALIDATION_FAILED', field: 'order' },
  { name: 'Bearer without key', request: { body: run({}), headers: { authorization: 'Bearer' } }, status: 401, code: 'UNAUTHENTICATED' },
];

describe('malformed requests', () => {
  it('has at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('$name → $status $code', async (entry) => {
    const request: RequestOptions = entry.request.headers?.['authorization'] === undefined ? { key: KEYS.acme, ...entry.request } : entry.request;
    const response = await app.client.request<ErrorBody>(entry.method ?? 'POST', entry.path ?? '/v1/runs', request);
    expect(response.status).toBe(entry.status);
    expect(response.body.error.code).toBe(entry.code);
    expect(typeof response.body.error.message).toBe('string');
    if (entry.field !== undefined) {
      const issues = (response.body.error.details['issues'] ?? []) as { path: string }[];
      expect(issues.map((issue) => issue.path)).toContain(entry.field);
    }
  });

  it('names the cycle and the unknown dependency in details', async () => {
    const cycle = await app.client.request<ErrorBody>('POST', '/v1/runs', { key: KEYS.acme, body: { tasks: [{ id: 'a', prompt: 'x', deps: ['b'] }, { id: 'b', prompt: 'y', deps: ['a'] }] } });
    const path = cycle.body.error.details['cycle'] as string[];
    expect(path[0]).toBe(path.at(-1));
    expect(new Set(path)).toEqual(new Set(['a', 'b']));
    const unknown = await app.client.request<ErrorBody>('POST', '/v1/runs', { key: KEYS.acme, body: withTask({ deps: ['ghost'] }) });
    expect(unknown.body.error.details).toMatchObject({ task: 'a', dependency: 'ghost' });
  });

  it('is still up and healthy afterwards', async () => {
    expect((await app.client.request('GET', '/healthz')).status).toBe(200);
    expect((await app.client.request('GET', '/v1/runs', { key: KEYS.acme })).status).toBe(200);
  });
});
