/** One server-sent event. */
export interface SseEvent {
  readonly event: string | undefined;
  readonly data: string;
  /**
   * False for the last event when the body ended without the blank line that dispatches it: it
   * may be cut short (the WHATWG parser would drop it; adapters decide, e.g. `[DONE]` is whole).
   */
  readonly terminated: boolean;
}

/**
 * Parses a `text/event-stream` body (WHATWG rules for `event:` and multi-line `data:`).
 *
 * @remarks
 * When the consumer stops early (a terminal event was read, or it gave up), the body is
 * cancelled, not just unlocked: a server that keeps the response open would otherwise hold the
 * socket for ever.
 */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event: string | undefined;
  let data: string[] = [];
  const reader = body.getReader();
  let ended = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline = buffer.search(/\r\n|\n|\r/);
      // A lone '\r' at the end may be the first half of a '\r\n' split across chunks: wait for more.
      while (newline >= 0 && !(buffer[newline] === '\r' && newline === buffer.length - 1)) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(buffer[newline] === '\r' && buffer[newline + 1] === '\n' ? newline + 2 : newline + 1);
        if (line === '') {
          if (data.length > 0) yield { event, data: data.join('\n'), terminated: true };
          event = undefined;
          data = [];
        } else if (!line.startsWith(':')) {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event = value;
          else if (field === 'data') data.push(value);
        }
        newline = buffer.search(/\r\n|\n|\r/);
      }
    }
    // Lenient about a stream that ends without the final blank line (or newline).
    const last = buffer.replace(/\r$/, '');
    if (last.startsWith('data:')) data.push(last.slice(5).replace(/^ /, ''));
    ended = true;
    if (data.length > 0) yield { event, data: data.join('\n'), terminated: false };
  } finally {
    if (ended) reader.releaseLock();
    else await reader.cancel().catch(() => undefined);
  }
}
