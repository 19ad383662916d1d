/**
 * A slow OpenAI-compatible server on 127.0.0.1 shared by several sidecar processes: each call is
 * answered after a delay (by default 100–300 ms, fixed per label so a run is reproducible), and
 * every call is recorded with its label (`[task=<label>]` in the last message), when it arrived,
 * when its answer was written, and whether it reached an open connection.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountedCall {
  readonly label: string;
  readonly receivedAt: number;
  answeredAt?: number;
  /** The answer was fully written to a connection still open. */
  delivered: boolean;
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export interface CountingOpenAiServer {
  readonly baseUrl: string;
  readonly calls: CountedCall[];
  /** Calls per label. */
  callsOf(label: string): CountedCall[];
  close(): Promise<void>;
}

/** 100–300 ms, the same for the same label. */
function delayOf(label: string, minMs: number, maxMs: number): number {
  const hash = createHash('sha256').update(label).digest();
  return minMs + (hash.readUInt16BE(0) % (maxMs - minMs + 1));
}

export async function startCountingOpenAiServer(options: { readonly minDelayMs?: number; readonly maxDelayMs?: number } = {}): Promise<CountingOpenAiServer> {
  const minDelayMs = options.minDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 300;
  const calls: CountedCall[] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string; messages: { content: string }[] };
      const last = body.messages.at(-1)?.content ?? '';
      const label = /\[task=([^\]]+)\]/.exec(last)?.[1] ?? 'unknown';
      const delayDirective = /\[delay=(\d+)\]/.exec(last)?.[1];
      const promptTokens = Math.ceil(body.messages.reduce((sum, message) => sum + message.content.length, 0) / 4) + 3 * body.messages.length;
      const call: CountedCall = { label, receivedAt: Date.now(), delivered: false, promptTokens, completionTokens: 10 };
      calls.push(call);
      await new Promise((resolve) => setTimeout(resolve, delayDirective === undefined ? delayOf(label, minDelayMs, maxDelayMs) : Number(delayDirective)));
      if (response.destroyed || request.socket.destroyed) return;
      response.on('finish', () => {
        call.answeredAt = Date.now();
        call.delivered = !request.socket.destroyed;
      });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: `chatcmpl-${calls.length}`,
          object: 'chat.completion',
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: `result of ${label}` }, finish_reason: 'stop' }],
          usage: { prompt_tokens: promptTokens, completion_tokens: call.completionTokens, total_tokens: promptTokens + call.completionTokens },
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
    callsOf: (label) => calls.filter((call) => call.label === label),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
