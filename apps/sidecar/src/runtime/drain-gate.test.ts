import type { LlmClient, LlmResult } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { createDrainGate } from './drain-gate.js';

const result: LlmResult = { output: 'ok', usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }, finishReason: 'stop' };

describe('createDrainGate', () => {
  it('lets calls in flight finish and holds new ones until their signal aborts', async () => {
    let release: () => void = () => undefined;
    let sent = 0;
    const inner: LlmClient = {
      provider: 'p',
      complete: () => {
        sent += 1;
        return new Promise<LlmResult>((resolve) => {
          release = () => resolve(result);
        });
      },
    };
    const gate = createDrainGate();
    const client = gate.wrap(inner);
    const request = { model: 'm', messages: [{ role: 'user' as const, content: 'x' }], maxOutputTokens: 5 } as never;
    const first = client.complete(request);
    expect(gate.inFlight).toBe(1);
    gate.drain();
    const controller = new AbortController();
    const second = client.complete(request, { signal: controller.signal });
    expect(sent).toBe(1);
    release();
    await expect(first).resolves.toBe(result);
    expect(gate.inFlight).toBe(0);
    controller.abort(new Error('run aborted'));
    await expect(second).rejects.toThrow('run aborted');
    expect(sent).toBe(1);
  });
});
