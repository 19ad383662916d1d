/**
 * Provider-call metrics through the real server: every streamed call is in the time-to-first-token
 * histogram and the latency histogram, labelled by provider and model.
 */
import type { Run } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { KEYS } from './support/e2e-config.js';
import { useInProcessSidecar } from './support/in-process-sidecar.js';

const app = useInProcessSidecar();

function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{`) && candidate.includes(labels));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('provider-call metrics', () => {
  it('streamed calls are in runtime_llm_time_to_first_token_seconds and runtime_llm_call_duration_seconds by model', async () => {
    const tasks = [
      { id: 'a', prompt: 'One. [task=a][tokens=20]', model: 'fake-fast' },
      { id: 'b', prompt: 'Two. [task=b][tokens=20]', model: 'fake-balanced' },
      { id: 'c', prompt: 'Three. [task=c][tokens=20]', model: 'fake-balanced' },
    ];
    const created = await app.client.request<Run>('POST', '/v1/runs', { key: KEYS.initech, body: { tasks, policy: { stream: true } } });
    expect(created.status, created.text).toBe(201);
    expect((await app.client.waitForRun(created.body.id, KEYS.initech)).state).toBe('completed');
    const text = (await app.client.request<string>('GET', '/metrics')).text;
    expect(sample(text, 'runtime_llm_time_to_first_token_seconds_count', 'model="fake-fast"')).toBe(1);
    expect(sample(text, 'runtime_llm_time_to_first_token_seconds_count', 'model="fake-balanced"')).toBe(2);
    expect(sample(text, 'runtime_llm_time_to_first_token_seconds_sum', 'model="fake-balanced"')).toBeGreaterThan(0);
    expect(sample(text, 'runtime_llm_call_duration_seconds_count', 'model="fake-balanced"')).toBe(2);
    expect(sample(text, 'runtime_llm_call_duration_seconds_count', 'model="fake-fast"')).toBe(1);
  });
});
