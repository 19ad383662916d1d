/**
 * A fake OpenAI-compatible server on 127.0.0.1 for end-to-end tests.
 *
 * The last message of a request is the task's own prompt; directives in it steer the answer:
 * `[task=id]` names the task, `[delay=ms]`, `[tokens=n]` (completion tokens), `[fail=status]`
 * (always), `[failOnce=status]` (first call of the task only), `[hang]` (never answers).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeCall {
  readonly taskId: string;
  readonly model: string;
  readonly messages: readonly { role: string; content: string }[];
  /** The answer was fully written to an open connection. */
  delivered: boolean;
}

export interface FakeOpenAiServer {
  readonly baseUrl: string;
  readonly calls: FakeCall[];
  /** Delivered completions per task id. */
  deliveredCount(taskId: string): number;
  /** Holds every answer (new and pending) until {@link FakeOpenAiServer.resume}. */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

function directive(text: string, name: string): string | undefined {
  return new RegExp(`\\[${name}(?:=([^\\]]*))?\\]`).exec(text)?.[1] ?? (text.includes(`[${name}]`) ? '' : undefined);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeOpenAiServer(): Promise<FakeOpenAiServer> {
  const calls: FakeCall[] = [];
  const failedOnce = new Set<string>();
  let paused = false;
  let released: () => void = () => undefined;
  let gate = Promise.resolve();
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      const body = JSON.parse(await readBody(request)) as {
        model: string;
        messages: { role: string; content: string }[];
        stream?: boolean;
      };
      const last = body.messages.at(-1)?.content ?? '';
      const taskId = directive(last, 'task') ?? 'unknown';
      const call: FakeCall = { taskId, model: body.model, messages: body.messages, delivered: false };
      calls.push(call);
      const delay = Number(directive(last, 'delay') ?? '5');
      if (directive(last, 'hang') !== undefined) return;
      await new Promise((resolve) => setTimeout(resolve, delay));
      while (paused) await gate;
      if (response.destroyed || request.socket.destroyed) return;
      const failOnce = directive(last, 'failOnce');
      const fail = directive(last, 'fail') ?? (failOnce !== undefined && !failedOnce.has(taskId) ? failOnce : undefined);
      if (failOnce !== undefined) failedOnce.add(taskId);
      if (fail !== undefined) {
        response.writeHead(Number(fail), { 'content-type': 'application/json', 'retry-after-ms': '20' });
        response.end(JSON.stringify({ error: { message: `scripted failure ${fail}`, type: 'server_error' } }));
        return;
      }
      const completionTokens = Number(directive(last, 'tokens') ?? '12');
      const promptTokens = Math.ceil(body.messages.reduce((sum, message) => sum + message.content.length, 0) / 4) + 3 * body.messages.length;
      const content = `result of ${taskId}`;
      const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
      response.on('finish', () => {
        call.delivered = !request.socket.destroyed;
      });
      if (body.stream === true) {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: body.model, choices: [{ index: 0, delta: { role: 'assistant', content }, finish_reason: null }] })}\n\n`);
        response.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: body.model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
        response.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: body.model, choices: [], usage })}\n\n`);
        response.end('data: [DONE]\n\n');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: `chatcmpl-${calls.length}`,
          object: 'chat.completion',
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage,
        }),
      );
    })().catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    calls,
    pause() {
      if (paused) return;
      paused = true;
      gate = new Promise<void>((resolve) => {
        released = resolve;
      });
    },
    resume() {
      paused = false;
      released();
    },
    deliveredCount: (taskId) => calls.filter((call) => call.taskId === taskId && call.delivered).length,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
