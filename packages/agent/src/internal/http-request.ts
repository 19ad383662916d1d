/** One bounded HTTP exchange for the HTTP tools: redirects followed by hand so each hop is checked. */
import type { HttpToolFetch } from '../http-tool-fetch.js';
import { describe, toolError } from './errors.js';

export interface HttpExchange {
  readonly tool: string;
  readonly url: URL;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal: AbortSignal;
  readonly maxResponseBytes: number;
  readonly maxRedirects: number;
  /** Refuses a URL (initial or redirect target) by throwing. */
  readonly checkUrl: (url: URL) => void;
  readonly fetch: HttpToolFetch;
}

const REDIRECT = new Set([301, 302, 303, 307, 308]);

/** Reads at most `limit` bytes of the body; a longer body is cut and marked, never buffered whole. */
async function readBounded(response: Response, limit: number): Promise<string> {
  const body = response.body;
  if (body === null) return '';
  const reader: ReadableStreamDefaultReader<Uint8Array> = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let cut = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > limit) {
      chunks.push(value.subarray(0, limit - size));
      size = limit;
      cut = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  const text = new TextDecoder().decode(Buffer.concat(chunks));
  return cut ? `${text}\n[truncated at ${limit} bytes]` : text;
}

/** Sends the request; answers the body text of a 2xx, throws `TOOL_FAILED` otherwise. */
export async function exchange(request: HttpExchange): Promise<string> {
  let url = request.url;
  let method = request.method;
  let body = request.body;
  for (let hop = 0; ; hop += 1) {
    request.checkUrl(url);
    let response: Response;
    try {
      response = await request.fetch(url.href, {
        method,
        headers: request.headers,
        ...(body === undefined ? {} : { body }),
        redirect: 'manual',
        signal: request.signal,
      });
    } catch (error) {
      if (request.signal.aborted) throw request.signal.reason;
      throw toolError('TOOL_FAILED', request.tool, `${request.tool}: ${method} ${url.origin}${url.pathname} failed: ${describe(error)}`, { url: url.href }, error);
    }
    if (REDIRECT.has(response.status)) {
      await response.body?.cancel();
      const location = response.headers.get('location');
      if (location === null || hop >= request.maxRedirects) {
        throw toolError('TOOL_FAILED', request.tool, `${request.tool}: too many or malformed redirects from ${url.href}.`, { url: url.href, status: response.status });
      }
      url = new URL(location, url);
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
      continue;
    }
    const text = await readBounded(response, request.maxResponseBytes);
    if (!response.ok) {
      throw toolError('TOOL_FAILED', request.tool, `${request.tool}: ${url.href} answered HTTP ${response.status}.`, {
        url: url.href,
        status: response.status,
        body: text.slice(0, 500),
      });
    }
    return text;
  }
}
