/**
 * fast-check arbitraries of conversations: random roles, sizes, pinned flags, priorities and
 * assistant tool calls followed by their results (in any order).
 */
import fc from 'fast-check';
import type { Message, ToolDefinition } from '@runtime/contracts';

const text = (maximum: number): fc.Arbitrary<string> => fc.string({ minLength: 0, maxLength: maximum, unit: 'grapheme-ascii' });

const pinned = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 8 },
  { arbitrary: fc.constant(false), weight: 1 },
  { arbitrary: fc.constant(true), weight: 1 },
);
const flags = fc.record({ pinned, priority: fc.option(fc.integer({ min: -2, max: 3 }), { nil: undefined }) });

function withFlags(message: Message, extra: { pinned: boolean | undefined; priority: number | undefined }): Message {
  return {
    ...message,
    ...(extra.pinned === undefined ? {} : { pinned: extra.pinned }),
    ...(extra.priority === undefined ? {} : { priority: extra.priority }),
  };
}

const plainTurn: fc.Arbitrary<Message[]> = fc
  .tuple(fc.constantFrom<'system' | 'user' | 'assistant'>('system', 'user', 'user', 'user', 'assistant', 'assistant', 'assistant', 'assistant'), text(300), flags)
  .map(([role, content, extra]) => [withFlags({ role, content }, extra)]);

let callCounter = 0;

const toolTurn: fc.Arbitrary<Message[]> = fc
  .tuple(text(120), fc.array(fc.tuple(text(60), text(200), flags), { minLength: 1, maxLength: 3 }), flags, fc.boolean())
  .map(([content, calls, extra, reverse]) => {
    callCounter += 1;
    const toolCalls = calls.map(([argumentsText], index) => ({ id: `call_${callCounter}_${index}`, name: 'lookup', arguments: argumentsText }));
    const assistant = withFlags({ role: 'assistant', content, toolCalls }, extra);
    const results = calls.map(([, result, resultFlags], index) => withFlags({ role: 'tool', content: result, toolCallId: `call_${callCounter}_${index}` }, resultFlags));
    return [assistant, ...(reverse ? results.reverse() : results)];
  });

/** A random valid conversation of up to `maxTurns` turns. */
export function conversationArbitrary(maxTurns = 30): fc.Arbitrary<Message[]> {
  return fc.array(fc.oneof({ arbitrary: plainTurn, weight: 3 }, { arbitrary: toolTurn, weight: 1 }), { maxLength: maxTurns }).map((turns) => turns.flat());
}

/** No tools, or one or two small tool definitions. */
export const toolsArbitrary: fc.Arbitrary<ToolDefinition[] | undefined> = fc.constantFrom<ToolDefinition[] | undefined>(undefined, [], [
  { name: 'lookup', description: 'Looks a key up.', parameters: { type: 'object', properties: { key: { type: 'string' } } } },
]);

/** Freezes a conversation deeply so any mutation throws. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
