/**
 * The recorded-transcript suite: every stream in `__fixtures__/transcripts/<adapter>/` (the real
 * wire format: normal text, tool calls incl. parallel ones, usage variants, in-stream errors, a
 * JSON answer to `stream: true`) is replayed byte by byte through a real HTTP server and must give
 * its `.expected.json`. Then every transcript is cut programmatically — at every event boundary,
 * and at seeded random bytes inside events, closed cleanly or abruptly — and each cut must give
 * what its prefix allows: a success only when the prefix holds the terminal event, otherwise a
 * typed error (retryable while nothing was delivered; after output, `incomplete_stream` with a
 * usage that bounds what was produced).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';
import { asModelId, RuntimeError, type LlmRequest, type LlmStreamChunk, type ToolCall, type ToolCallDelta } from '@runtime/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnthropicClient, createOpenAiCompatibleClient, type StreamingLlmClient } from '../src/index.js';
import { seededRandom } from '../src/internal/random.js';
import { startProviderServer, type ProviderServer } from './support/provider-server.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '__fixtures__', 'transcripts');

interface Expected {
  readonly texts: readonly string[];
  readonly toolCalls: readonly ToolCall[];
  readonly result?: Record<string, unknown>;
  readonly error?: { readonly code: string; readonly isRetryable: boolean; readonly details: Record<string, unknown> };
  readonly usageAtLeast?: { readonly inputTokens: number; readonly outputTokens: number };
}

type Adapter = 'openai' | 'anthropic';

const request: LlmRequest = {
  model: asModelId('transcript-model'),
  providerModel: 'transcript-model',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Weather in Paris, and pay Bob 10 euros.' },
  ],
  tools: [{ name: 'pay', description: 'Pays someone', parameters: { type: 'object' } }],
  maxOutputTokens: 200,
};

/** How the server sends a body: its bytes, in which pieces, and how it ends. */
interface Replay {
  readonly bytes: Buffer;
  readonly contentType: string;
  readonly pieces: 'bytes' | 'random';
  readonly seed: number;
  readonly ending: 'end' | 'abrupt';
}

let server: ProviderServer;
let next: Replay | undefined;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function replay(response: ServerResponse, plan: Replay): Promise<void> {
  response.writeHead(200, { 'content-type': plan.contentType, 'x-request-id': 'req-transcript' });
  response.flushHeaders();
  const random = seededRandom(plan.seed);
  for (let offset = 0; offset < plan.bytes.length; ) {
    const size = plan.pieces === 'bytes' ? 1 : 1 + Math.floor(random() * 97);
    response.write(plan.bytes.subarray(offset, offset + size));
    offset += size;
    await turn();
  }
  if (plan.ending === 'end') response.end();
  // FIN without the chunked terminator: the body is cut mid-transfer.
  else response.socket?.end();
}

beforeAll(async () => {
  server = await startProviderServer(async (_sent, response) => {
    const plan = next;
    if (plan === undefined) throw new Error('no replay planned');
    await replay(response, plan);
  });
});
afterAll(async () => {
  await server.close();
});

function client(adapter: Adapter): StreamingLlmClient {
  return adapter === 'openai'
    ? createOpenAiCompatibleClient({ baseUrl: `${server.url}/v1`, provider: 'openai' })
    : createAnthropicClient({ baseUrl: server.url });
}

interface Outcome {
  readonly texts: string[];
  readonly toolCalls: ToolCall[];
  readonly toolCallDeltas: ToolCallDelta[];
  readonly result: Extract<LlmStreamChunk, { type: 'done' }>['result'] | undefined;
  readonly error: RuntimeError | undefined;
}

async function run(adapter: Adapter, plan: Replay): Promise<Outcome> {
  next = plan;
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  const toolCallDeltas: ToolCallDelta[] = [];
  let result: Outcome['result'];
  try {
    for await (const chunk of client(adapter).stream(request)) {
      if (chunk.type === 'text') texts.push(chunk.text);
      else if (chunk.type === 'tool-call') toolCalls.push(chunk.toolCall);
      else if (chunk.type === 'tool-call-delta') toolCallDeltas.push(chunk.delta);
      else result = chunk.result;
    }
  } catch (error) {
    if (!RuntimeError.isInstance(error)) throw error;
    return { texts, toolCalls, toolCallDeltas, result, error };
  }
  return { texts, toolCalls, toolCallDeltas, result, error: undefined };
}

function utf8(text: string): number {
  return Buffer.byteLength(text);
}

/** One SSE event of a transcript: where its data line ends and where the event ends. */
interface EventSpan {
  readonly dataEnd: number;
  readonly end: number;
  readonly data: Record<string, unknown> | '[DONE]';
}

function eventsOf(bytes: Buffer): EventSpan[] {
  const spans: EventSpan[] = [];
  let start = 0;
  for (;;) {
    const blank = bytes.indexOf('\n\n', start);
    if (blank < 0) return spans;
    const text = bytes.subarray(start, blank).toString('utf8');
    const dataLine = text.split('\n').find((line) => line.startsWith('data: '));
    if (dataLine === undefined) throw new Error('event without data');
    const raw = dataLine.slice('data: '.length);
    spans.push({
      dataEnd: start + Buffer.byteLength(text.slice(0, text.indexOf(dataLine) + dataLine.length)),
      end: blank + 2,
      data: raw === '[DONE]' ? '[DONE]' : (JSON.parse(raw) as Record<string, unknown>),
    });
    start = blank + 2;
  }
}

/** What a prefix of events allows, read off the events themselves (an oracle, not the adapter). */
function prefixExpectation(
  adapter: Adapter,
  events: readonly EventSpan[],
  full: Expected,
): { complete: boolean; texts: string[]; toolCalls: ToolCall[]; toolCallDeltas: ToolCallDelta[]; reportedOutput: number | undefined } {
  const texts: string[] = [];
  const toolCallDeltas: ToolCallDelta[] = [];
  // Anthropic numbers content blocks; a fragment's index is the call's position among the calls.
  const callOfBlock = new Map<unknown, number>();
  let reportedOutput: number | undefined;
  let complete = false;
  let toolUseStops = 0;
  const toolUseBlocks = new Set<unknown>();
  for (const { data } of events) {
    if (data === '[DONE]') {
      complete = true;
      continue;
    }
    if (adapter === 'openai') {
      type WireCall = { index?: number; id?: string; function?: { name?: string; arguments?: string } };
      const choice = (data.choices as { delta?: { content?: string | null; tool_calls?: WireCall[] }; finish_reason?: string | null }[] | undefined)?.[0];
      const content = choice?.delta?.content;
      if (typeof content === 'string' && content !== '') texts.push(content);
      for (const call of choice?.delta?.tool_calls ?? []) {
        const fragment: { index: number; id?: string; name?: string; arguments?: string } = { index: call.index ?? 0 };
        if (call.id !== undefined && call.id !== '') fragment.id = call.id;
        if (call.function?.name !== undefined && call.function.name !== '') fragment.name = call.function.name;
        if (call.function?.arguments !== undefined && call.function.arguments !== '') fragment.arguments = call.function.arguments;
        if (Object.keys(fragment).length > 1) toolCallDeltas.push(fragment);
      }
      if (typeof choice?.finish_reason === 'string') complete = true;
    } else {
      const block = data.content_block as { type?: string; id?: string; name?: string } | undefined;
      const delta = data.delta as { type?: string; text?: string; partial_json?: string } | undefined;
      if (data.type === 'content_block_start' && block?.type === 'tool_use') {
        toolUseBlocks.add(data.index);
        callOfBlock.set(data.index, callOfBlock.size);
        toolCallDeltas.push({ index: callOfBlock.size - 1, id: block.id ?? '', name: block.name ?? '' });
      }
      const call = callOfBlock.get(data.index);
      if (data.type === 'content_block_delta' && delta?.type === 'input_json_delta' && call !== undefined && (delta.partial_json ?? '') !== '') {
        toolCallDeltas.push({ index: call, arguments: delta.partial_json ?? '' });
      }
      if (data.type === 'content_block_delta' && delta?.type === 'text_delta' && delta.text !== undefined && delta.text !== '') texts.push(delta.text);
      if (data.type === 'content_block_stop' && toolUseBlocks.has(data.index)) toolUseStops += 1;
      if (data.type === 'message_stop') complete = true;
      // message_delta's output_tokens is the provider's final count (message_start's is a placeholder).
      const usage = data.usage as { output_tokens?: number } | undefined;
      if (data.type === 'message_delta' && typeof usage?.output_tokens === 'number') reportedOutput = usage.output_tokens;
    }
  }
  // OpenAI yields its tool calls when the stream completes; Anthropic at each block's stop.
  const toolCalls = adapter === 'openai' ? (complete ? [...full.toolCalls] : []) : full.toolCalls.slice(0, toolUseStops);
  return { complete, texts, toolCalls, toolCallDeltas, reportedOutput };
}

function fixtures(adapter: Adapter): { name: string; bytes: Buffer; contentType: string; expected: Expected }[] {
  const directory = join(root, adapter);
  return readdirSync(directory)
    .filter((file) => !file.endsWith('.expected.json'))
    .sort()
    .map((file) => {
      const name = file.replace(/\.(sse|json)$/, '');
      return {
        name,
        bytes: readFileSync(join(directory, file)),
        contentType: file.endsWith('.json') ? 'application/json' : 'text/event-stream',
        expected: JSON.parse(readFileSync(join(directory, `${name}.expected.json`), 'utf8')) as Expected,
      };
    });
}

function checkCut(outcome: Outcome, allowed: ReturnType<typeof prefixExpectation>, label: string): void {
  expect(outcome.texts, label).toEqual(allowed.texts);
  expect(outcome.toolCalls, label).toEqual(allowed.toolCalls);
  expect(outcome.toolCallDeltas, label).toEqual(allowed.toolCallDeltas);
  const produced = allowed.texts.join('');
  if (allowed.complete) {
    expect(outcome.error, label).toBeUndefined();
    expect(outcome.result?.output, label).toBe(produced);
    expect(outcome.result?.usage.inputTokens, label).toBeGreaterThan(0);
    if (produced !== '') expect(outcome.result?.usage.outputTokens, label).toBeGreaterThan(1);
    return;
  }
  expect(outcome.result, label).toBeUndefined();
  const error = outcome.error;
  expect(error?.code, label).toBe('PROVIDER_ERROR');
  // A tool call's first fragment reached the caller: a retry would repeat it.
  const delivered = produced !== '' || allowed.toolCalls.length > 0 || allowed.toolCallDeltas.length > 0;
  expect(error?.isRetryable, label).toBe(!delivered);
  if (!delivered) return;
  expect(error?.details.reason, label).toBe('incomplete_stream');
  const usage = error?.details.usage as { inputTokens: number; outputTokens: number } | undefined;
  expect(usage?.inputTokens, label).toBeGreaterThan(0);
  if (allowed.reportedOutput !== undefined) {
    // The provider's final count arrived before the cut: it is the truth.
    expect(usage?.outputTokens, label).toBe(allowed.reportedOutput);
    return;
  }
  // Never the placeholder 1 or 0 for a call that produced text: at least its UTF-8 bytes.
  expect(usage?.outputTokens ?? 0, label).toBeGreaterThanOrEqual(utf8(produced));
  expect(error?.details.usage, label).toMatchObject({ estimated: true });
}

for (const adapter of ['openai', 'anthropic'] as const) {
  describe(`${adapter} transcripts`, () => {
    const all = fixtures(adapter);

    it('has transcripts of every kind (text, tool calls, parallel tool calls, errors, a JSON answer)', () => {
      const names = all.map((fixture) => fixture.name);
      expect(names.some((name) => name.includes('parallel'))).toBe(true);
      expect(names.some((name) => name.startsWith('error'))).toBe(true);
      expect(names).toContain('json-answer');
      expect(names).toContain('text');
    });

    for (const fixture of all) {
      it(`${fixture.name}: replayed byte by byte gives its expected result or typed error`, async () => {
        const outcome = await run(adapter, { bytes: fixture.bytes, contentType: fixture.contentType, pieces: 'bytes', seed: 1, ending: 'end' });
        const { expected } = fixture;
        expect(outcome.texts).toEqual(expected.texts);
        expect(outcome.toolCalls).toEqual(expected.toolCalls);
        if (expected.error !== undefined) {
          expect(outcome.result).toBeUndefined();
          expect(outcome.error).toMatchObject(expected.error);
        } else {
          expect(outcome.error).toBeUndefined();
          expect(outcome.result).toMatchObject({ ...expected.result, source: 'provider', requestId: 'req-transcript' });
          if (expected.usageAtLeast !== undefined) {
            expect(outcome.result?.usage.inputTokens).toBeGreaterThanOrEqual(expected.usageAtLeast.inputTokens);
            expect(outcome.result?.usage.outputTokens).toBeGreaterThanOrEqual(expected.usageAtLeast.outputTokens);
          }
        }
      });

      it(`${fixture.name}: tool-call fragments stream before each whole call and concatenate to it`, async () => {
        const outcome = await run(adapter, { bytes: fixture.bytes, contentType: fixture.contentType, pieces: 'bytes', seed: 1, ending: 'end' });
        if (fixture.contentType === 'text/event-stream') {
          expect(outcome.toolCallDeltas).toEqual(prefixExpectation(adapter, eventsOf(fixture.bytes), fixture.expected).toolCallDeltas);
        }
        const whole = fixture.expected.error === undefined ? fixture.expected.toolCalls : [];
        for (const [index, toolCall] of whole.entries()) {
          const fragments = outcome.toolCallDeltas.filter((fragment) => fragment.index === index);
          expect(fragments[0]).toMatchObject({ id: toolCall.id, name: toolCall.name });
          const joined = fragments.map((fragment) => fragment.arguments ?? '').join('');
          // Anthropic sends no fragment for a call without arguments; its whole call says `{}`.
          expect(joined === '' ? '{}' : joined).toBe(toolCall.arguments);
        }
        if (whole.length > 0) expect(new Set(outcome.toolCallDeltas.map((fragment) => fragment.index)).size).toBe(whole.length);
      });

      if (fixture.contentType !== 'text/event-stream') continue;

      it(`${fixture.name}: cut at every event boundary (clean end and abrupt close) is never a success it has not earned`, async () => {
        const events = eventsOf(fixture.bytes);
        expect(events.length).toBeGreaterThan(0);
        for (let count = 0; count < events.length; count += 1) {
          const cut = count === 0 ? 0 : (events[count - 1]?.end ?? 0);
          const allowed = prefixExpectation(adapter, events.slice(0, count), fixture.expected);
          for (const ending of ['end', 'abrupt'] as const) {
            const outcome = await run(adapter, { bytes: fixture.bytes.subarray(0, cut), contentType: fixture.contentType, pieces: 'random', seed: count, ending });
            checkCut(outcome, allowed, `${fixture.name} cut after ${count} events (${ending})`);
          }
        }
      });

      it(`${fixture.name}: cut at seeded random bytes inside events is never a success it has not earned`, async () => {
        const events = eventsOf(fixture.bytes);
        const random = seededRandom(fixture.bytes.length);
        for (let sample = 0; sample < 12; sample += 1) {
          const cut = Math.floor(random() * fixture.bytes.length);
          // An event counts once its whole data line arrived (the blank line after it may be missing).
          const arrived = events.filter((event) => event.dataEnd <= cut);
          const allowed = prefixExpectation(adapter, arrived, fixture.expected);
          const outcome = await run(adapter, { bytes: fixture.bytes.subarray(0, cut), contentType: fixture.contentType, pieces: 'random', seed: cut, ending: 'end' });
          checkCut(outcome, allowed, `${fixture.name} cut at byte ${cut}`);
        }
      });
    }
  });
}
