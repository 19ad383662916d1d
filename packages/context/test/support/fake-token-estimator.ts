/**
 * A small deterministic TokenEstimator for tests, benchmarks and the example generator.
 *
 * @remarks
 * Counts ⌈characters / 4⌉ per text (never 0 for non-empty text), 3 per message plus 1 for a name,
 * and honours the contracts' additivity rule:
 * `countMessages = Σ countMessage + REPLY_PRIMING_TOKENS + countTools`. It also counts how often
 * each method is called, so tests can check that nothing is counted twice.
 */
import { REPLY_PRIMING_TOKENS, type Message, type TokenEstimator, type ToolDefinition } from '@runtime/contracts';

/** Calls made to a {@link FakeTokenEstimator}. */
export interface EstimatorCalls {
  countText: number;
  countMessage: number;
  countTools: number;
  countMessages: number;
}

/** A counting TokenEstimator. */
export interface FakeTokenEstimator extends TokenEstimator {
  readonly calls: EstimatorCalls;
  reset(): void;
}

/** Tokens of a text: ⌈length / divisor⌉. */
export type TextCounter = (text: string) => number;

const quarter: TextCounter = (text) => Math.ceil(text.length / 4);

/** Creates the fake; `countText` can be replaced (e.g. by a slower, more realistic counter). */
export function createFakeTokenEstimator(countText: TextCounter = quarter): FakeTokenEstimator {
  const calls: EstimatorCalls = { countText: 0, countMessage: 0, countTools: 0, countMessages: 0 };
  const message = (value: Message): number => {
    let tokens = 3 + countText(value.content) + (value.name === undefined ? 0 : 1 + countText(value.name));
    if (value.toolCallId !== undefined) tokens += countText(value.toolCallId);
    for (const call of value.toolCalls ?? []) tokens += 3 + countText(call.id) + countText(call.name) + countText(call.arguments);
    return tokens;
  };
  const tools = (definitions: readonly ToolDefinition[]): number => {
    let tokens = 0;
    for (const tool of definitions) tokens += 8 + countText(tool.name) + countText(tool.description) + countText(JSON.stringify(tool.parameters));
    return tokens;
  };
  return {
    calls,
    reset() {
      calls.countText = 0;
      calls.countMessage = 0;
      calls.countTools = 0;
      calls.countMessages = 0;
    },
    countText(text) {
      calls.countText += 1;
      return countText(text);
    },
    countMessage(value) {
      calls.countMessage += 1;
      return message(value);
    },
    countTools(definitions) {
      calls.countTools += 1;
      return tools(definitions);
    },
    countMessages(messages, _model, definitions) {
      calls.countMessages += 1;
      let tokens = REPLY_PRIMING_TOKENS + (definitions === undefined || definitions.length === 0 ? 0 : tools(definitions));
      for (const value of messages) tokens += message(value);
      return tokens;
    },
    isExact() {
      return false;
    },
  };
}
