/**
 * The W3C trace context of an HTTP request, handed to the library so a run's `runtime.run` span is
 * a child of the caller's trace.
 *
 * @remarks
 * As the W3C Trace Context spec asks, a malformed or repeated `traceparent` is ignored (the run
 * starts a new trace), never refused; `tracestate` is only kept with a valid `traceparent`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { parseTraceparent, type TraceHeaders } from '@runtime/stack';

/**
 * The request's `traceparent` and `tracestate`, or undefined when it carries no valid one.
 * @public
 */
export function traceHeaders(headers: IncomingHttpHeaders): TraceHeaders | undefined {
  const traceparent = headers.traceparent;
  if (typeof traceparent !== 'string' || parseTraceparent(traceparent) === undefined) return undefined;
  const raw = headers.tracestate;
  const tracestate = Array.isArray(raw) ? raw.join(',') : raw;
  return tracestate === undefined || tracestate === '' ? { traceparent } : { traceparent, tracestate };
}
