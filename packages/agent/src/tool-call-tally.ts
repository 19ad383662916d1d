/**
 * The run-wide count of tool calls that `maxToolCallsPerRun` limits.
 */
import type { ToolCallTally } from '@runtime/contracts';

/**
 * Creates a {@link @runtime/contracts#ToolCallTally}.
 * @param initial - calls already made in the run (a resumed run counts its journaled `tool.called` events).
 */
export function createToolCallTally(initial = 0): ToolCallTally {
  let count = initial;
  return {
    get count() {
      return count;
    },
    add(calls) {
      count += calls;
    },
  };
}
