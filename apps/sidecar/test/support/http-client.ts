/**
 * Tiny fetch helpers for end-to-end tests.
 */
import type { Run, RuntimeEvent } from '@runtime/contracts';
import { readEventStream } from '../../src/demo/read-event-stream.js';

export interface ApiResponse<Body = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Body;
  readonly text: string;
}

export interface RequestOptions {
  readonly key?: string;
  readonly body?: unknown;
  /** Sent as-is (no JSON encoding), with `contentType`. */
  readonly raw?: string;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
  /** Sent as bytes: fetch adds no content type of its own. */
  readonly bytes?: Uint8Array;
}

export function createClient(baseUrl: string) {
  async function request<Body = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<Body>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key !== undefined) headers['authorization'] = `Bearer ${options.key}`;
    let payload: string | Uint8Array | undefined;
    if (options.bytes !== undefined) {
      payload = options.bytes;
    } else if (options.raw !== undefined) {
      payload = options.raw;
      if (options.contentType !== undefined) headers['content-type'] = options.contentType;
    } else if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
    const text = await response.text();
    let body: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('application/json') && text !== '') body = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: body as Body, text };
  }

  async function events(path: string, key: string, headers: Record<string, string> = {}): Promise<RuntimeEvent[]> {
    const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${key}`, ...headers } });
    if (response.status !== 200) throw new Error(`events answered ${response.status}: ${await response.text()}`);
    const collected: RuntimeEvent[] = [];
    for await (const event of readEventStream(response)) collected.push(event);
    return collected;
  }

  async function waitForRun(id: string, key: string, until: (run: Run) => boolean = (run) => ['completed', 'failed', 'aborted'].includes(run.state), timeoutMs = 15_000): Promise<Run> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await request<Run>('GET', `/v1/runs/${id}`, { key });
      if (response.status === 200 && until(response.body)) return response.body;
      if (Date.now() > deadline) throw new Error(`run ${id} did not reach the expected state: ${response.text}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  return { request, events, waitForRun };
}
