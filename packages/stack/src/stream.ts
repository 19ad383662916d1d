/**
 * `runtime.stream(spec)`: a run as an async iterable of typed parts, in the spirit of the AI SDK's
 * `streamText` — text and tool-call fragments as the models write them, each task's final output
 * with its usage and cost, then the run's final view.
 *
 * @remarks
 * Built on `Orchestrator.events`: the parts follow the run's event order; deltas are live-only
 * (`task.delta`, not journaled). Backpressure: parts are produced as the consumer pulls; journaled
 * events wait for it in order, and at most 4096 unread deltas are held — past that the deltas of the
 * task attempt that overflowed are cut (what a consumer got of it has no gaps), and its `task-finish`
 * still carries the whole output. Not responsible for resuming after a crash (`resumeAll`) nor for
 * HTTP (the sidecar streams the same events as SSE).
 */
import type { ErrorInfo, Orchestrator, Run, RunId, RunSpec, RuntimeEvent, StartRunOptions, TaskId, ToolCallDelta, UsageView } from '@runtime/contracts';

/**
 * One part of {@link Runtime.stream}'s output.
 *
 * @remarks
 * Order: `start` first; for each task `task-start`, then its `text-delta` / `tool-call-delta` parts
 * (streaming tasks only), then `task-finish` or `task-error`; `finish` last (only when the run ended
 * while the consumer was reading).
 * @public
 */
export type RuntimeStreamPart =
  | {
      /** The run was journaled and started. */
      readonly type: 'start';
      /** Its view at start. */
      readonly run: Run;
    }
  | {
      /** A task's model call started. */
      readonly type: 'task-start';
      /** The task. */
      readonly taskId: TaskId;
      /** Its attempt. */
      readonly attempt: number;
      /** The catalog model. */
      readonly model: string;
    }
  | {
      /** A piece of a task's answer text. */
      readonly type: 'text-delta';
      /** The task. */
      readonly taskId: TaskId;
      /** The attempt streaming. */
      readonly attempt: number;
      /** Position among the attempt's deltas (text and tool-call), from 0. */
      readonly index: number;
      /** The text. */
      readonly text: string;
    }
  | {
      /** A fragment of a tool call the task's model is writing. */
      readonly type: 'tool-call-delta';
      /** The task. */
      readonly taskId: TaskId;
      /** The attempt streaming. */
      readonly attempt: number;
      /** Position among the attempt's deltas (text and tool-call), from 0. */
      readonly index: number;
      /** The fragment (`toolCall.index` is the call's position in the answer). */
      readonly toolCall: ToolCallDelta;
    }
  | {
      /** A task completed. */
      readonly type: 'task-finish';
      /** The task. */
      readonly taskId: TaskId;
      /** Its whole output (the truth, whatever deltas a slow consumer missed). */
      readonly output: string;
      /** Its usage, priced. */
      readonly usage: UsageView;
      /** Its cost. */
      readonly costUsd: number;
    }
  | {
      /** A task failed. */
      readonly type: 'task-error';
      /** The task. */
      readonly taskId: TaskId;
      /** Why. */
      readonly error: ErrorInfo;
    }
  | {
      /** The run ended. */
      readonly type: 'finish';
      /** Its final view. */
      readonly run: Run;
    };

/**
 * Options of {@link Runtime.stream}.
 * @public
 */
export interface RuntimeStreamOptions extends StartRunOptions {
  /**
   * What leaving the loop early (`break`, `return`, a thrown error) does to the run: `abort` stops
   * it (in-flight calls are cancelled, unfinished tasks skipped, nothing more is spent); `detach`
   * lets it run on (follow it with `orchestrator.wait` or `events`).
   * @defaultValue `'abort'`
   */
  readonly onBreak?: 'abort' | 'detach';
  /** Aborts the run. */
  readonly signal?: AbortSignal;
}

/**
 * Starts `spec` and yields its parts. Tasks stream unless they (or the run policy) set `stream: false`.
 * @throws what `Orchestrator.start` throws (before the first part), and a store failure that stopped
 * the run's event stream.
 * @internal (`Runtime.stream` is the public way)
 */
export async function* streamRun(orchestrator: Orchestrator, spec: RunSpec, options: RuntimeStreamOptions = {}): AsyncGenerator<RuntimeStreamPart> {
  const { onBreak = 'abort', signal, ...startOptions } = options;
  signal?.throwIfAborted();
  const started = await orchestrator.start({ ...spec, policy: { ...spec.policy, stream: spec.policy?.stream ?? true } }, startOptions);
  const runId = started.id;
  let ended = false;
  // Aborting reports its outcome through the run (state `aborted`), which the loop below reads.
  const abort = (reason: string): Promise<Run> => orchestrator.abort(runId, reason);
  let aborting: Promise<Run> | undefined;
  const onAbort = (): void => {
    aborting ??= abort('signal');
    // Awaited below (its failure surfaces there); marked handled so it is not reported before.
    aborting.catch(() => undefined);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted === true) onAbort(); // aborted while the run was being started: no event comes
  try {
    yield { type: 'start', run: started };
    const outputs = new TaskOutputs(orchestrator, runId);
    for await (const event of orchestrator.events(runId)) {
      if (event.type === 'task.completed') {
        const output = await outputs.of(event.taskId);
        yield { type: 'task-finish', taskId: event.taskId, output, usage: event.usage, costUsd: event.costUsd };
        continue;
      }
      const part = partOf(event);
      if (part !== undefined) yield part;
    }
    await aborting;
    const run = await orchestrator.wait(runId);
    ended = true;
    yield { type: 'finish', run };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!ended && onBreak === 'abort') await (aborting ?? abort('the stream consumer left'));
  }
}

/**
 * Completed tasks' outputs, read from the run's view. One view serves every task completed by the
 * time it was read, so a consumer behind the run reads it once for many completions.
 */
class TaskOutputs {
  #known = new Map<string, string>();
  constructor(
    private readonly orchestrator: Orchestrator,
    private readonly runId: RunId,
  ) {}

  async of(taskId: TaskId): Promise<string> {
    const known = this.#known.get(taskId);
    if (known !== undefined) return known;
    const run = await this.orchestrator.get(this.runId);
    this.#known = new Map();
    for (const task of run?.tasks ?? []) if (task.state === 'completed') this.#known.set(task.id, task.output ?? '');
    return this.#known.get(taskId) ?? '';
  }
}

function partOf(event: RuntimeEvent): RuntimeStreamPart | undefined {
  switch (event.type) {
    case 'task.delta':
      if (event.text !== undefined) return { type: 'text-delta', taskId: event.taskId, attempt: event.attempt, index: event.index, text: event.text };
      if (event.toolCall !== undefined) return { type: 'tool-call-delta', taskId: event.taskId, attempt: event.attempt, index: event.index, toolCall: event.toolCall };
      return undefined;
    case 'task.started':
      return { type: 'task-start', taskId: event.taskId, attempt: event.attempt, model: event.model };
    case 'task.failed':
      return { type: 'task-error', taskId: event.taskId, error: event.error };
    default:
      return undefined;
  }
}
