import { asModelId, ModelError, type ModelCatalog, type ModelInfo } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { createMockLlmClient, createProviderRouter, createResilientClient, type ResilienceEvent } from '../src/index.js';
import { createFakeTime } from '../src/testing/index.js';

function model(id: string, provider: string, providerModel: string): ModelInfo {
  return { id: asModelId(id), provider, providerModel, role: 'balanced', maxInputTokens: 1000, maxOutputTokens: 100, pricing: { inputPerMTok: 1, outputPerMTok: 1 } };
}
const models = [model('primary', 'alpha', 'alpha-large'), model('backup', 'beta', 'beta-large')];
const catalog: ModelCatalog = {
  get(id) {
    const found = models.find((entry) => entry.id === id);
    if (found === undefined) throw new ModelError({ code: 'UNKNOWN_MODEL', message: id, details: { model: id } });
    return found;
  },
  find: (id) => models.find((entry) => entry.id === id),
  list: () => models,
  forRole: () => models[0] ?? model('x', 'x', 'x'),
  forTier: () => models[0] ?? model('x', 'x', 'x'),
  defaultModel: () => models[0] ?? model('x', 'x', 'x'),
};

describe('router + resilient client', () => {
  it('keys breakers by the real provider and provider model, and falls back across providers', async () => {
    const time = createFakeTime({ autoAdvance: true });
    const alpha = createMockLlmClient({ provider: 'alpha', respond: () => ({ fail: 'status', status: 503 }) });
    const beta = createMockLlmClient({ provider: 'beta', respond: () => ({ output: 'from beta' }) });
    const events: ResilienceEvent[] = [];
    const llm = createResilientClient(createProviderRouter({ catalog, clients: { alpha, beta } }), {
      retry: { maxAttempts: 2 },
      circuitBreaker: { failureThreshold: 2, resetAfterMs: 60_000 },
      fallbackModels: [asModelId('backup')],
      clock: time.clock,
      sleep: time.sleep,
      onEvent: (event) => events.push(event),
    });
    const request = { model: asModelId('primary'), messages: [{ role: 'user' as const, content: 'hi' }], maxOutputTokens: 10 };
    await expect(llm.complete(request)).resolves.toMatchObject({ output: 'from beta', providerModel: 'beta-large', attempts: 3 });
    expect(llm.circuitState('alpha', 'alpha-large')).toBe('open');
    expect(llm.circuitState('beta', 'beta-large')).toBe('closed');
    // The open circuit now sends the next call straight to the fallback without touching alpha.
    await expect(llm.complete({ ...request, maxOutputTokens: 11 })).resolves.toMatchObject({ output: 'from beta' });
    expect(alpha.calls).toHaveLength(2);
    expect(events.filter((event) => event.type === 'provider.circuit')).toEqual([
      { type: 'provider.circuit', provider: 'alpha', model: 'alpha-large', from: 'closed', to: 'open' },
    ]);
  });
});
