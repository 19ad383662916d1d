import { asModelId, type LlmRequest, type LlmStreamChunk, type ToolCallDelta } from '@runtime/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromLangChain } from './from-lang-chain.js';
import { ScriptedChatModel } from './testing/index.js';

const usage = {
  input_tokens: 1200,
  output_tokens: 300,
  total_tokens: 1500,
  input_token_details: { cache_read: 800, cache_creation: 100 },
  output_token_details: { reasoning: 120 },
};

const request = (extra: Partial<LlmRequest> = {}): LlmRequest => ({
  model: asModelId('scripted'),
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Weather in Paris?' },
    { role: 'assistant', content: '', toolCalls: [{ id: 'c0', name: 'weather', arguments: '{"city":"Paris"}' }] },
    { role: 'tool', content: 'sunny', toolCallId: 'c0' },
  ],
  maxOutputTokens: 100,
  ...extra,
});

async function collect(stream: AsyncIterable<LlmStreamChunk>): Promise<LlmStreamChunk[]> {
  const chunks: LlmStreamChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe('fromLangChain', () => {
  it('maps messages both ways and usage exactly (cache read and write, reasoning)', async () => {
    const model = new ScriptedChatModel({ answers: [{ content: 'Sunny, 21°C.', usage }] });
    const result = await fromLangChain(model).complete(request());
    expect(result).toMatchObject({
      output: 'Sunny, 21°C.',
      finishReason: 'stop',
      providerModel: 'scripted',
      usage: { inputTokens: 1200, outputTokens: 300, cacheReadTokens: 800, cacheWriteTokens: 100, reasoningTokens: 120 },
    });
    const sent = model.received[0] ?? [];
    expect(sent.map((message) => message.type)).toEqual(['system', 'human', 'ai', 'tool']);
    expect(sent[2]).toMatchObject({ tool_calls: [{ id: 'c0', name: 'weather', args: { city: 'Paris' } }] });
    expect(sent[3]).toMatchObject({ tool_call_id: 'c0', content: 'sunny' });
  });

  it('offers tools through bindTools (OpenAI shape, tool choice) and returns the calls as JSON text', async () => {
    const model = new ScriptedChatModel({ answers: [{ toolCalls: [{ id: 't1', name: 'weather', args: { city: 'Oslo' } }], usage }] });
    const tools = [{ name: 'weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
    const result = await fromLangChain(model).complete(request({ tools, toolChoice: 'required' }));
    expect(result.finishReason).toBe('tool_calls');
    expect(result.toolCalls).toEqual([{ id: 't1', name: 'weather', arguments: '{"city":"Oslo"}' }]);
    expect(model.receivedTools[0]).toEqual([{ type: 'function', function: tools[0] }]);
  });

  it('streams text, tool-call fragments, whole tool calls and a done chunk with the exact usage', async () => {
    const model = new ScriptedChatModel({
      answers: [{ content: 'Checking both.', toolCalls: [{ id: 'a', name: 'weather', args: { city: 'Paris' } }, { id: 'b', name: 'weather', args: { city: 'Rome' } }], usage }],
      pieceChars: 3,
    });
    const chunks = await collect(fromLangChain(model).stream(request({ tools: [{ name: 'weather', description: 'w', parameters: {} }] })));
    const text = chunks.flatMap((chunk) => (chunk.type === 'text' ? [chunk.text] : [])).join('');
    expect(text).toBe('Checking both.');
    const deltas = chunks.flatMap((chunk) => (chunk.type === 'tool-call-delta' ? [chunk.delta] : []));
    expect(deltas.length).toBeGreaterThan(4);
    expect(deltas.filter((delta) => delta.index === 1).map((delta) => delta.arguments).join('')).toBe('{"city":"Rome"}');
    expect(deltas.find((delta) => delta.index === 0)).toMatchObject({ id: 'a', name: 'weather' });
    expect(chunks.filter((chunk) => chunk.type === 'tool-call').map((chunk) => chunk.type === 'tool-call' && chunk.toolCall.id)).toEqual(['a', 'b']);
    const done = chunks.at(-1);
    expect(done?.type).toBe('done');
    expect(done?.type === 'done' && done.result).toMatchObject({
      output: 'Checking both.',
      finishReason: 'tool_calls',
      usage: { inputTokens: 1200, outputTokens: 300, cacheReadTokens: 800, cacheWriteTokens: 100, reasoningTokens: 120 },
    });
  });

  it('property: concatenated stream fragments reproduce the answer exactly, whatever the piece size', async () => {
    const json = fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.oneof(fc.string({ maxLength: 12 }), fc.integer()), { maxKeys: 3 });
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 60 }), fc.array(json, { maxLength: 3 }), fc.integer({ min: 1, max: 9 }), async (content, argsList, pieceChars) => {
        const toolCalls = argsList.map((args, index) => ({ id: `call${index}`, name: `tool${index}`, args }));
        const model = new ScriptedChatModel({ answers: [{ content, toolCalls, usage }], pieceChars });
        const chunks = await collect(fromLangChain(model).stream(request()));
        expect(chunks.flatMap((chunk) => (chunk.type === 'text' ? [chunk.text] : [])).join('')).toBe(content);
        const deltas: ToolCallDelta[] = chunks.flatMap((chunk) => (chunk.type === 'tool-call-delta' ? [chunk.delta] : []));
        for (const [index, call] of toolCalls.entries()) {
          expect(deltas.filter((delta) => delta.index === index).map((delta) => delta.arguments ?? '').join('')).toBe(JSON.stringify(call.args));
        }
        const done = chunks.at(-1);
        expect(done?.type === 'done' && done.result.toolCalls?.map((call) => JSON.parse(call.arguments) as unknown)).toEqual(toolCalls.length === 0 ? undefined : argsList);
      }),
      { numRuns: 40 },
    );
  });

  it('honours the abort signal: RUN_ABORTED, and the stream stops', async () => {
    const model = new ScriptedChatModel({ answers: [{ content: 'x'.repeat(400), usage }], pieceChars: 1 });
    const controller = new AbortController();
    const seen: LlmStreamChunk[] = [];
    const consume = async (): Promise<void> => {
      for await (const chunk of fromLangChain(model).stream(request(), { signal: controller.signal })) {
        seen.push(chunk);
        if (seen.length === 5) controller.abort();
      }
    };
    await expect(consume()).rejects.toMatchObject({ code: 'RUN_ABORTED' });
    expect(seen.length).toBeLessThan(400);
    expect(seen.some((chunk) => chunk.type === 'done')).toBe(false);
  });

  it('maps provider failures to typed errors: 429 with Retry-After is transient, 400 terminal, unknown transient and marked', async () => {
    const rateLimited = Object.assign(new Error('slow down'), { status: 429, headers: { 'retry-after': '2' } });
    const badRequest = Object.assign(new Error('bad'), { status: 400 });
    const model = new ScriptedChatModel({ answers: [{ error: rateLimited }, { error: badRequest }, { error: new Error('socket hang up') }] });
    const client = fromLangChain(model, { provider: 'openai' });
    await expect(client.complete(request())).rejects.toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: true, details: { status: 429, retryAfterMs: 2000, provider: 'openai', kind: 'transient' } });
    await expect(client.complete(request())).rejects.toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: false, details: { status: 400, kind: 'terminal' } });
    await expect(client.complete(request())).rejects.toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: true, details: { unclassified: true } });
  });

  it('passes the cap through callOptions and refuses tools for a model without bindTools', async () => {
    const model = new ScriptedChatModel({ answers: [{ content: 'ok', usage }] });
    const seen: unknown[] = [];
    const client = fromLangChain(model, { callOptions: (call) => (seen.push(call.maxOutputTokens), { metadata: { cap: call.maxOutputTokens } }) });
    await client.complete(request({ maxOutputTokens: 77 }));
    expect(seen).toEqual([77]);
    Object.defineProperty(model, 'bindTools', { value: undefined });
    await expect(client.complete(request({ tools: [{ name: 'x', description: 'x', parameters: {} }] }))).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'tools' } });
  });
});
