/**
 * Every 4xx/5xx in the error envelope, including the HTTP framework's and node's parser's own
 * answers, and the request conventions of v1.1 (Idempotency-Key header, Location on 201), through
 * the real server on a real socket.
 */
import { connect } from 'node:net';
import type { Run } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { KEYS } from './support/e2e-config.js';
import { useInProcessSidecar } from './support/in-process-sidecar.js';

const app = useInProcessSidecar();

/** Sends raw bytes and returns everything the server wrote until it closed (or 1 s passed). */
function rawText(request: string, endAfterWrite = false): Promise<string> {
  const url = new URL(app.sidecar.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) }, () => {
      socket.write(request);
      if (endAfterWrite) socket.end();
    });
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
    setTimeout(() => socket.end(), 1_000);
  });
}

/** Sends raw bytes and returns the status and parsed JSON body of the answer. */
function raw(request: string): Promise<{ status: number; body: { error?: { code?: string; message?: string; details?: unknown } } }> {
  const url = new URL(app.sidecar.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) }, () => socket.write(request));
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const bodyStart = text.indexOf('\r\n\r\n');
      let body = {};
      try {
        body = JSON.parse(text.slice(bodyStart + 4)) as object;
      } catch {
        body = { unparsed: text };
      }
      resolve({ status, body });
    });
    setTimeout(() => socket.end(), 1_000);
  });
}

const isEnvelope = (body: unknown): boolean => {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } }).error;
  return typeof error?.code === 'string' && typeof error.message === 'string' && typeof error.details === 'object' && error.details !== null;
};

describe('framework errors use the envelope', () => {
  it('bad percent-encoding in the URL: 400 VALIDATION_FAILED', async () => {
    const response = await app.client.request('GET', '/v1/runs/%ZZ', { key: KEYS.acme });
    expect(response.status).toBe(400);
    expect(isEnvelope(response.body)).toBe(true);
    expect((response.body as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
  });

  it('headers over the limit: 431 HEADERS_TOO_LARGE', async () => {
    const response = await raw(`GET /v1/models HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(response.status).toBe(431);
    expect(isEnvelope(response.body)).toBe(true);
    expect(response.body.error?.code).toBe('HEADERS_TOO_LARGE');
  });

  it('a malformed request (Content-Length and Transfer-Encoding both, a bad request line): 400 VALIDATION_FAILED', async () => {
    for (const request of [
      'POST /v1/runs HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n',
      'GARBAGE\r\n\r\n',
      'GET /v1/models HTTP/1.1\r\nhost: x\r\ncontent-length: abc\r\n\r\n',
    ]) {
      const response = await raw(request);
      expect(response.status, request).toBe(400);
      expect(isEnvelope(response.body), JSON.stringify(response.body)).toBe(true);
      expect(response.body.error?.code).toBe('VALIDATION_FAILED');
    }
  });

  it('a body shorter than its Content-Length (the client ends its side): 400 in the envelope', async () => {
    const text = await rawText(
      `POST /v1/runs HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${KEYS.acme}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"tasks":[]}`,
      true,
    );
    expect(text.slice(0, 12)).toBe('HTTP/1.1 400');
    expect(isEnvelope(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))), text).toBe(true);
  });

  it('an unknown route: 404 ROUTE_NOT_FOUND, with or without a key', async () => {
    for (const key of [undefined, KEYS.acme]) {
      const response = await app.client.request('GET', '/v2/nothing', key === undefined ? {} : { key });
      expect(response.status).toBe(404);
      expect((response.body as { error: { code: string } }).error.code).toBe('ROUTE_NOT_FOUND');
    }
  });
});

describe('request conventions', () => {
  const body = { tasks: [{ id: 'a', prompt: 'Do a [task=a]' }] };

  it('201 carries Location: /v1/runs/{id}', async () => {
    const created = await app.client.request<Run>('POST', '/v1/runs', { key: KEYS.acme, body });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/v1/runs/${created.body.id}`);
  });

  it('the Idempotency-Key header is the body field: a repeat returns the same run (200), never a second one', async () => {
    const headers = { 'idempotency-key': `k-${Date.now()}` };
    const first = await app.client.request<Run>('POST', '/v1/runs', { key: KEYS.acme, body, headers });
    const again = await app.client.request<Run>('POST', '/v1/runs', { key: KEYS.acme, body, headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const viaBody = await app.client.request<Run>('POST', '/v1/runs', { key: KEYS.acme, body: { ...body, idempotencyKey: headers['idempotency-key'] } });
    expect(viaBody.body.id).toBe(first.body.id);
  });

  it('header and body keys that differ: 400 VALIDATION_FAILED', async () => {
    const response = await app.client.request<{ error: { code: string } }>('POST', '/v1/runs', {
      key: KEYS.acme,
      body: { ...body, idempotencyKey: 'one' },
      headers: { 'idempotency-key': 'two' },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('VALIDATION_FAILED');
  });
});
