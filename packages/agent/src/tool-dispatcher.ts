/**
 * Runs the tool calls of one model answer: arguments parsed and checked, approval asked when the
 * tool requires it, each call under its own deadline and the task's abort signal, in parallel.
 *
 * @remarks
 * A call that goes wrong (unknown tool, bad JSON, arguments the schema refuses, a throw, a timeout,
 * a rejection) is an outcome, not an exception: its typed `TOOL_*` error goes back to the model as
 * the call's result. Only an abort of the task, a run-wide limit a tool hit (`POLICY_VIOLATION`, a
 * budget error from a nested agent), or a refused admission (`ToolDispatchContext.admit`) throws.
 * Not responsible for journaling or limits (the runner's job).
 */
import { BudgetError, PolicyError, ToolError } from '@runtime/contracts';
import type { AgentInputResponse, AgentToolPermit, AgentToolScope, ErrorInfo, RunId, TaskId, Tool, ToolCall, ToolContext, ToolRegistry } from '@runtime/contracts';
import { aborted, describe, toolError } from './internal/errors.js';

/**
 * Deadline of a tool call that declares none.
 * @public
 */
export const DEFAULT_TOOL_TIMEOUT_MS = 30_000;

/**
 * Longest tool result (in characters) sent back to the model and journaled, by default.
 * @public
 */
export const DEFAULT_TOOL_MAX_RESULT_CHARS = 65_536;

/**
 * Options of {@link createToolDispatcher}.
 * @public
 */
export interface ToolDispatcherOptions {
  /** Where tools are looked up. */
  readonly registry: ToolRegistry;
  /** Deadline of a call whose tool declares none. @defaultValue {@link DEFAULT_TOOL_TIMEOUT_MS} */
  readonly defaultTimeoutMs?: number;
  /** Longest result text sent back to the model; a longer one is cut and marked. @defaultValue {@link DEFAULT_TOOL_MAX_RESULT_CHARS} */
  readonly maxResultChars?: number;
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
  /**
   * Admits a call right before its tool runs (arguments checked, any approval given): the runner
   * fills it from {@link @runtime/contracts#AgentHost.admitTool}. A throw (`POLICY_VIOLATION`,
   * `BUDGET_EXCEEDED`, …) is rethrown and the tool never runs. The permit is ended once, before the
   * outcome is returned: charged when the tool returned a result, uncharged when it threw or timed
   * out, and (best effort, not awaited) when the task aborted. A call answered by a human is not
   * admitted. Absent: every call runs.
   */
  readonly admit?: (call: ToolCall, tool: Tool) => Promise<AgentToolPermit>;
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

/** A thrown non-Error (a tool may throw a string) as an Error that keeps it as `cause`. */
function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(describe(value), { cause: value });
}

/** TypeScript narrows `signal.aborted` after one check; a call re-reads it. */
function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw aborted(signal.reason);
}

/**
 * A tool's abort signal, made only if the tool reads it: an `AbortController` costs ≈ 3 µs on
 * Node 20, more than the rest of a zero-latency call. A tool that reads it after the call was
 * stopped gets an already-aborted signal with the reason.
 */
class LazySignal {
  private controller: AbortController | undefined;
  private reason: unknown;
  private stopped = false;

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.stopped) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}

/**
 * Longest delay a Node timer holds (2^31 - 1 ms, ≈ 24.8 days); a longer one fires at once. A deadline
 * beyond it is kept as no timer: the call runs until it settles or the task aborts.
 */
const MAX_TIMER_MS = 2_147_483_647;

/** Runs `execute` until it settles, the deadline passes or the task aborts; one timer, always cleared. */
function runWithDeadline(tool: Tool, args: unknown, timeoutMs: number, context: ToolDispatchContext): Promise<string> {
  const parent = context.signal;
  const lazy = new LazySignal();
  const toolContext: ToolContext = {
    get signal() {
      return lazy.signal;
    },
    runId: context.runId,
    taskId: context.taskId,
    ...(context.agent === undefined ? {} : { agent: context.agent }),
  };
  return new Promise<string>((resolve, reject) => {
    let settled = false;
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
      return true;
    };
    const onParentAbort = () => {
      if (!finish()) return;
      lazy.abort(parent?.reason);
      reject(aborted(parent?.reason));
    };
    const onDeadline = () => {
      if (!finish()) return;
      const error = toolError('TOOL_TIMEOUT', tool.name, `Tool ${tool.name} did not answer within ${timeoutMs} ms.`, { timeoutMs });
      lazy.abort(error);
      reject(error);
    };
    const timer = timeoutMs > MAX_TIMER_MS ? undefined : setTimeout(onDeadline, timeoutMs);
    parent?.addEventListener('abort', onParentAbort, { once: true });
    let running: Promise<string>;
    try {
      running = tool.execute(args, toolContext);
    } catch (error) {
      if (finish()) reject(asError(error));
      return;
    }
    // A result or error after the deadline or an abort is dropped: the call already ended.
    running.then(
      (result) => {
        if (!finish()) return;
        if (typeof result === 'string') resolve(result);
        else reject(toolError('TOOL_FAILED', tool.name, `Tool ${tool.name} returned ${typeof result}, not text.`));
      },
      (error: unknown) => {
        if (finish()) reject(asError(error));
      },
    );
  });
}

/** Resolves with `promise`, or rejects with `RUN_ABORTED` as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted(signal.reason));
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(asError(error));
      },
    );
  });
}

/**
 * What an approver's note adds after the tool's result, for the model (and the journal, so a resumed
 * loop replays the same text): `"\n\n[approved with note: <note>]"`; nothing for no note or a blank one.
 */
export function approvalNote(message: string | undefined): string {
  if (message === undefined || message.trim() === '') return '';
  return `\n\n[approved with note: ${message.trim()}]`;
}

/** Ends a permit without waiting, ignoring a failure: the task is stopping anyway. */
function endQuietly(permit: AgentToolPermit | undefined): void {
  permit?.end(false).catch(() => undefined);
}

/**
 * Waits for an admission, or rejects with `RUN_ABORTED` as soon as `signal` aborts; a permit granted
 * after the abort is ended uncharged.
 */
async function admitUntilAborted(admission: Promise<AgentToolPermit>, signal: AbortSignal | undefined): Promise<AgentToolPermit> {
  let permit: AgentToolPermit;
  try {
    permit = await untilAborted(admission, signal);
  } catch (error) {
    // Stopped while the host was admitting: a permit it grants later is given back.
    if (signal?.aborted === true) admission.then(endQuietly, () => undefined);
    throw error;
  }
  if (signal?.aborted === true) {
    endQuietly(permit);
    throw aborted(signal.reason);
  }
  return permit;
}

/**
 * Creates a {@link ToolDispatcher}.
 * @public
 */
export function createToolDispatcher(options: ToolDispatcherOptions): ToolDispatcher {
  const { registry } = options;
  const defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
  const now = options.now ?? (() => performance.now());
  const maxResultChars = options.maxResultChars ?? DEFAULT_TOOL_MAX_RESULT_CHARS;
  const bounded = (text: string): string => (text.length > maxResultChars ? `${text.slice(0, maxResultChars)}\n[truncated at ${maxResultChars} characters]` : text);

  async function call(toolCall: ToolCall, context: ToolDispatchContext): Promise<ToolCallOutcome> {
    throwIfAborted(context.signal);
    let started = now();
    let note = '';
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
      // A human may take days; an abort of the task does not wait for them.
      const reply = await untilAborted(context.approve(toolCall, tool), context.signal);
      if (reply.decision === 'reject') {
        return failed(
          toolError('TOOL_REJECTED', tool.name, `A human rejected the call to ${tool.name}${reply.reason === undefined ? '' : `: ${reply.reason}`}.`, {
            callId: toolCall.id,
            ...(reply.reason === undefined ? {} : { reason: reply.reason }),
          }),
        );
      }
      if (reply.decision === 'answer') return { ok: true, call: toolCall, result: bounded(reply.text), durationMs: 0, costUsd: 0 };
      // The task may have stopped after the reply arrived and before this line: an approved call
      // of a stopped task never runs (its abort listener was already removed).
      throwIfAborted(context.signal);
      note = approvalNote(reply.message);
      started = now();
    }
    const permit = context.admit === undefined ? undefined : await admitUntilAborted(context.admit(toolCall, tool), context.signal);
    let outcome: ToolCallOutcome;
    try {
      const result = await runWithDeadline(tool, args, tool.timeoutMs ?? defaultTimeoutMs, context);
      outcome = { ok: true, call: toolCall, result: `${bounded(result)}${note}`, durationMs: now() - started, costUsd: tool.costUsd ?? 0 };
    } catch (error) {
      if (context.signal?.aborted === true) {
        endQuietly(permit);
        throw aborted(context.signal.reason);
      }
      // Run-wide limits hit inside a tool (a nested agent's depth, tool calls or budget) stop the loop.
      if (PolicyError.isInstance(error) || BudgetError.isInstance(error)) {
        await permit?.end(false);
        throw error;
      }
      outcome = failed(ToolError.isInstance(error) ? error : toolError('TOOL_FAILED', tool.name, `Tool ${tool.name} failed: ${describe(error)}`, {}, error));
    }
    // The host charges (or releases) before the runner journals the outcome.
    await permit?.end(outcome.ok);
    return outcome;
  }

  return {
    call,
    dispatch: (calls, context) => Promise.all(calls.map((toolCall) => call(toolCall, context))),
  };
}
