import { describe, expect, it } from 'vitest';
import { parseSse, type SseEvent } from './sse.js';

function streamOf(chunks: readonly string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function parse(chunks: readonly string[]): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of parseSse(streamOf(chunks))) events.push(event);
  return events;
}

describe('parseSse', () => {
  it('parses events, names, multi-line data and comments across arbitrary chunk splits', async () => {
    const text = ': keep-alive\nevent: message_start\ndata: {"a":1}\n\ndata: line one\ndata: line two\n\ndata: [DONE]\n\n';
    const expected = [
      { event: 'message_start', data: '{"a":1}', terminated: true },
      { event: undefined, data: 'line one\nline two', terminated: true },
      { event: undefined, data: '[DONE]', terminated: true },
    ];
    expect(await parse([text])).toEqual(expected);
    for (let split = 1; split < text.length; split += 7) {
      expect(await parse([text.slice(0, split), text.slice(split)])).toEqual(expected);
    }
  });

  it('handles CRLF line ends even when a CR and its LF arrive in different chunks', async () => {
    expect(await parse(['data: a\r', '\n\r\n', 'data: b\r\n\r\n'])).toEqual([
      { event: undefined, data: 'a', terminated: true },
      { event: undefined, data: 'b', terminated: true },
    ]);
  });

  it('yields a last event that lacks its blank line, marked as not terminated', async () => {
    expect(await parse(['data: tail'])).toEqual([{ event: undefined, data: 'tail', terminated: false }]);
    expect(await parse(['data: whole\n\ndata: {"cut'])).toEqual([
      { event: undefined, data: 'whole', terminated: true },
      { event: undefined, data: '{"cut', terminated: false },
    ]);
  });

  it('cancels the body when the consumer stops early (a server keeping the response open holds no socket)', async () => {
    let cancelled = false;
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('data: [DONE]\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const event of parseSse(body)) {
      if (event.data === '[DONE]') break;
    }
    expect(cancelled).toBe(true);
  });
});
