/**
 * The typed event stream of a run.
 *
 * @remarks
 * Every event carries `runId`, a per-run `seq` (1, 2, 3 … with no gaps, the SSE `id:`) and `at`
 * (ISO-8601). The union covers every type in HTTP-API.md plus a few extensions marked below.
 * A stream ends after `run.completed`, `run.failed` or `run.aborted`.
 */
import type { ErrorInfo } from './errors.js';
import type { RunId, TaskId } from './ids.js';
import type { ResultSource, ToolCallDelta } from './llm.js';
import type { CompactionStrategy, TaskWaiting } from './run.js';
import type { UsageAdjustment, UsageView } from './usage.js';

/**
 * Fields of every event.
 * @public
 */
export interface RuntimeEventBase {
  /** The run. */
  readonly runId: RunId;
  /** Per-run sequence number, from 1, no gaps. */
  readonly seq: number;
  /** ISO-8601 time the event was recorded. */
  readonly at: string;
}

/**
 * The run began executing.
 * @public
 */
export interface RunStartedEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'run.started';
  /** Number of tasks at start. */
  readonly tasks: number;
}

/**
 * Extension: a task was added to a running run.
 * @public
 */
export interface TaskAddedEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'task.added';
  /** The task. */
  readonly taskId: TaskId;
}

/**
 * Every dependency of the task completed; it waits for a slot.
 * @public
 */
export interface TaskReadyEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'task.ready';
  /** The task. */
  readonly taskId: TaskId;
}

/**
 * An attempt of the task started (its budget is reserved).
 * @public
 */
export interface TaskStartedEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'task.started';
  /** The task. */
  readonly taskId: TaskId;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Catalog model id. */
  readonly model: string;
}

/**
 * An attempt failed with a transient error; another follows after `delayMs`.
 * @public
 */
export interface TaskRetryingEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'task.retrying';
  /** The task. */
  readonly taskId: TaskId;
  /** The attempt that failed. */
  readonly attempt: number;
  /** Wait before the next attempt. */
  readonly delayMs: number;
  /** Why the attempt failed. */
  readonly error: ErrorInfo;
}

/**
 * The task completed; its cost is settled.
 * @public
 */
export interface TaskCompletedEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'task.completed';
  /** The task. */
  readonly taskId: TaskId;
  /** The attempt that completed. */
  readonly attempt: number;
  /** Usage of the task's calls. */
  readonly usage: UsageView;
  /** Cost of the task in USD. */
  readonly costUsd: number;
  /** `dedup` or `cache` when the result was not a billed provider call (it cost nothing). */
  readonly source?: ResultSource;
  /** Changes made to impossible provider-reported usage before it was charged (`details.usageAdjusted`). */
  readonly usageAdjusted?: readonly UsageAdjustment[];
}

/**
 * A task holds its slot without running: its budget does not fit beside other tasks' open
 * reservations (`budget`), a rate rule holds it (`rateLimit`), or it waits for an answer (`input`).
 * @public
 */
export interface TaskWaitingEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'task.waiting';
  /** The task. */
  readonly taskId: TaskId;
  /** Why. */
  readonly reason: TaskWaiting['reason'];
  /** The amounts (budget) or the rule (rate limit). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * Run-memory keys a task asked for (`TaskSpec.memory`) that the memory store did not have when its
 * context was built: the task ran without them. Run memory is host state, not journaled: after a
 * resume in another process the host must write it again.
 * @public
 */
export interface TaskMemoryMissingEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'task.memory_missing';
  /** The task. */
  readonly taskId: TaskId;
  /** The requested keys that were absent, in request order. */
  readonly keys: readonly string[];
}

/**
 * A rate-limit rule holds a task for `retryAfterMs` before it is asked again.
 * @public
 */
export interface TaskThrottledEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'task.throttled';
  /** The task. */
  readonly taskId: TaskId;
  /** The rule that refused (`rpm`, `rph`, `tpm` …). */
  readonly rule: string;
  /** The wait before the next check. */
  readonly retryAfterMs: number;
}

/**
 * The task failed for good.
 * @public
 */
export interface TaskFailedEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'task.failed';
  /** The task. */
  readonly taskId: TaskId;
  /** The attempt that failed. */
  readonly attempt: number;
  /** Why. */
  readonly error: ErrorInfo;
  /** Usage spent before failing. */
  readonly usage: UsageView;
}

/**
 * Why a task was skipped.
 * @public
 */
export type SkipReason = 'dependencyFailed' | 'runFailed' | 'runAborted';

/**
 * The task will not run (a dependency failed, or the run stopped).
 * @public
 */
export interface TaskSkippedEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'task.skipped';
  /** The task. */
  readonly taskId: TaskId;
  /** Why. */
  readonly reason: SkipReason;
  /** The failed dependency, for `dependencyFailed`. */
  readonly dependency?: TaskId;
}

/**
 * A worst-case amount was reserved before a call.
 * @public
 */
export interface BudgetReservedEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'budget.reserved';
  /** The task. */
  readonly taskId: TaskId;
  /** The ledger reservation. */
  readonly reservationId: string;
  /** Worst-case amount held. */
  readonly amountUsd: number;
}

/**
 * A reservation was settled to the actual cost.
 * @public
 */
export interface BudgetSettledEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'budget.settled';
  /** The task. */
  readonly taskId: TaskId;
  /** The ledger reservation. */
  readonly reservationId: string;
  /** Actual cost charged. */
  readonly costUsd: number;
  /** The amount that had been reserved. */
  readonly reservedUsd: number;
}

/**
 * Extension: a reservation returned unspent (failure, abort, lease expiry).
 * @public
 */
export interface BudgetReleasedEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'budget.released';
  /** The task. */
  readonly taskId: TaskId;
  /** The ledger reservation. */
  readonly reservationId: string;
  /** Amount returned. */
  readonly amountUsd: number;
}

/**
 * A call cost more than the worst case reserved for it. The actual cost is charged in full (money
 * spent is never dropped); when that pushes spent + reserved over the limit no new work is admitted.
 * @public
 */
export interface BudgetOverrunEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'budget.overrun';
  /** The task. */
  readonly taskId: TaskId;
  /** The ledger reservation. */
  readonly reservationId: string;
  /** The amount that had been reserved. */
  readonly reservedUsd: number;
  /** The actual cost charged. */
  readonly actualUsd: number;
}

/**
 * A reservation was refused: the worst case no longer fits a scope.
 * @public
 */
export interface BudgetExceededEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'budget.exceeded';
  /** The task. */
  readonly taskId: TaskId;
  /** The scope that refused. */
  readonly scope: string;
  /** Limit of the scope. */
  readonly limitUsd: number;
  /** Settled spend in the scope. */
  readonly spentUsd: number;
  /** Open reservations in the scope. */
  readonly reservedUsd: number;
  /** The refused amount. */
  readonly requestedUsd: number;
}

/**
 * Extension: a task's context was compacted to fit.
 * @public
 */
export interface ContextCompactedEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'context.compacted';
  /** The task. */
  readonly taskId: TaskId;
  /** Strategy used. */
  readonly strategy: CompactionStrategy;
  /** Prompt tokens before. */
  readonly tokensBefore: number;
  /** Prompt tokens after. */
  readonly tokensAfter: number;
  /** Number of messages dropped. */
  readonly droppedMessages: number;
  /** Number of messages replaced by a summary. */
  readonly summarizedMessages: number;
}

/**
 * States of a circuit breaker.
 * @public
 */
export type CircuitState = 'closed' | 'open' | 'halfOpen';

/**
 * Extension: a provider circuit breaker changed state.
 * @public
 */
export interface ProviderCircuitEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'provider.circuit';
  /** Provider name. */
  readonly provider: string;
  /** Provider model. */
  readonly model: string;
  /** Previous state. */
  readonly from: CircuitState;
  /** New state. */
  readonly to: CircuitState;
}

/**
 * Extension: a task's call was served by an identical call already in flight (charged once).
 * @public
 */
export interface ProviderDeduplicatedEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'provider.deduplicated';
  /** The task. */
  readonly taskId: TaskId;
  /** Catalog model id. */
  readonly model: string;
}

/**
 * A live fragment of a streaming task's answer (`TaskSpec.stream`). Deltas are not journaled: they
 * reach live subscribers (`subscribe`, `events()`, SSE) in order, and a replay after the fact shows
 * only the journaled events (the final output is in the task's view).
 *
 * @remarks
 * A delta does not take a sequence number of its own: `seq` is the seq of the run's latest journaled
 * event when the delta was emitted (so `seq` stays gap-free and `Last-Event-ID` resumes past it), and
 * `index` numbers the deltas of one attempt from 0, in order.
 * @public
 */
export interface TaskDeltaEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'task.delta';
  /** The task. */
  readonly taskId: TaskId;
  /** The attempt streaming. */
  readonly attempt: number;
  /** Position of this delta among the attempt's deltas, from 0. */
  readonly index: number;
  /** A piece of the answer's text. */
  readonly text?: string;
  /** A fragment of a tool call. */
  readonly toolCall?: ToolCallDelta;
}

/**
 * What an agent step's model call answered: tool calls to run, or the final answer.
 * @public
 */
export type AgentStepKind = 'tool_calls' | 'final_answer';

/**
 * One model call of an agent task ended (its cost is settled).
 * @public
 */
export interface AgentStepEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'agent.step';
  /** The task. */
  readonly taskId: TaskId;
  /** The attempt. */
  readonly attempt: number;
  /** Step number, from 1. */
  readonly step: number;
  /** What the model answered. */
  readonly kind: AgentStepKind;
  /** Text the model said beside its tool calls (`tool_calls` steps, when not empty), so a resumed loop rebuilds the conversation exactly; a `final_answer`'s text is the task's output, journaled with it. */
  readonly output?: string;
  /** Tool calls the model asked for (0 for a final answer). */
  readonly toolCalls: number;
  /** Usage of this step's model call. */
  readonly usage: UsageView;
  /** Cost of this step's model call in USD. */
  readonly costUsd: number;
  /** Nesting depth of the loop; absent for the task's own loop (depth 0). A nested loop is started by a tool of the loop above. */
  readonly depth?: number;
  /** For a nested loop: the id of the calling loop's tool call that started it. */
  readonly parentCallId?: string;
}

/**
 * An agent task called a tool.
 * @public
 */
export interface ToolCalledEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'tool.called';
  /** The task. */
  readonly taskId: TaskId;
  /** The step that asked for the call. */
  readonly step: number;
  /** The model's id of the call. */
  readonly callId: string;
  /** Tool name. */
  readonly tool: string;
  /** The JSON arguments as the model sent them. */
  readonly arguments: string;
  /** Nesting depth of the loop; absent for the task's own loop (depth 0). A nested loop is started by a tool of the loop above. */
  readonly depth?: number;
  /** For a nested loop: the id of the calling loop's tool call that started it. */
  readonly parentCallId?: string;
}

/**
 * A tool call returned. Its result is journaled here, so a resumed run does not call it again.
 * @public
 */
export interface ToolCompletedEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'tool.completed';
  /** The task. */
  readonly taskId: TaskId;
  /** The step that asked for the call. */
  readonly step: number;
  /** The model's id of the call. */
  readonly callId: string;
  /** Tool name. */
  readonly tool: string;
  /** The text sent back to the model. */
  readonly result: string;
  /** Time the tool took. */
  readonly durationMs: number;
  /** The tool's declared price in USD (0 when it declares none). */
  readonly costUsd: number;
  /** Nesting depth of the loop; absent for the task's own loop (depth 0). A nested loop is started by a tool of the loop above. */
  readonly depth?: number;
  /** For a nested loop: the id of the calling loop's tool call that started it. */
  readonly parentCallId?: string;
}

/**
 * A tool call failed; the error goes back to the model as the call's result.
 * @public
 */
export interface ToolFailedEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'tool.failed';
  /** The task. */
  readonly taskId: TaskId;
  /** The step that asked for the call. */
  readonly step: number;
  /** The model's id of the call. */
  readonly callId: string;
  /** Tool name. */
  readonly tool: string;
  /** Why (`TOOL_*` codes). */
  readonly error: ErrorInfo;
  /** Time until it failed. */
  readonly durationMs: number;
  /** Nesting depth of the loop; absent for the task's own loop (depth 0). A nested loop is started by a tool of the loop above. */
  readonly depth?: number;
  /** For a nested loop: the id of the calling loop's tool call that started it. */
  readonly parentCallId?: string;
}

/**
 * An agent task waits for a human: a tool that requires approval was called, or an answer is asked
 * for. Answered through `POST /v1/runs/{id}/tasks/{taskId}/input`.
 * @public
 */
export interface TaskInputRequiredEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'task.input_required';
  /** The task. */
  readonly taskId: TaskId;
  /** `approval`: approve or reject a tool call; `answer`: free text. */
  readonly kind: 'approval' | 'answer';
  /** The tool call awaiting approval. */
  readonly callId?: string;
  /** Its tool. */
  readonly tool?: string;
  /** Its JSON arguments. */
  readonly arguments?: string;
  /** What is asked. */
  readonly prompt?: string;
}

/**
 * Every task completed.
 * @public
 */
export interface RunCompletedEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'run.completed';
  /** Totals of the run. */
  readonly usage: UsageView;
}

/**
 * The run failed (failFast on a task failure, budget, timeout, deadlock).
 * @public
 */
export interface RunFailedEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'run.failed';
  /** Why. */
  readonly error: ErrorInfo;
  /** Totals of the run. */
  readonly usage: UsageView;
}

/**
 * The run was aborted by a caller.
 * @public
 */
export interface RunAbortedEvent extends RuntimeEventBase {
  /** Discriminant. */
  readonly type: 'run.aborted';
  /** Reason given by the caller. */
  readonly reason?: string;
  /** Totals of the run. */
  readonly usage: UsageView;
}

/**
 * Every event of a run, discriminated by `type`.
 * @public
 */
export type RuntimeEvent =
  | RunStartedEvent
  | TaskAddedEvent
  | TaskReadyEvent
  | TaskStartedEvent
  | TaskRetryingEvent
  | TaskCompletedEvent
  | TaskFailedEvent
  | TaskSkippedEvent
  | BudgetReservedEvent
  | BudgetSettledEvent
  | BudgetReleasedEvent
  | BudgetExceededEvent
  | BudgetOverrunEvent
  | TaskWaitingEvent
  | TaskThrottledEvent
  | TaskMemoryMissingEvent
  | TaskDeltaEvent
  | AgentStepEvent
  | ToolCalledEvent
  | ToolCompletedEvent
  | ToolFailedEvent
  | TaskInputRequiredEvent
  | ContextCompactedEvent
  | ProviderCircuitEvent
  | ProviderDeduplicatedEvent
  | RunCompletedEvent
  | RunFailedEvent
  | RunAbortedEvent;

/**
 * The `type` of a {@link RuntimeEvent}.
 * @public
 */
export type RuntimeEventType = RuntimeEvent['type'];

/**
 * The event with a given `type`.
 * @public
 */
export type RuntimeEventOf<Type extends RuntimeEventType> = Extract<RuntimeEvent, { type: Type }>;

/**
 * An event before the store numbers it: no `runId`, `seq` or `at`.
 * @public
 */
export type RuntimeEventInput = RuntimeEvent extends infer Event
  ? Event extends RuntimeEvent
    ? Omit<Event, 'runId' | 'seq' | 'at'>
    : never
  : never;

/**
 * Every event type, in declaration order.
 * @public
 */
export const RUNTIME_EVENT_TYPES: readonly RuntimeEventType[] = [
  'run.started',
  'task.added',
  'task.ready',
  'task.started',
  'task.retrying',
  'task.completed',
  'task.failed',
  'task.skipped',
  'budget.reserved',
  'budget.settled',
  'budget.released',
  'budget.exceeded',
  'context.compacted',
  'provider.circuit',
  'provider.deduplicated',
  'budget.overrun',
  'task.waiting',
  'task.throttled',
  'task.memory_missing',
  'task.delta',
  'agent.step',
  'tool.called',
  'tool.completed',
  'tool.failed',
  'task.input_required',
  'run.completed',
  'run.failed',
  'run.aborted',
];

/**
 * Event types that end a run's stream.
 * @public
 */
export const TERMINAL_EVENT_TYPES: ReadonlySet<RuntimeEventType> = new Set<RuntimeEventType>([
  'run.completed',
  'run.failed',
  'run.aborted',
]);
