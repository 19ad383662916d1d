import { asModelId, ModelError, type ModelCatalog, type ModelInfo } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { createMockLlmClient } from './mock-llm-client.js';
import { createProviderRouter } from './provider-router.js';
import { collectStream } from './testing/index.js';

function model(id: string, provider: string, providerModel: string): ModelInfo {
  return {
    id: asModelId(id),
    provider,
    providerModel,
    role: 'fast',
    maxInputTokens: 1000,
    maxOutputTokens: 100,
    pricing: { inputPerMTok: 1, outputPerMTok: 2 },
  };
}

const models = [model('fast', 'alpha', 'alpha-small'), model('smart', 'beta', 'beta-large'), model('orphan', 'gamma', 'g')];

/** A fake catalog (the real one lives in another domain package). */
const catalog: ModelCatalog = {
  get(id) {
    const found = models.find((entry) => entry.id === id);
    if (found === undefined) throw new ModelError({ code: 'UNKNOWN_MODEL', message: `unknown ${id}`, details: { model: id } });
    return found;
  },
  find: (id) => models.find((entry) => entry.id === id),
  list: () => models,
  forRole: () => models[0] ?? model('x', 'x', 'x'),
  forTier: () => models[0] ?? model('x', 'x', 'x'),
  defaultModel: () => models[0] ?? model('x', 'x', 'x'),
};

describe('createProviderRouter', () => {
  it("sends each request to its model's provider and fills providerModel", async () => {
    const alpha = createMockLlmClient({ provider: 'alpha' });
    const beta = createMockLlmClient({ provider: 'beta' });
    const router = createProviderRouter({ catalog, clients: { alpha, beta } });
    await router.complete({ model: asModelId('smart'), messages: [{ role: 'user', content: 'hi' }], maxOutputTokens: 10 });
    expect(alpha.calls).toHaveLength(0);
    expect(beta.calls[0]?.request.providerModel).toBe('beta-large');
    expect(router.providerFor('fast')).toBe('alpha');
    expect(router.providerModelFor('fast')).toBe('alpha-small');
    const streamed = await collectStream(router.stream({ model: asModelId('fast'), messages: [{ role: 'user', content: 'yo' }], maxOutputTokens: 10 }));
    expect(streamed.result?.providerModel).toBe('alpha-small');
    expect(alpha.calls[0]?.method).toBe('stream');
  });

  it('streams every chunk through as the provider sends it (text, tool-call fragments, the whole call, done)', async () => {
    const alpha = createMockLlmClient({
      provider: 'alpha',
      toolArgumentsChunkChars: 4,
      script: [{ output: 'on it', toolCalls: [{ id: 'c1', name: 'pay', arguments: '{"to":"Bob"}' }] }],
    });
    const router = createProviderRouter({ catalog, clients: { alpha } });
    const types: string[] = [];
    for await (const chunk of router.stream({ model: asModelId('fast'), messages: [{ role: 'user', content: 'pay' }], maxOutputTokens: 50 })) types.push(chunk.type);
    expect(types).toEqual(['text', 'text', 'tool-call-delta', 'tool-call-delta', 'tool-call-delta', 'tool-call-delta', 'tool-call', 'done']);
  });

  it('keeps an explicit providerModel', async () => {
    const alpha = createMockLlmClient({ provider: 'alpha' });
    const router = createProviderRouter({ catalog, clients: { alpha } });
    await router.complete({ model: asModelId('fast'), providerModel: 'alpha-pinned', messages: [], maxOutputTokens: 1 });
    expect(alpha.calls[0]?.request.providerModel).toBe('alpha-pinned');
  });

  it('rejects an unknown model (UNKNOWN_MODEL) and a provider without a client (terminal PROVIDER_ERROR)', async () => {
    const router = createProviderRouter({ catalog, clients: { alpha: createMockLlmClient() } });
    await expect(router.complete({ model: asModelId('nope'), messages: [], maxOutputTokens: 1 })).rejects.toMatchObject({ code: 'UNKNOWN_MODEL' });
    await expect(router.complete({ model: asModelId('orphan'), messages: [], maxOutputTokens: 1 })).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      isRetryable: false,
      details: { provider: 'gamma', reason: 'no_client' },
    });
  });
});
