/**
 * Tools an agent can call.
 */
import type { AgentToolScope } from './agent.js';
import type { RunId, TaskId } from './ids.js';
import type { ToolDefinition } from './message.js';

/**
 * Where a tool runs.
 * @public
 */
export interface ToolContext {
  /** Aborts when the task or run is aborted. */
  readonly signal: AbortSignal;
  /** The run. */
  readonly runId: RunId;
  /** The task. */
  readonly taskId: TaskId;
  /** The agent loop that made the call (absent outside one); a tool starting a nested loop reads its depth here. */
  readonly agent?: AgentToolScope;
}

/**
 * A callable tool.
 * @public
 */
export interface Tool extends ToolDefinition {
  /** Price of one call in USD, charged to the run. @defaultValue 0 */
  readonly costUsd?: number;
  /** Deadline of one call in ms. @defaultValue the dispatcher's default */
  readonly timeoutMs?: number;
  /** A human approves each call first (`task.input_required`). @defaultValue false */
  readonly requiresApproval?: boolean;
  /**
   * Checks the model's parsed arguments against the tool's schema and returns the value to pass to
   * `execute`; absent means any JSON value is accepted.
   * @throws {@link ToolError} `TOOL_INVALID_ARGUMENTS` with `details.issues`.
   */
  parseArguments?(args: unknown): unknown;
  /**
   * Runs the tool on parsed arguments (what `parseArguments` returned, when the tool has it); its
   * result is sent back to the model as text.
   */
  execute(args: unknown, context: ToolContext): Promise<string>;
}

/**
 * The tools available to a run.
 * @public
 */
export interface ToolRegistry {
  /**
   * Adds a tool.
   * @throws {@link ValidationError} for a duplicate or malformed name.
   */
  register(tool: Tool): void;
  /**
   * A tool by name.
   * @throws {@link ToolError} `TOOL_NOT_FOUND`.
   */
  get(name: string): Tool;
  /** Whether a tool is registered. */
  has(name: string): boolean;
  /** Definitions of every tool, by name. */
  list(): readonly ToolDefinition[];
  /**
   * Checks a task's tool names before it runs.
   * @throws {@link ValidationError} `VALIDATION_FAILED` naming the task and the first unknown tool
   * (`details.task`, `details.tool`, `details.issues`).
   */
  check(taskId: TaskId, names: readonly string[]): void;
}
