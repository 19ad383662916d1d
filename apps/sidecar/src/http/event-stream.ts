/**
 * Server-Sent Events of one run over a hijacked response.
 */
import type { ServerResponse } from 'node:http';
import type { RuntimeEvent } from '@runtime/contracts';

const HEARTBEAT_MS = 15_000;

/**
 * Formats one event: `id:` the run's sequence number, `event:` the type, `data:` the JSON.
 * @public
 */
export function formatServerSentEvent(event: RuntimeEvent): string {
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * Streams `events` to `response` until the iterable ends (after the terminal event), the client
 * goes away or `stop` resolves.
 * @public
 */
export async function pipeEventStream(
  response: ServerResponse,
  events: AsyncIterable<RuntimeEvent>,
  stop: Promise<void>,
): Promise<void> {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  response.write(': stream\n\n');
  const closed = new Promise<'closed'>((resolve) => {
    response.once('close', () => resolve('closed'));
    void stop.then(() => resolve('closed'));
  });
  const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  const iterator = events[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), closed]);
      if (next === 'closed' || next.done === true) break;
      response.write(formatServerSentEvent(next.value));
    }
  } finally {
    clearInterval(heartbeat);
    // Closing the subscription early; a failure to close it has no one left to report to but the
    // stream it belonged to, which is already over.
    void iterator.return?.().catch(() => undefined);
    if (!response.writableEnded) response.end();
  }
}
