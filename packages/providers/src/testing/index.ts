/**
 * Test helpers of `@runtime/providers`: fake time for retry/timeout/breaker tests and a stream
 * collector. The scripted LLM itself is {@link @runtime/providers#createMockLlmClient} in the root entry.
 *
 * @packageDocumentation
 */
export { collectStream, type CollectedStream } from './collect-stream.js';
export { createFakeTime, type FakeTime, type FakeTimeOptions } from './fake-time.js';
