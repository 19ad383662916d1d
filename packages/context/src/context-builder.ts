/**
 * ContextBuilder: assembles the messages one task sends.
 *
 * @remarks
 * Order (deterministic): the task's system prompt, the run-memory entries it asked for (one
 * message, in `task.memory` order, or by key when the task names none), one message per routed dependency output in `task.deps` order, then the task's own
 * prompt or messages. Every message is counted exactly once with the injected estimator and the
 * total follows the estimator's additivity rule, so a dependency output is never counted twice.
 * It is not responsible for fitting a window ({@link createContextCompactor} does that) nor for
 * selecting or capping outputs ({@link createContextRouter}).
 */
import type {
  BuiltContext,
  ContextBuilder,
  ContextBuildInput,
  MemoryEntry,
  Message,
  RoutedOutput,
  TaskDependency,
  TokenEstimator,
  ToolDefinition,
} from '@runtime/contracts';
import { baseTokens, validateMessages } from './internal/conversation.js';
import { describeValue, validationFailed, type Issue } from './internal/errors.js';
import { validateTools } from './internal/validate-compaction-request.js';

/**
 * Options of {@link createContextBuilder}.
 * @public
 */
export interface ContextBuilderOptions {
  /** Counts tokens; the only source of token counts. */
  readonly estimator: TokenEstimator;
}

/**
 * Priority given to memory and dependency messages, above the default 0 of conversation turns,
 * so the `priority` compaction strategy drops older turns before routed inputs.
 * @public
 */
export const ROUTED_INPUT_PRIORITY = 1;

function dependencyId(dependency: TaskDependency): string {
  return typeof dependency === 'string' ? dependency : dependency.id;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/** The one message that carries a dependency's output; it names the dependency. */
function dependencyMessage(output: RoutedOutput): Message {
  const truncated = output.truncated ? ' truncated="true"' : '';
  return {
    role: 'user',
    content: `<dependency_output id="${escapeAttribute(output.dependencyId)}"${truncated}>\n${output.content}\n</dependency_output>`,
    priority: ROUTED_INPUT_PRIORITY,
  };
}

function memoryMessage(entries: readonly MemoryEntry[]): Message {
  const body = entries.map((entry) => `<entry key="${escapeAttribute(entry.key)}">\n${entry.value}\n</entry>`).join('\n');
  return { role: 'user', content: `<memory>\n${body}\n</memory>`, priority: ROUTED_INPUT_PRIORITY };
}

function orderedDependencies(input: ContextBuildInput, issues: Issue[]): RoutedOutput[] {
  const position = new Map<string, number>();
  (input.task.deps ?? []).forEach((dependency, index) => position.set(dependencyId(dependency), index));
  const seen = new Set<string>();
  input.dependencies.forEach((output, index) => {
    if (!position.has(output.dependencyId)) {
      issues.push({ path: `dependencies[${index}].dependencyId`, message: `${describeValue(output.dependencyId)} is not a dependency of task ${input.task.id}` });
    } else if (seen.has(output.dependencyId)) {
      issues.push({ path: `dependencies[${index}].dependencyId`, message: `output of ${describeValue(output.dependencyId)} given twice (it would be counted twice)` });
    }
    seen.add(output.dependencyId);
  });
  return [...input.dependencies].sort((left, right) => (position.get(left.dependencyId) ?? 0) - (position.get(right.dependencyId) ?? 0));
}

function orderedMemory(input: ContextBuildInput, issues: Issue[]): MemoryEntry[] {
  const entries = input.memory ?? [];
  const wanted = input.task.memory;
  const position = new Map((wanted ?? []).map((key, index) => [key, index]));
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    if (wanted !== undefined && !position.has(entry.key)) {
      issues.push({ path: `memory[${index}].key`, message: `${describeValue(entry.key)} is not a memory key task ${input.task.id} asked for` });
    } else if (seen.has(entry.key)) {
      issues.push({ path: `memory[${index}].key`, message: `memory entry ${describeValue(entry.key)} given twice` });
    }
    seen.add(entry.key);
  });
  const byKey = (left: MemoryEntry, right: MemoryEntry): number => (left.key < right.key ? -1 : left.key > right.key ? 1 : 0);
  if (wanted === undefined) return [...entries].sort(byKey);
  return [...entries].sort((left, right) => (position.get(left.key) ?? 0) - (position.get(right.key) ?? 0));
}

/**
 * Creates a {@link @runtime/contracts#ContextBuilder}.
 *
 * @remarks
 * The task's own `prompt` becomes a pinned `user` message (compaction never drops the task
 * itself); memory and dependency messages carry priority {@link ROUTED_INPUT_PRIORITY}.
 *
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` (from `build`) for malformed task messages
 * (unknown role, a tool result without a matching call), an output of a task that is not a
 * dependency, the same dependency twice, a memory entry the task did not ask for (when it names
 * `task.memory`) or the same memory key twice.
 * @example
 * ```ts
 * const builder = createContextBuilder({ estimator });
 * const { messages, tokens } = builder.build({ task, model: 'gpt-4o', dependencies: routedOutputs });
 * ```
 * @public
 */
export function createContextBuilder(options: ContextBuilderOptions): ContextBuilder {
  const { estimator } = options;
  return {
    build(input: ContextBuildInput): BuiltContext {
      const { task, model } = input;
      const issues: Issue[] = [];
      const dependencies = orderedDependencies(input, issues);
      const memory = orderedMemory(input, issues);
      if (task.messages !== undefined) issues.push(...validateMessages(task.messages, 'task.messages'));
      else if (typeof task.prompt !== 'string') issues.push({ path: 'task.prompt', message: 'a task needs prompt or messages' });
      issues.push(...validateTools(input.tools, 'tools'));
      if (issues.length > 0) throw validationFailed(`context of task ${task.id}`, issues, { taskId: task.id });

      const messages: Message[] = [];
      if (task.system !== undefined && task.system !== '') messages.push({ role: 'system', content: task.system });
      if (memory.length > 0) messages.push(memoryMessage(memory));
      for (const output of dependencies) messages.push(dependencyMessage(output));
      if (task.messages !== undefined) messages.push(...task.messages);
      else messages.push({ role: 'user', content: task.prompt, pinned: true });

      const tools: readonly ToolDefinition[] = [...(input.tools ?? [])];
      let tokens = baseTokens(estimator, model, tools);
      for (const message of messages) tokens += estimator.countMessage(message, model);
      return { messages, tools, tokens };
    },
  };
}
