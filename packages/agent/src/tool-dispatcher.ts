/**
 * Runs the tool calls of one model answer: arguments parsed and checked, approval asked when the
 * tool requires it, each call under its own deadline and the task's abort signal, in parallel.
 *
 * @remarks
 * A call that goes wrong (unknown tool, bad JSON, arguments the schema refuses, a throw, a timeout,
 * a rejection) is an outcome, not an exception: its typed `TOOL_*` error goes back to the model as
 * the call's result. Only an abort of the task, or a run-wide limit a tool hit (`POLICY_VIOLATION`, a
 * budget error from a nested agent), throws. Not responsible for journaling or
 * limits (the runner's job).
 */
import { BudgetError, PolicyError, ToolError } from '@runtime/contracts';
import type { AgentInputResponse, ErrorInfo, AgentToolScope, RunId, TaskId, Tool, ToolCall, ToolRegistry } from '@runtime/contracts';
import { aborted, describe, toolError } from './internal/errors.js';

/**
 * Deadline of a tool call that declares none.
 * @public
 */
export const DEFAULT_TOOL_TIMEOUT_MS = 30_000;

/**
 * Options of {@link createToolDispatcher}.
 * @public
 */
export interface ToolDispatcherOptions {
  /** Where tools are looked up. */
  readonly registry: ToolRegistry;
  /** Deadline of a call whose tool declares none. @defaultValue {@link DEFAULT_TOOL_TIMEOUT_MS} */
  readonly defaultTimeoutMs?: number;
  /** Monotonic milliseconds, for durations. @defaultValue `performance.now` */
  readonly now?: () => number;
}

/**
 * Where calls are dispatched from.
 * @public
 */
export interface ToolDispatchContext {
  /** The run. */
  readonly runId: RunId;
  /** The task. */
  readonly taskId: TaskId;
  /** The task's abort signal: aborting it aborts every call and makes the dispatch throw `RUN_ABORTED`. */
  readonly signal?: AbortSignal;
  /** Tool names the model was offered; a call to another name is `TOOL_NOT_FOUND`. @defaultValue every registered tool */
  readonly offered?: ReadonlySet<string>;
  /** The calling loop, passed on to tools (nested agents). */
  readonly agent?: AgentToolScope;
  /** Asks a human about a call to a tool that requires approval; absent rejects such calls. */
  readonly approve?: (call: ToolCall, tool: Tool) => Promise<AgentInputResponse>;
}

/**
 * What one call came to.
 * @public
 */
export type ToolCallOutcome =
  | {
      readonly ok: true;
      /** The call. */
      readonly call: ToolCall;
      /** Text sent back to the model. */
      readonly result: string;
      /** Time the call took, approval wait excluded. */
      readonly durationMs: number;
      /** Declared price charged (0 when the tool did not run, e.g. a human answered instead). */
      readonly costUsd: number;
    }
  | {
      readonly ok: false;
      /** The call. */
      readonly call: ToolCall;
      /** Why it failed (`TOOL_*`). */
      readonly error: ToolError;
      /** Time until it failed. */
      readonly durationMs: number;
    };

/**
 * Runs tool calls.
 * @public
 */
export interface ToolDispatcher {
  /**
   * Runs one call.
   * @throws {@link @runtime/contracts#ExecutionError} `RUN_ABORTED` when the context's signal aborts.
   */
  call(call: ToolCall, context: ToolDispatchContext): Promise<ToolCallOutcome>;
  /**
   * Runs calls in parallel; outcomes in call order.
   * @throws {@link @runtime/contracts#ExecutionError} `RUN_ABORTED` when the context's signal aborts.
   */
  dispatch(calls: readonly ToolCall[], context: ToolDispatchContext): Promise<readonly ToolCallOutcome[]>;
}

/**
 * The text a failed call sends back to the model.
 * @public
 */
export function toolErrorMessage(error: Pick<ErrorInfo, 'code' | 'message'>): string {
  return JSON.stringify({ error: { code: error.code, message: error.message } });
}

function parseJson(call: ToolCall): unknown {
  const text = call.arguments.trim() === '' ? '{}' : call.arguments;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw toolError('TOOL_INVALID_ARGUMENTS', call.name, `Arguments of ${call.name} are not valid JSON: ${describe(error)}`, {
      issues: [{ path: [], message: describe(error) }],
    });
  }
}

/** TypeScript narrows `signal.aborted` after one check; a call re-reads it. */
function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw aborted(signal.reason);
}

/** Runs `execute` until it settles, the deadline passes or the task aborts; one timer, always cleared. */
async function runWithDeadline(tool: Tool, args: unknown, timeoutMs: number, context: ToolDispatchContext): Promise<string> {
  const controller = new AbortController();
  const parent = context.signal;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onParentAbort: (() => void) | undefined;
  try {
    const stopped = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = toolError('TOOL_TIMEOUT', tool.name, `Tool ${tool.name} did not answer within ${timeoutMs} ms.`, { timeoutMs });
        controller.abort(error);
        reject(error);
      }, timeoutMs);
      if (parent !== undefined) {
        onParentAbort = () => {
          controller.abort(parent.reason);
          reject(aborted(parent.reason));
        };
        parent.addEventListener('abort', onParentAbort, { once: true });
      }
    });
    const running = tool.execute(args, {
      signal: controller.signal,
      runId: context.runId,
      taskId: context.taskId,
      ...(context.agent === undefined ? {} : { agent: context.agent }),
    });
    // The loser of the race is observed so its rejection is never unhandled.
    running.catch(() => undefined);
    stopped.catch(() => undefined);
    const result = await Promise.race([running, stopped]);
    if (typeof result !== 'string') {
      throw toolError('TOOL_FAILED', tool.name, `Tool ${tool.name} returned ${typeof result}, not text.`);
    }
    return result;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (parent !== undefined && onParentAbort !== undefined) parent.removeEventListener('abort', onParentAbort);
  }
}

/**
 * Creates a {@link ToolDispatcher}.
 * @public
 */
export function createToolDispatcher(options: ToolDispatcherOptions): ToolDispatcher {
  const { registry } = options;
  const defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
  const now = options.now ?? (() => performance.now());

  async function call(toolCall: ToolCall, context: ToolDispatchContext): Promise<ToolCallOutcome> {
    throwIfAborted(context.signal);
    let started = now();
    const failed = (error: ToolError): ToolCallOutcome => ({ ok: false, call: toolCall, error, durationMs: now() - started });
    if (!registry.has(toolCall.name) || (context.offered !== undefined && !context.offered.has(toolCall.name))) {
      return failed(toolError('TOOL_NOT_FOUND', toolCall.name, `The model called ${JSON.stringify(toolCall.name)}, which is not one of the tools offered.`));
    }
    const tool = registry.get(toolCall.name);
    let args: unknown;
    try {
      args = parseJson(toolCall);
      if (tool.parseArguments !== undefined) args = tool.parseArguments(args);
    } catch (error) {
      if (ToolError.isInstance(error)) return failed(error);
      return failed(toolError('TOOL_INVALID_ARGUMENTS', tool.name, `Arguments of ${tool.name} were refused: ${describe(error)}`, {}, error));
    }
    if (tool.requiresApproval === true) {
      if (context.approve === undefined) {
        return failed(toolError('TOOL_REJECTED', tool.name, `Tool ${tool.name} requires approval and no one can approve here.`, { callId: toolCall.id }));
      }
      const reply = await context.approve(toolCall, tool);
      throwIfAborted(context.signal);
      if (reply.decision === 'reject') {
        return failed(
          toolError('TOOL_REJECTED', tool.name, `A human rejected the call to ${tool.name}${reply.reason === undefined ? '' : `: ${reply.reason}`}.`, {
            callId: toolCall.id,
            ...(reply.reason === undefined ? {} : { reason: reply.reason }),
          }),
        );
      }
      if (reply.decision === 'answer') return { ok: true, call: toolCall, result: reply.text, durationMs: 0, costUsd: 0 };
      started = now();
    }
    try {
      const result = await runWithDeadline(tool, args, tool.timeoutMs ?? defaultTimeoutMs, context);
      return { ok: true, call: toolCall, result, durationMs: now() - started, costUsd: tool.costUsd ?? 0 };
    } catch (error) {
      throwIfAborted(context.signal);
      // Run-wide limits hit inside a tool (a nested agent's depth, tool calls or budget) stop the loop.
      if (PolicyError.isInstance(error) || BudgetError.isInstance(error)) throw error;
      if (ToolError.isInstance(error)) return failed(error);
      return failed(toolError('TOOL_FAILED', tool.name, `Tool ${tool.name} failed: ${describe(error)}`, {}, error));
    }
  }

  return {
    call,
    dispatch: (calls, context) => Promise.all(calls.map((toolCall) => call(toolCall, context))),
  };
}
