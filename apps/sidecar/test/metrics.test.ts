/**
 * Metrics through the real server: `runtime_cost_usd_total` is the exact decimal sum of the tasks'
 * costs (no float drift), and every provider call is in the LLM latency histogram.
 */
import type { Run } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { KEYS } from './support/e2e-config.js';
import { useInProcessSidecar } from './support/in-process-sidecar.js';

const app = useInProcessSidecar();

/** nano-USD as the shortest exact decimal USD text. */
function decimal(nanos: bigint): string {
  const whole = nanos / 1_000_000_000n;
  const fraction = (nanos % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return fraction === '' ? whole.toString() : `${whole}.${fraction}`;
}

describe('metrics', () => {
  it('runtime_cost_usd_total is the exact sum of the tasks costs; each call is in runtime_llm_call_duration_seconds', async () => {
    const tasks = Array.from({ length: 40 }, (_, index) => ({ id: `t${index}`, prompt: `p${index} ${'w '.repeat(index * 7)} [task=t${index}][tokens=${7 + ((index * 13) % 97)}]` }));
    const created = await app.client.request<Run>('POST', '/v1/runs', { key: KEYS.initech, body: { tasks, policy: { maxParallelism: 4 } } });
    expect(created.status, created.text).toBe(201);
    await app.client.waitForRun(created.body.id, KEYS.initech);
    const page = await app.client.request<{ items: Run['tasks'] }>('GET', `/v1/runs/${created.body.id}/tasks?limit=500`, { key: KEYS.initech });
    const nanos = page.body.items.reduce((sum, task) => sum + BigInt(Math.round(task.usage.costUsd * 1e9)), 0n);
    expect(nanos).toBeGreaterThan(0n);
    const text = (await app.client.request<string>('GET', '/metrics')).text;
    const line = text.split('\n').find((candidate) => candidate.startsWith('runtime_cost_usd_total{model="fake-balanced"}'));
    expect(line?.split(' ')[1]).toBe(decimal(nanos));
    const count = /^runtime_llm_call_duration_seconds_count\{[^}]*outcome="ok"[^}]*\} (\d+)$/m.exec(text);
    expect(Number(count?.[1])).toBe(tasks.length);
  }, 30_000);
});
