/**
 * Tools an agent can call.
 */
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
}

/**
 * A callable tool.
 * @public
 */
export interface Tool extends ToolDefinition {
  /** Price of one call in USD, charged to the run. @defaultValue 0 */
  readonly costUsd?: number;
  /** Runs the tool on parsed arguments; its result is sent back to the model as text. */
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
}
