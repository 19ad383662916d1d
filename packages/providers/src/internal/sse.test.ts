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
      { event: 'message_start', data: '{"a":1}' },
      { event: undefined, data: 'line one\nline two' },
      { event: undefined, data: '[DONE]' },
    ];
    expect(await parse([text])).toEqual(expected);
    for (let split = 1; split < text.length; split += 7) {
      expect(await parse([text.slice(0, split), text.slice(split)])).toEqual(expected);
    }
  });

  it('handles CRLF line ends even when a CR and its LF arrive in different chunks', async () => {
    expect(await parse(['data: a\r', '\n\r\n', 'data: b\r\n\r\n'])).toEqual([
      { event: undefined, data: 'a' },
      { event: undefined, data: 'b' },
    ]);
  });

  it('yields a last event that lacks its blank line', async () => {
    expect(await parse(['data: tail'])).toEqual([{ event: undefined, data: 'tail' }]);
  });
});
