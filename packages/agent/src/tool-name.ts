/**
 * Tool names as both OpenAI (`^[a-zA-Z0-9_-]{1,64}$`) and Anthropic accept them.
 */
import { invalid } from './internal/errors.js';

/**
 * The names a tool may have: 1–64 of `A–Z a–z 0–9 _ -` (the strictest of the OpenAI and Anthropic
 * wire formats).
 * @public
 */
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Checks a tool name.
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` with `details.tool`.
 */
export function assertToolName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !TOOL_NAME_PATTERN.test(name)) {
    throw invalid(`Tool name ${JSON.stringify(name)} is not 1–64 characters of A–Z, a–z, 0–9, _ or -.`, {
      tool: name,
      issues: [{ path: ['name'], message: `must match ${TOOL_NAME_PATTERN.source}` }],
    });
  }
}
