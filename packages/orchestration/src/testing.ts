/**
 * Test helpers for code that runs DAGs with `@runtime/orchestration`: a deterministic scripted
 * {@link @runtime/contracts#LlmClient} with latency, failure injection and call counting.
 *
 * @packageDocumentation
 */
export {
  createScriptedLlm,
  defaultUsage,
  providerError,
  type ScriptedLlm,
  type ScriptedLlmLogEntry,
  type ScriptedLlmOptions,
} from './testing/scripted-llm.js';
