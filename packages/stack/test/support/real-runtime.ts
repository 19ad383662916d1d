/** A runtime built from the real cost + context implementations around a scripted LLM. */
import type { LlmClient } from '@runtime/contracts';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../src/index.js';

export function realRuntime(llm: LlmClient, options: Omit<RuntimeOptions, 'llm'> = {}): Runtime {
  return createRuntime({ ...options, llm });
}
