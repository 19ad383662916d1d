/**
 * Token streaming through the real sidecar: a fake OpenAI-compatible provider speaking the real SSE
 * wire format streams an answer slowly, and a client reading `GET /v1/runs/{id}/events` sees
 * `task.delta` frames (without `id:` lines) while the provider is still writing; the deltas
 * concatenate to the task's output; a replay after the run has no deltas, and the final output is
 * the task's.
 */
import { rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { startSidecar, type RunningSidecar } from '../src/start-sidecar.js';
import { KEYS, writeE2eConfig, type E2eConfig } from './support/e2e-config.js';
import { createClient } from './support/http-client.js';

const PIECES = ['Once ', 'upon ', 'a ', 'time ', 'a ', 'budget ', 'kept ', 'an ', 'agent ', 'honest.'];

/** One SSE frame as the client received it. */
interface Frame {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: Record<string, unknown>;
  /** `performance.now()` when it arrived. */
  readonly at: number;
}

/** The provider's side of the story, for ordering checks. */
interface ProviderLog {
  /** When the first piece was written. */
  firstPieceAt: number;
  /** When `[DONE]` was written (the provider finished). */
  finishedAt: number;
  /** Why the provider went on after its first piece: the client saw a delta, or it gave up waiting. */
  continuedBecause: 'delta seen' | 'timeout' | undefined;
}

let provider: Server;
let providerUrl: string;
let config: E2eConfig;
let sidecar: RunningSidecar;
const log: ProviderLog = { firstPieceAt: 0, finishedAt: 0, continuedBecause: undefined };
let subscribed: () => void = () => undefined;
const subscribedOnce = new Promise<void>((resolve) => {
  subscribed = resolve;
});
let deltaSeen: () => void = () => undefined;
const deltaSeenOnce = new Promise<void>((resolve) => {
  deltaSeen = resolve;
});
/** Requests the provider received with `stream: true`. */
let streamedRequests = 0;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  provider = createServer((request, response) => {
    void (async () => {
      const body = JSON.parse(await readBody(request)) as { model: string; stream?: boolean };
      if (body.stream !== true) {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            id: 'chatcmpl-j',
            object: 'chat.completion',
            model: body.model,
            choices: [{ index: 0, message: { role: 'assistant', content: 'whole answer' }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 40, completion_tokens: 3, total_tokens: 43 },
          }),
        );
        return;
      }
      streamedRequests += 1;
      const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
        `data: ${JSON.stringify({ id: 'chatcmpl-s', object: 'chat.completion.chunk', model: body.model, choices: [{ index: 0, delta, finish_reason: finish }], usage: null })}\n\n`;
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      // Hold the answer until a client is subscribed, so it can see every delta.
      await Promise.race([subscribedOnce, pause(5_000)]);
      response.write(chunk({ role: 'assistant', content: PIECES[0] }));
      log.firstPieceAt = performance.now();
      // Go on only once the client saw a delta (or give up after 5 s: then the test fails on it).
      log.continuedBecause = await Promise.race([deltaSeenOnce.then(() => 'delta seen' as const), pause(5_000).then(() => 'timeout' as const)]);
      for (const piece of PIECES.slice(1)) {
        await pause(5);
        response.write(chunk({ content: piece }));
      }
      response.write(chunk({}, 'stop'));
      response.write(`data: ${JSON.stringify({ id: 'chatcmpl-s', object: 'chat.completion.chunk', model: body.model, choices: [], usage: { prompt_tokens: 40, completion_tokens: 12, total_tokens: 52 } })}\n\n`);
      response.end('data: [DONE]\n\n');
      log.finishedAt = performance.now();
    })();
  });
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/v1`;
  config = writeE2eConfig(providerUrl);
  sidecar = await startSidecar(loadConfig({ env: config.env }), { env: config.env, logger: pino({ level: 'silent' }) });
});

afterAll(async () => {
  await sidecar.stop();
  await new Promise<void>((resolve) => provider.close(() => resolve()));
  rmSync(config.directory, { recursive: true, force: true });
});

/** Reads an SSE response frame by frame, with arrival times; `onFrame` sees each as it arrives. */
async function readFrames(path: string, onFrame: (frame: Frame) => void = () => undefined): Promise<Frame[]> {
  const response = await fetch(`${sidecar.url}${path}`, { headers: { authorization: `Bearer ${KEYS.acme}` } });
  expect(response.status).toBe(200);
  const body = response.body;
  if (body === null) throw new Error('no body');
  const frames: Frame[] = [];
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const bytes of body) {
    buffered += decoder.decode(bytes as Uint8Array, { stream: true });
    for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const lines = block.split('\n');
      const field = (name: string) => lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
      const data = field('data');
      if (data === undefined) continue; // a comment (`: stream`, keep-alive)
      const frame: Frame = { id: field('id'), event: field('event') ?? '', data: JSON.parse(data) as Record<string, unknown>, at: performance.now() };
      frames.push(frame);
      onFrame(frame);
    }
  }
  return frames;
}

describe('token streaming over SSE', () => {
  it('the first task.delta reaches the client before the provider finished; deltas concatenate to the output; a replay has none', async () => {
    const client = createClient(sidecar.url);
    const created = await client.request<{ id: string }>('POST', '/v1/runs', {
      key: KEYS.acme,
      body: { tasks: [{ id: 'story', prompt: 'Tell a very short story.', stream: true }] },
    });
    expect(created.status, created.text).toBe(201);
    const runId = created.body.id;

    const live = await readFrames(`/v1/runs/${runId}/events`, (frame) => {
      // Any frame proves the subscription is live (it is made before the journal is read).
      subscribed();
      if (frame.event === 'task.delta') deltaSeen();
    });
    const deltas = live.filter((frame) => frame.event === 'task.delta');
    expect(streamedRequests).toBe(1);
    expect(deltas.length).toBe(PIECES.length);
    // Ordering signals, not sleeps: the provider went on only because the client had a delta,
    // and the first delta arrived before the provider wrote [DONE].
    expect(log.continuedBecause).toBe('delta seen');
    expect(deltas[0]?.at).toBeLessThan(log.finishedAt);
    expect(deltas[0]?.at).toBeGreaterThanOrEqual(log.firstPieceAt);
    // Deltas carry no id: Last-Event-ID keeps naming journaled events.
    expect(deltas.every((frame) => frame.id === undefined)).toBe(true);
    expect(deltas.map((frame) => frame.data['index'])).toEqual(PIECES.map((_, index) => index));
    expect(deltas.every((frame) => frame.data['taskId'] === 'story' && frame.data['attempt'] === 1)).toBe(true);
    const journaled = live.filter((frame) => frame.event !== 'task.delta');
    expect(journaled.map((frame) => Number(frame.id))).toEqual(journaled.map((_, index) => index + 1));
    // Deltas sit between the task's start and its completion.
    const events = live.map((frame) => frame.event);
    expect(events.indexOf('task.started')).toBeLessThan(events.indexOf('task.delta'));
    expect(events.lastIndexOf('task.delta')).toBeLessThan(events.indexOf('task.completed'));

    const task = await client.request<{ output?: string; state: string }>('GET', `/v1/runs/${runId}/tasks/story`, { key: KEYS.acme });
    expect(task.status, task.text).toBe(200);
    expect(task.body.state).toBe('completed');
    expect(deltas.map((frame) => frame.data['text']).join('')).toBe(task.body.output);
    expect(task.body.output).toBe(PIECES.join(''));

    // After the fact: the journal only, the same journaled events, no delta.
    const replay = await readFrames(`/v1/runs/${runId}/events`);
    expect(replay.some((frame) => frame.event === 'task.delta')).toBe(false);
    expect(replay.map((frame) => [frame.id, frame.event])).toEqual(journaled.map((frame) => [frame.id, frame.event]));
    expect(replay.at(-1)?.event).toBe('run.completed');
    // Resuming after the last journaled id gives nothing more (the deltas did not move it).
    const lastId = journaled.at(-1)?.id;
    const response = await fetch(`${sidecar.url}/v1/runs/${runId}/events`, { headers: { authorization: `Bearer ${KEYS.acme}`, 'last-event-id': String(Number(lastId) - 1) } });
    const rest = await response.text();
    expect(rest).toContain('event: run.completed');
    expect(rest).not.toContain('task.delta');
  }, 30_000);

  it('a run policy stream: true streams every task that does not opt out (stream: false)', async () => {
    const client = createClient(sidecar.url);
    const before = streamedRequests;
    const created = await client.request<{ id: string }>('POST', '/v1/runs', {
      key: KEYS.acme,
      body: { tasks: [{ id: 'on', prompt: 'Stream me.' }, { id: 'off', prompt: 'Do not.', stream: false }], policy: { stream: true } },
    });
    expect(created.status, created.text).toBe(201);
    const frames = await readFrames(`/v1/runs/${created.body.id}/events`);
    expect(frames.at(-1)?.event).toBe('run.completed');
    // Only `on` was called in streaming mode; `off` got a plain JSON completion.
    expect(streamedRequests - before).toBe(1);
    expect(frames.filter((frame) => frame.event === 'task.delta').every((frame) => frame.data['taskId'] === 'on')).toBe(true);
    const on = await client.request<{ output?: string }>('GET', `/v1/runs/${created.body.id}/tasks/on`, { key: KEYS.acme });
    expect(on.body.output).toBe(PIECES.join(''));
    const off = await client.request<{ output?: string }>('GET', `/v1/runs/${created.body.id}/tasks/off`, { key: KEYS.acme });
    expect(off.body.output).toBe('whole answer');
  }, 30_000);

  it('the OpenAPI document describes stream on tasks and policy, and the task.delta event', async () => {
    const document = (await (await fetch(`${sidecar.url}/openapi.json`)).json()) as Record<string, unknown>;
    const text = JSON.stringify(document);
    expect(text).toContain('"task.delta"');
    const schemas = (document['components'] as { schemas: Record<string, unknown> }).schemas;
    expect(JSON.stringify(schemas['RunRequest'])).toMatch(/"stream":\{[^}]*"type":"boolean"/);
    const events = JSON.stringify((document['paths'] as Record<string, unknown>)['/v1/runs/{id}/events']);
    expect(events).toContain('task.delta');
    expect(events).toMatch(/without an `id:` line/);
  });
});
