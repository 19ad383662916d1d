/**
 * A real HTTP server on 127.0.0.1 for adapter tests: each request is recorded and answered by the
 * test's handler (JSON, SSE, a hang, a connection reset).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  readonly index: number;
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Record<string, unknown>;
  /** Resolves when this request's socket is closed. */
  readonly socketClosed: Promise<void>;
}

export type Handler = (request: RecordedRequest, response: ServerResponse) => void | Promise<void>;

export interface ProviderServer {
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  /** Replaces the handler. */
  handle(handler: Handler): void;
  close(): Promise<void>;
}

export async function startProviderServer(handler: Handler): Promise<ProviderServer> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const socket = incoming.socket;
      const text = Buffer.concat(chunks).toString('utf8');
      const request: RecordedRequest = {
        index: requests.length,
        method: incoming.method ?? '',
        url: incoming.url ?? '',
        headers: incoming.headers,
        body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
        socketClosed: socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve())),
      };
      requests.push(request);
      Promise.resolve(current(request, response)).catch((error: unknown) => {
        response.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle(next) {
      current = next;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

/** Starts an SSE response and writes events; `end` closes it. */
export function startSse(response: ServerResponse): {
  send(data: unknown, event?: string): void;
  end(): void;
} {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': 'req-stream' });
  response.flushHeaders();
  return {
    send(data, event) {
      response.write(`${event === undefined ? '' : `event: ${event}\n`}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    },
    end() {
      response.end();
    },
  };
}

/** Resets the connection (RST), as a crashed proxy would. */
export function resetConnection(response: ServerResponse): void {
  response.socket?.resetAndDestroy();
}
