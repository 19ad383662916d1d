/**
 * The agent runner and the host it runs in.
 *
 * @remarks
 * An agent task loops: model call → tool calls → results → model call, until the model answers
 * without tool calls. The runner (`@runtime/agent`) owns the loop, its limits and the tool calls;
 * everything that touches money, the journal or a human belongs to the {@link AgentHost} the
 * caller provides (the orchestrator's run loop, a test, an app): the host reserves and bills each
 * model call, journals each event, holds durable waits for a human and hands back the journaled
 * events of earlier attempts so a resumed loop continues where it stopped.
 */
import type { RunId, TaskId, ModelId } from './ids.js';
import type { LlmRequest, LlmResult } from './llm.js';
import type { Message, ToolDefinition } from './message.js';
import type { RuntimeEventInput } from './events.js';
import type { ToolChoice } from './run.js';
import type { Usage } from './usage.js';

/**
 * The events an agent loop journals.
 * @public
 */
export type AgentEventInput = Extract<
  RuntimeEventInput,
  { readonly type: 'agent.step' | 'tool.called' | 'tool.completed' | 'tool.failed' }
>;

/**
 * One model call of the loop, as handed to {@link AgentHost.callModel}.
 * @public
 */
export interface AgentModelCall {
  /** Step number, from 1. */
  readonly step: number;
  /** Agent depth of the loop making the call (0 for a task's own loop). */
  readonly depth: number;
  /** Aborts when the task is aborted. */
  readonly signal?: AbortSignal;
}

/**
 * What the host's model call answered, with what it was billed.
 * @public
 */
export interface AgentModelAnswer {
  /** The model's answer. */
  readonly result: LlmResult;
  /** Usage billed (normalised, estimated when the provider reported none). */
  readonly usage: Usage;
  /** Cost billed in USD. */
  readonly costUsd: number;
}

/**
 * What a human is asked.
 * @public
 */
export interface AgentInputRequest {
  /** `approval`: approve or reject a tool call; `answer`: free text. */
  readonly kind: 'approval' | 'answer';
  /** The step asking. */
  readonly step: number;
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
 * A human's reply (HTTP `POST /v1/runs/{id}/tasks/{taskId}/input`): approve the call (an approval
 * `message` is journaled with the reply and sent to the model after the tool's result), reject it
 * (the model gets `TOOL_REJECTED` with the reason), or answer with text (the model gets the text as
 * the result).
 * @public
 */
export type AgentInputResponse =
  | { readonly decision: 'approve'; readonly message?: string }
  | { readonly decision: 'reject'; readonly reason?: string }
  | { readonly decision: 'answer'; readonly text: string };

/**
 * One tool call about to run, for {@link AgentHost.admitTool}: asked after its arguments were
 * checked and any approval was given, right before the tool runs.
 * @public
 */
export interface AgentToolRequest {
  /** The step that asked for the call. */
  readonly step: number;
  /** Agent depth of the loop making the call (0 for a task's own loop). */
  readonly depth: number;
  /** The model's id of the call. */
  readonly callId: string;
  /** Tool name. */
  readonly tool: string;
  /**
   * Tool calls the run made before this one (the tier's `maxToolCallsPerRun` counts them). For a call
   * re-run by a resumed loop: its position among the task's journaled calls (the loop sees only its
   * task's history), which never counts more than the run made.
   */
  readonly toolCallsBefore: number;
  /** The tool's declared price in USD (0 when it declares none). */
  readonly costUsd: number;
  /** Aborts when the task is aborted. */
  readonly signal?: AbortSignal;
}

/**
 * An admitted tool call: its price is held until {@link AgentToolPermit.end}.
 * @public
 */
export interface AgentToolPermit {
  /**
   * Ends the admission once the call ended: `charged` true bills the declared price held at
   * admission (the tool ran), false gives the hold back (it did not run, or failed). Resolves once
   * the charge or release is durable. Called once.
   */
  end(charged: boolean): Promise<void>;
}

/**
 * What a compaction between steps gets.
 * @public
 */
export interface AgentCompactionInput {
  /** The conversation so far (never mutated). */
  readonly messages: readonly Message[];
  /** The tools offered (their tokens count too). */
  readonly tools: readonly ToolDefinition[];
  /** The step about to call the model. */
  readonly step: number;
}

/**
 * Everything an agent loop needs from where it runs.
 * @public
 */
export interface AgentHost {
  /**
   * Makes one model call: reserves its worst case before calling, bills the answer once.
   * @throws {@link BudgetError} `BUDGET_EXCEEDED` before calling when the worst case does not fit;
   * any {@link LlmClient.complete} error.
   */
  callModel(request: LlmRequest, call: AgentModelCall): Promise<AgentModelAnswer>;
  /** Journals one event; resolves once it is durable. */
  emit(event: AgentEventInput): Promise<void>;
  /**
   * Asks a human and waits (state `waiting`, event `task.input_required`); the wait survives a
   * restart: a resumed loop asking the same question gets the recorded reply.
   * @remarks Absent: a tool that requires approval fails with `TOOL_REJECTED`. Called again before an
   * earlier question is answered when a step's calls need approval (they run in parallel): the host
   * must answer each (the orchestrator asks them one at a time).
   */
  awaitInput?(request: AgentInputRequest): Promise<AgentInputResponse>;
  /**
   * Admits one tool call right before it runs: the tenant tier's rules (tool allowlist, tool calls
   * per run, depth) and, for a priced tool, its price reserved in the budget so a tool never
   * overspends. The runner ends the permit when the call ended.
   * @remarks Absent: every call is admitted and a priced tool is charged by no one but `emit`'s
   * consumer.
   * @throws {@link PolicyError} `POLICY_VIOLATION`; {@link BudgetError} `BUDGET_EXCEEDED` when the
   * price does not fit. Either stops the loop.
   */
  admitTool?(request: AgentToolRequest): Promise<AgentToolPermit>;
  /**
   * Fits the conversation before each step after the first; must never split a tool call from its
   * result (the runner refuses a result that does).
   */
  compact?(input: AgentCompactionInput): Promise<readonly Message[]>;
  /** The journaled agent events of this task's earlier attempts, in journal order (resume). */
  readonly history?: readonly AgentEventInput[];
}

/**
 * The tier limits an agent loop obeys.
 * @public
 */
export interface AgentLimits {
  /** Most model calls of one loop. @defaultValue `DEFAULT_AGENT_MAX_STEPS` (16) */
  readonly maxSteps?: number;
  /** Most tool calls in one run (the tier's `maxToolCallsPerRun`). @defaultValue unlimited */
  readonly maxToolCallsPerRun?: number;
  /** Deepest agent nesting (the tier's `maxDepth`); a task's own loop is depth 0. @defaultValue unlimited */
  readonly maxDepth?: number;
  /** Tool names the tier allows (`'*'` every tool); absent allows every registered tool. */
  readonly allowedTools?: readonly string[];
}

/**
 * The tool calls made so far in a run, shared by every loop of the run (nested ones included).
 * @public
 */
export interface ToolCallTally {
  /** Calls counted so far. */
  readonly count: number;
  /** Counts more calls. */
  add(calls: number): void;
}

/**
 * One agent loop to run.
 * @public
 */
export interface AgentRunInput {
  /** The run. */
  readonly runId: RunId;
  /** The task. */
  readonly taskId: TaskId;
  /** The task attempt (1-based). @defaultValue 1 */
  readonly attempt?: number;
  /** Catalog model id. */
  readonly model: ModelId;
  /** Completion cap of each model call (the worst case the host reserves). */
  readonly maxOutputTokens: number;
  /** The opening conversation (system, context, task prompt). */
  readonly messages: readonly Message[];
  /** Names of registered tools offered to the model. */
  readonly tools: readonly string[];
  /** @defaultValue `'auto'` */
  readonly toolChoice?: ToolChoice;
  /** Limits of the tier. */
  readonly limits?: AgentLimits;
  /** Nesting depth of this loop. @defaultValue 0 */
  readonly depth?: number;
  /** For a nested loop: the calling loop's tool call that started it (carried by its events). */
  readonly parentCallId?: string;
  /** The run's tool-call count. @defaultValue a fresh count from 0 */
  readonly toolCalls?: ToolCallTally;
  /** Where the loop runs. */
  readonly host: AgentHost;
  /** Aborts the loop and its tool calls. */
  readonly signal?: AbortSignal;
}

/**
 * What a finished loop returns: the final answer is the task's output.
 * @public
 */
export interface AgentResult {
  /** The final answer. */
  readonly output: string;
  /** Model calls made, resumed ones included. */
  readonly steps: number;
  /** Tool calls made by this loop, resumed ones included. */
  readonly toolCalls: number;
  /** Model usage of the steps this attempt made. */
  readonly usage: Usage;
  /** Model cost in USD of the steps this attempt made. */
  readonly costUsd: number;
  /** Declared tool prices in USD of the calls this attempt made. */
  readonly toolCostUsd: number;
  /**
   * The conversation as last sent to the model (after any compaction), the final answer appended:
   * the loop keeps only what it sends, so its memory stays bounded by the compaction limit.
   */
  readonly messages: readonly Message[];
}

/**
 * Runs agent loops.
 * @public
 */
export interface AgentRunner {
  /**
   * Runs the loop to a final answer.
   * @throws {@link ExecutionError} `AGENT_MAX_STEPS` after `maxSteps` model calls without a final
   * answer, `RUN_ABORTED` when the signal aborts; {@link PolicyError} `POLICY_VIOLATION`
   * (`details.rule`: `depth`, `toolCalls`, `toolAllowlist`); {@link ValidationError}
   * `VALIDATION_FAILED` for an unknown tool name; any error of {@link AgentHost.callModel}
   * (e.g. `BUDGET_EXCEEDED`), unchanged.
   */
  run(input: AgentRunInput): Promise<AgentResult>;
}

/**
 * What a tool started by an agent loop knows of it, to start a nested loop one level deeper.
 * @public
 */
export interface AgentToolScope {
  /** Depth of the calling loop. */
  readonly depth: number;
  /** The step that asked for the call. */
  readonly step: number;
  /** The call running the tool (a nested loop's events name it as `parentCallId`). */
  readonly callId?: string;
  /** The calling loop's limits. */
  readonly limits: AgentLimits;
  /** The run's tool-call count. */
  readonly toolCalls: ToolCallTally;
  /** The calling loop's host (model calls of a nested loop are billed through it). */
  readonly host: AgentHost;
  /** The calling loop's model. */
  readonly model: ModelId;
  /** The calling loop's completion cap. */
  readonly maxOutputTokens: number;
}
