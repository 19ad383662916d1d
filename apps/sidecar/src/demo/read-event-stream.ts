/**
 * A minimal Server-Sent Events reader over `fetch` (for the demo and tests).
 */
import type { RuntimeEvent } from '@runtime/contracts';

/**
 * Parses the `text/event-stream` body of `response` into events (the `data:` JSON of each).
 * @public
 */
export async function* readEventStream(response: Response): AsyncGenerator<RuntimeEvent> {
  if (response.body === null) return;
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let boundary = buffer.indexOf('\n\n');
    while (boundary !== -1) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice('data: '.length))
        .join('\n');
      if (data !== '') yield JSON.parse(data) as RuntimeEvent;
      boundary = buffer.indexOf('\n\n');
    }
  }
}
