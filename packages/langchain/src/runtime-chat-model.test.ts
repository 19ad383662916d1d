import { ChatPromptTemplate } from '@langchain/core/prompts';
import { tool } from '@langchain/core/tools';
import type { AIMessageChunk } from '@langchain/core/messages';
import type { LlmClient, LlmRequest, LlmResult, LlmStreamChunk } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fromLangChain } from './from-lang-chain.js';
import { toLangChain } from './runtime-chat-model.js';
import { ScriptedChatModel } from './testing/index.js';

const reported = { inputTokens: 50, outputTokens: 20, cacheReadTokens: 30, cacheWriteTokens: 5, reasoningTokens: 7 };

/** A contracts-only client recording what it was asked. */
function recordingClient(result: LlmResult, chunks?: readonly LlmStreamChunk[]): LlmClient & { requests: LlmRequest[] } {
  const requests: LlmRequest[] = [];
  return {
    provider: 'fake',
    requests,
    complete(request) {
      requests.push(request);
      return Promise.resolve(result);
    },
    ...(chunks === undefined
      ? {}
      : {
          async *stream(request: LlmRequest) {
            requests.push(request);
            for (const chunk of chunks) {
              await Promise.resolve();
              yield chunk;
            }
          },
        }),
  };
}

const weather = tool(({ city }: { city: string }) => `sunny in ${city}`, { name: 'weather', description: 'Weather of a city', schema: z.object({ city: z.string() }) });

describe('toLangChain', () => {
  it('runs an LCEL chain through the client: messages, cap, usage_metadata and attempts', async () => {
    const client = recordingClient({ output: 'Hi Ada', usage: reported, finishReason: 'stop', attempts: 3, source: 'provider' });
    const model = toLangChain(client, { model: 'mock-fast', maxTokens: 64 });
    const chain = ChatPromptTemplate.fromMessages([['system', 'Be kind.'], ['human', 'Say hi to {name}']]).pipe(model);
    const answer = await chain.invoke({ name: 'Ada' });
    expect(answer.content).toBe('Hi Ada');
    expect(answer.usage_metadata).toEqual({
      input_tokens: 50,
      output_tokens: 20,
      total_tokens: 70,
      input_token_details: { cache_read: 30, cache_creation: 5 },
      output_token_details: { reasoning: 7 },
    });
    expect(answer.response_metadata).toMatchObject({ attempts: 3, finish_reason: 'stop' });
    expect(client.requests[0]).toMatchObject({
      model: 'mock-fast',
      maxOutputTokens: 64,
      messages: [
        { role: 'system', content: 'Be kind.' },
        { role: 'user', content: 'Say hi to Ada' },
      ],
    });
  });

  it('binds LangChain tools as runtime tool definitions and returns tool calls', async () => {
    const client = recordingClient({ output: '', toolCalls: [{ id: 'c1', name: 'weather', arguments: '{"city":"Oslo"}' }], usage: reported, finishReason: 'tool_calls' });
    const answer = await toLangChain(client, { model: 'mock-fast' }).bindTools([weather], { tool_choice: 'any' }).invoke('Weather in Oslo?');
    expect(answer.tool_calls).toEqual([{ id: 'c1', name: 'weather', args: { city: 'Oslo' }, type: 'tool_call' }]);
    expect(client.requests[0]?.tools?.[0]).toMatchObject({ name: 'weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } });
    expect(client.requests[0]?.toolChoice).toBe('required');
    expect(client.requests[0]?.maxOutputTokens).toBe(4096);
  });

  it('streams text and tool-call fragments; the concatenated chunks carry the calls and the usage', async () => {
    const result: LlmResult = { output: 'On it.', toolCalls: [{ id: 'c1', name: 'weather', arguments: '{"city":"Rome"}' }], usage: reported, finishReason: 'tool_calls' };
    const client = recordingClient(result, [
      { type: 'text', text: 'On ' },
      { type: 'text', text: 'it.' },
      { type: 'tool-call-delta', delta: { index: 0, id: 'c1', name: 'weather', arguments: '{"city"' } },
      { type: 'tool-call-delta', delta: { index: 0, arguments: ':"Rome"}' } },
      { type: 'tool-call', toolCall: { id: 'c1', name: 'weather', arguments: '{"city":"Rome"}' } },
      { type: 'done', result },
    ]);
    let final: AIMessageChunk | undefined;
    let pieces = 0;
    for await (const chunk of await toLangChain(client, { model: 'mock-fast' }).bindTools([weather]).stream('Rome?')) {
      pieces += 1;
      final = final === undefined ? chunk : final.concat(chunk);
    }
    expect(pieces).toBeGreaterThanOrEqual(5);
    expect(final?.content).toBe('On it.');
    expect(final?.tool_calls).toEqual([{ id: 'c1', name: 'weather', args: { city: 'Rome' }, type: 'tool_call' }]);
    expect(final?.usage_metadata).toMatchObject({ input_tokens: 50, output_tokens: 20, input_token_details: { cache_read: 30 } });
  });

  it('round trip: a LangChain model through fromLangChain and back keeps text, tool calls and usage', async () => {
    const usage = { input_tokens: 9, output_tokens: 4, total_tokens: 13, input_token_details: { cache_read: 2, cache_creation: 1 }, output_token_details: { reasoning: 3 } };
    const scripted = new ScriptedChatModel({ answers: [{ content: 'hello', toolCalls: [{ id: 'x', name: 'weather', args: { city: 'Lima' } }], usage }] });
    const answer = await toLangChain(fromLangChain(scripted), { model: 'scripted' }).bindTools([weather]).invoke('hi');
    expect(answer.content).toBe('hello');
    expect(answer.tool_calls?.[0]?.args).toEqual({ city: 'Lima' });
    expect(answer.usage_metadata).toEqual(usage);
  });

  it('refuses a cap that is not a positive integer', () => {
    expect(() => toLangChain(recordingClient({ output: '', usage: reported, finishReason: 'stop' }), { model: 'm', maxTokens: 0 })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
