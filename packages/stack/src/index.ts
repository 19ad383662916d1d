/**
 * The composition root of agent-runtime (`@runtime/stack`): {@link createRuntime} wires the
 * default cost, context, orchestration, providers and policy implementations so a DAG runs in a
 * few lines.
 *
 * @packageDocumentation
 */

export { createRuntime, type Runtime, type RuntimeOptions } from './create-runtime.js';
export { OFFLINE_CATALOG } from './offline-models.js';
export { type RuntimeStreamOptions, type RuntimeStreamPart } from './stream.js';
export {
  parseTraceparent,
  type OtelContextLike,
  type ParsedTraceparent,
  type RuntimeRunOptions,
  type RuntimeTracingOptions,
  type TraceHeaders,
  type TraceParent,
  type TracerProviderLike,
} from './tracing.js';
