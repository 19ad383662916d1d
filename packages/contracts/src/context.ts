/**
 * Interfaces of the context domain: building, compacting and routing a task's context, and run
 * memory.
 *
 * @remarks
 * Implemented by `@runtime/context`. Compaction guarantees (every strategy): pinned and system
 * messages are never dropped; a tool call and its result stay or go together; the result fits
 * `maxTokens` or the call fails with `CONTEXT_TOO_LARGE`; the input is never mutated.
 */
import type { RunId, TaskId } from './ids.js';
import type { LlmCallOptions } from './llm.js';
import type { Message, ToolDefinition } from './message.js';
import type { CompactionStrategy, TaskSpec } from './run.js';
import type { Usage } from './usage.js';

/**
 * A dependency's output as delivered to one dependent.
 * @public
 */
export interface RoutedOutput {
  /** The dependency's task id. */
  readonly dependencyId: TaskId;
  /** The delivered text (selected and capped). */
  readonly content: string;
  /** Whether the text was cut to the token cap (the cut is marked in `content`). */
  readonly truncated: boolean;
  /** Tokens of `content` (measured for the dependent's model). */
  readonly tokens: number;
}

/**
 * One run-memory entry.
 * @public
 */
export interface MemoryEntry {
  /** Key. */
  readonly key: string;
  /** Value. */
  readonly value: string;
  /** Epoch ms of the last write. */
  readonly updatedAt: number;
  /** Epoch ms after which it is gone; absent means no expiry. */
  readonly expiresAt?: number;
}

/**
 * Inputs of {@link ContextBuilder.build}.
 * @public
 */
export interface ContextBuildInput {
  /** The task. */
  readonly task: TaskSpec;
  /** Model the task runs on (for token counts). */
  readonly model: string;
  /**
   * Routed outputs of the task's completed dependencies (others are ignored), in `task.deps`
   * order.
   */
  readonly dependencies: readonly RoutedOutput[];
  /** Memory entries the task asked for. */
  readonly memory?: readonly MemoryEntry[];
  /** Tool definitions offered. */
  readonly tools?: readonly ToolDefinition[];
}

/**
 * A task's assembled context.
 * @public
 */
export interface BuiltContext {
  /** Messages in deterministic order: system, memory, dependencies, then the task's own. */
  readonly messages: readonly Message[];
  /** Tools offered. */
  readonly tools: readonly ToolDefinition[];
  /** Prompt tokens of `messages` + `tools`, each dependency counted once. */
  readonly tokens: number;
}

/**
 * Assembles a task's messages.
 * @public
 */
export interface ContextBuilder {
  /**
   * Builds the context.
   * @throws {@link ValidationError} `VALIDATION_FAILED` for malformed messages.
   */
  build(input: ContextBuildInput): BuiltContext;
}

/**
 * Inputs of {@link ContextCompactor.compact}.
 * @public
 */
export interface CompactionRequest {
  /** The conversation (never mutated). */
  readonly messages: readonly Message[];
  /** Tools that are sent too (their tokens count against `maxTokens` and are never dropped). */
  readonly tools?: readonly ToolDefinition[];
  /** Model for token counts (and for the summary call). */
  readonly model: string;
  /** The prompt must fit this many tokens (≥ 1). */
  readonly maxTokens: number;
  /** The strategy. */
  readonly strategy: CompactionStrategy;
  /** For `keepLastN`: how many non-pinned, non-system messages to keep at most. */
  readonly keepLastN?: number;
}

/**
 * What a compaction did.
 * @public
 */
export interface CompactionReport {
  /** Strategy used. */
  readonly strategy: CompactionStrategy;
  /** Prompt tokens before. */
  readonly tokensBefore: number;
  /** Prompt tokens after. */
  readonly tokensAfter: number;
  /** Indices (in the input) of dropped messages, ascending. */
  readonly dropped: readonly number[];
  /** Indices (in the input) of messages replaced by the summary, ascending. */
  readonly summarized: readonly number[];
  /** Usage of the summary call, to be billed. */
  readonly summaryUsage?: Usage;
}

/**
 * A compacted conversation.
 * @public
 */
export interface CompactionResult {
  /** The messages to send. */
  readonly messages: readonly Message[];
  /** What was done. */
  readonly report: CompactionReport;
}

/**
 * Fits a conversation into a token budget.
 * @public
 */
export interface ContextCompactor {
  /**
   * Compacts.
   * @throws {@link ContextError} `CONTEXT_TOO_LARGE` with `details.minimumTokens` when nothing
   * fits; {@link ValidationError} `VALIDATION_FAILED` for bad requests.
   */
  compact(request: CompactionRequest, options?: LlmCallOptions): Promise<CompactionResult>;
}

/**
 * Inputs of {@link ContextRouter.route}.
 * @public
 */
export interface RouteInput {
  /** The completed dependency. */
  readonly dependencyId: TaskId;
  /** Its output. */
  readonly output: string;
  /** Path into a JSON output (e.g. `$.summary`); whole output when absent. */
  readonly select?: string;
  /** Token cap; longer text is cut with an explicit marker. */
  readonly maxTokens?: number;
  /** The dependent's model (for counting). */
  readonly model: string;
}

/**
 * Delivers completed outputs to dependents.
 * @public
 */
export interface ContextRouter {
  /**
   * Selects and caps one dependency's output for one dependent.
   * @throws {@link ValidationError} when `select` does not apply to the output.
   */
  route(input: RouteInput): RoutedOutput;
}

/**
 * Options of {@link MemoryStore.set}.
 * @public
 */
export interface MemorySetOptions {
  /** Time to live in ms. */
  readonly ttlMs?: number;
}

/**
 * Run-scoped key/value memory.
 * @public
 */
export interface MemoryStore {
  /** An entry, or `undefined` when absent or expired. */
  get(runId: RunId, key: string): Promise<MemoryEntry | undefined>;
  /**
   * Writes an entry.
   * @throws {@link ValidationError} when the key or value exceeds the store's size limits.
   */
  set(runId: RunId, key: string, value: string, options?: MemorySetOptions): Promise<MemoryEntry>;
  /** Removes an entry; true when it existed. */
  delete(runId: RunId, key: string): Promise<boolean>;
  /** Every live entry of a run, by key. */
  list(runId: RunId): Promise<readonly MemoryEntry[]>;
  /** Removes a run's memory. */
  clear(runId: RunId): Promise<void>;
}
