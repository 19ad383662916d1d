/**
 * What a user submits (specs and policies) and what they get back (runs and tasks).
 *
 * @remarks
 * Field names and states follow HTTP-API.md exactly; a few optional fields extend it (marked
 * "extension"). Wire shapes use USD numbers and ISO-8601 timestamps.
 */
import type { ErrorInfo } from './errors.js';
import type { RunId, TaskId } from './ids.js';
import type { WireMessage } from './message.js';
import type { TaskTier } from './model.js';
import type { ResultSource } from './llm.js';
import type { UsageAdjustment, UsageView } from './usage.js';

/**
 * String-to-string metadata attached by the caller and returned untouched.
 * @public
 */
export type Metadata = Readonly<Record<string, string>>;

/**
 * A dependency with routing options (extension of HTTP-API.md's plain id).
 * @public
 */
export interface TaskDependencyRef {
  /** The dependency's task id. */
  readonly id: string;
  /**
   * A field to take from the dependency's JSON output, as a path such as `$.summary` or
   * `$.items[0].name`; the whole output when absent.
   */
  readonly select?: string;
  /** Cap on the routed text in tokens; longer text is cut with an explicit marker. */
  readonly maxTokens?: number;
}

/**
 * A dependency: a task id, or a {@link TaskDependencyRef} with routing options.
 * @public
 */
export type TaskDependency = string | TaskDependencyRef;

/**
 * Fields every task spec has.
 * @public
 */
export interface TaskSpecBase {
  /** Unique in its run; 1..128 of `[A-Za-z0-9._-]`. */
  readonly id: string;
  /** Tasks whose output this task needs; it starts when the last one completes. */
  readonly deps?: readonly TaskDependency[];
  /** Catalog model id; when absent the model comes from `tier`, else the default model. */
  readonly model?: string;
  /** Complexity tier: 1 → fast, 2 → balanced, 3 → flagship model. */
  readonly tier?: TaskTier;
  /** Completion token cap. @defaultValue the model's `maxOutputTokens`, capped by the runtime's default */
  readonly maxOutputTokens?: number;
  /** System prompt. */
  readonly system?: string;
  /** Caller metadata. */
  readonly metadata?: Metadata;
  /** Extension: run-memory keys whose entries are added to this task's context. */
  readonly memory?: readonly string[];
  /** Extension: names of registered tools offered to the model. */
  readonly tools?: readonly string[];
  /**
   * Stream the answer: the provider is called in streaming mode and `task.delta` events carry the
   * text and tool-call fragments live. Deltas are not journaled; a replay shows the final output.
   * @defaultValue the run policy's `stream`, else `false`
   */
  readonly stream?: boolean;
  /** Run the task as an agent: a loop of model calls and tool calls until a final answer. */
  readonly agent?: AgentTaskSpec;
}

/**
 * How the model may use tools in an agent task.
 * @public
 */
export type ToolChoice = 'auto' | 'required' | 'none';

/**
 * An agent task (HTTP-API.md v1.1 `TaskSpec.agent`): the model is called with the named tools, the
 * tool calls it asks for are run and their results sent back, until it answers without tool calls.
 * The final answer is the task's output.
 * @public
 */
export interface AgentTaskSpec {
  /** Names of registered tools offered to the model; unknown names are refused at submission. */
  readonly tools: readonly string[];
  /** Most model calls of the loop, 1..256. @defaultValue 16 */
  readonly maxSteps?: number;
  /** @defaultValue `'auto'` */
  readonly toolChoice?: ToolChoice;
}

/**
 * Steps of an agent task when `AgentTaskSpec.maxSteps` is absent.
 * @public
 */
export const DEFAULT_AGENT_MAX_STEPS = 16;

/**
 * A task: exactly one of `prompt` (non-empty) or `messages` (non-empty).
 * @public
 */
export type TaskSpec = TaskSpecBase &
  (
    | { readonly prompt: string; readonly messages?: never }
    | { readonly messages: readonly WireMessage[]; readonly prompt?: never }
  );

/**
 * How to fit a context into a window.
 * @public
 */
export type CompactionStrategy = 'none' | 'truncate' | 'keepLastN' | 'summarize' | 'priority';

/**
 * Context limits for every task of a run.
 * @public
 */
export interface ContextPolicy {
  /** Prompt token cap. @defaultValue the model's `maxInputTokens` minus the task's output cap */
  readonly maxTokens?: number;
  /** Compaction strategy. @defaultValue `'truncate'` */
  readonly strategy?: CompactionStrategy;
  /** Messages kept by `keepLastN` (besides pinned and system ones). */
  readonly keepLastN?: number;
}

/**
 * What to do when a task fails.
 * @public
 */
export type FailurePolicy = 'failFast' | 'continue';

/**
 * Limits and behaviour of a run.
 * @public
 */
export interface RunPolicy {
  /** Most tasks running at once, 1..256. @defaultValue 4 */
  readonly maxParallelism?: number;
  /** Deadline of the whole run in ms. */
  readonly timeoutMs?: number;
  /** Deadline of each task (all attempts) in ms. */
  readonly taskTimeoutMs?: number;
  /** Hard budget of the run in USD, greater than 0. */
  readonly budgetUsd?: number;
  /** @defaultValue `'failFast'` */
  readonly failurePolicy?: FailurePolicy;
  /** Context limits. */
  readonly context?: ContextPolicy;
  /**
   * Output cap of a task that sets no `maxOutputTokens`, 1..the model's maximum. The cap is sent to
   * the provider, so the reservation of the call's worst case is a true upper bound.
   * @defaultValue 4096 (`DEFAULT_MAX_OUTPUT_TOKENS`)
   */
  readonly defaultMaxOutputTokens?: number;
  /** Extension: stream every task that does not set `stream` itself. @defaultValue `false` */
  readonly stream?: boolean;
}

/**
 * Output cap of a task when neither the task nor the run policy sets one.
 * @public
 */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4096;

/**
 * Budget settings the orchestrator applies to a run.
 * @public
 */
export interface BudgetPolicy {
  /** The run's limit in USD. */
  readonly limitUsd: number;
  /**
   * Outer ledger scopes the run also charges (e.g. `['tenant:acme', 'user:u1']`); their limits are
   * set by the host. A reserve must fit every scope atomically.
   */
  readonly parentScopes?: readonly string[];
  /** Lease of each reservation; a crashed holder's reservation expires after it. @defaultValue 600000 */
  readonly leaseMs?: number;
}

/**
 * A submitted run (HTTP-API.md `RunRequest`).
 * @public
 */
export interface RunSpec {
  /** At least one task. */
  readonly tasks: readonly TaskSpec[];
  /** Limits and behaviour. */
  readonly policy?: RunPolicy;
  /** Caller metadata. */
  readonly metadata?: Metadata;
  /** Same key from the same tenant → the existing run. */
  readonly idempotencyKey?: string;
}

/**
 * States of a run.
 * @public
 */
export type RunState = 'pending' | 'running' | 'completed' | 'failed' | 'aborted';

/**
 * States of a task.
 * @public
 */
export type TaskState = 'pending' | 'ready' | 'running' | 'waiting' | 'completed' | 'failed' | 'skipped';

/**
 * Why a task in state `waiting` waits (HTTP-API.md v1.1 `TaskView.waiting`).
 * @public
 */
export interface TaskWaiting {
  /**
   * `budget`: its worst case fits the limit but not beside other tasks' open reservations;
   * `rateLimit`: a rate rule holds it; `input`: it waits for a human answer.
   */
  readonly reason: 'budget' | 'rateLimit' | 'input';
  /** ISO-8601 time the wait is expected to end, when known. */
  readonly until?: string;
  /** The amounts (budget) or the rule, limit and wait (rate limit). */
  readonly details: Readonly<Record<string, unknown>>;
}

/**
 * Run states that never change again.
 * @public
 */
export const TERMINAL_RUN_STATES: ReadonlySet<RunState> = new Set<RunState>(['completed', 'failed', 'aborted']);

/**
 * Task states that never change again.
 * @public
 */
export const TERMINAL_TASK_STATES: ReadonlySet<TaskState> = new Set<TaskState>(['completed', 'failed', 'skipped']);

/**
 * A task as reported (HTTP-API.md `TaskView`).
 * @public
 */
export interface Task {
  /** Task id. */
  readonly id: TaskId;
  /** Current state. */
  readonly state: TaskState;
  /** Dependency ids. */
  readonly deps: readonly TaskId[];
  /** Catalog model id the task runs on. */
  readonly model: string;
  /** Attempts started so far. */
  readonly attempts: number;
  /** The model's final text, once completed. */
  readonly output?: string;
  /** Why it failed or was skipped. */
  readonly error?: ErrorInfo;
  /** Usage and cost of all its calls. */
  readonly usage: UsageView;
  /** ISO-8601 time of the first attempt. */
  readonly startedAt?: string;
  /** ISO-8601 time it reached a terminal state. */
  readonly endedAt?: string;
  /** Why it waits, while `state` is `waiting`. */
  readonly waiting?: TaskWaiting;
  /**
   * Where its result came from when not from a billed provider call: `dedup` or `cache` results cost
   * nothing and add no tokens. Absent for a provider answer.
   */
  readonly source?: ResultSource;
  /**
   * The changes made to provider-reported usage that broke the usage rules (subsets larger than their
   * totals, invalid counts) before it was priced and charged; absent when none.
   */
  readonly usageAdjusted?: readonly UsageAdjustment[];
}

/**
 * The HTTP-API.md name of {@link Task}.
 * @public
 */
export type TaskView = Task;

/**
 * A run's budget in USD.
 * @public
 */
export interface BudgetView {
  /** The limit. */
  readonly limitUsd: number;
  /** Settled spend. */
  readonly spentUsd: number;
  /** Open reservations. */
  readonly reservedUsd: number;
}

/**
 * A run as reported (HTTP-API.md `Run`).
 * @public
 */
export interface Run {
  /** Run id. */
  readonly id: RunId;
  /** Current state. */
  readonly state: RunState;
  /** ISO-8601 creation time. */
  readonly createdAt: string;
  /** ISO-8601 time of the last change. */
  readonly updatedAt: string;
  /** Every task, in submission order. */
  readonly tasks: readonly Task[];
  /** Sum of the tasks' usage. */
  readonly usage: UsageView;
  /** The budget, when the run has one. */
  readonly budget: BudgetView | null;
  /** Why the run failed or was aborted. */
  readonly error?: ErrorInfo;
  /** Caller metadata (extension). */
  readonly metadata?: Metadata;
}

/**
 * One resolved task in a {@link Dag}.
 * @public
 */
export interface DagNode {
  /** Task id. */
  readonly id: TaskId;
  /** Direct dependencies. */
  readonly deps: readonly TaskId[];
  /** Tasks that directly depend on this one. */
  readonly dependents: readonly TaskId[];
  /**
   * Length in tasks of the longest path from this task to a task nothing depends on, itself
   * included (a sink has 1). Schedulers run the longest first.
   */
  readonly criticalPath: number;
}

/**
 * A validated, acyclic task graph.
 * @public
 */
export interface Dag {
  /** Every node by id. */
  readonly nodes: ReadonlyMap<TaskId, DagNode>;
  /** A deterministic topological order (dependencies first; ties by critical path, then id). */
  readonly order: readonly TaskId[];
  /** Tasks with no dependencies. */
  readonly roots: readonly TaskId[];
}
