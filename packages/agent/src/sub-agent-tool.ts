/**
 * A tool that starts a nested agent loop one level deeper than the loop calling it.
 *
 * @remarks
 * The nested loop shares the run's tool-call count and bills its model calls through the calling
 * loop's host; it counts depth, so the tier's `maxDepth` stops runaway recursion with
 * `POLICY_VIOLATION` (rule `depth`), which stops the calling loop too. Everything else goes through
 * the calling loop's host as well: its events are journaled in the calling loop's journal, stamped
 * with `depth` and `parentCallId` (the id of the call running this tool); its tool calls are admitted
 * (and priced tools charged) by the host's `admitTool`; its questions reach the host's `awaitInput`
 * with the call id `${step}:${parentCallId}/${callId}` (`step` is the calling loop's), so they never
 * collide with the parent's, nor with those of a call that reused the id in another step. A nested
 * loop gets no history: a resumed parent replays only its own (depth-0) events, and re-runs the whole
 * nested loop when the call that started it did not complete; once that call's `tool.completed` is
 * journaled, the nested run is never repeated. The call has no deadline unless given `timeoutMs`
 * (a nested loop may wait for a human).
 */
import type { AgentEventInput, AgentRunner, Tool } from '@runtime/contracts';
import { z } from 'zod';
import { defineTool } from './define-tool.js';
import { aborted, toolError } from './internal/errors.js';
import { forwardHost } from './internal/forward-host.js';

/**
 * Options of {@link subAgentTool}.
 * @public
 */
export interface SubAgentToolOptions {
  /** Tool name. */
  readonly name: string;
  /** What the nested agent does, for the calling model. */
  readonly description: string;
  /** Runs the nested loop (usually the same runner). */
  readonly runner: AgentRunner;
  /** Tools the nested agent is offered (names in the runner's registry). */
  readonly tools: readonly string[];
  /** System prompt of the nested agent. */
  readonly instructions?: string;
  /** Most model calls of the nested loop. @defaultValue the calling loop's `maxSteps` */
  readonly maxSteps?: number;
  /** Price of one call in USD, beyond the nested model calls. @defaultValue 0 */
  readonly costUsd?: number;
  /**
   * Deadline of one call in ms: the whole nested loop, its model calls and any human approval it
   * waits for included. @defaultValue none — the dispatcher's default (30 s) would cut a nested
   * loop waiting for a human; the nested loop is bounded by its `maxSteps`, the deadline of each of
   * its own tool calls and the task's abort.
   */
  readonly timeoutMs?: number;
}

/** A deadline no call reaches (the dispatcher keeps one beyond a timer's range as no timer). */
const NO_DEADLINE_MS = Number.MAX_SAFE_INTEGER;

/**
 * Creates a tool whose call runs a nested agent on `{ task }` and returns its final answer.
 * @public
 */
export function subAgentTool(options: SubAgentToolOptions): Tool {
  return defineTool({
    name: options.name,
    description: options.description,
    input: z.object({ task: z.string().min(1).describe('What the sub-agent must do, in full.') }),
    ...(options.costUsd === undefined ? {} : { costUsd: options.costUsd }),
    timeoutMs: options.timeoutMs ?? NO_DEADLINE_MS,
    async execute({ task }, context) {
      const scope = context.agent;
      if (scope === undefined) {
        throw toolError('TOOL_FAILED', options.name, `${options.name} starts a nested agent and must be called from an agent loop.`);
      }
      // Once the call ended (timed out, or its loop stopped), a nested loop still running — a model
      // call that ignored the abort — journals nothing more. The calling call's step is in the
      // question key too: a model may reuse a call id in another step.
      const { signal } = context;
      const emit = (event: AgentEventInput): Promise<void> => (signal.aborted ? Promise.reject(aborted(signal.reason)) : scope.host.emit(event));
      const host = forwardHost(scope.host, { emit, ...(scope.callId === undefined ? {} : { questionPrefix: `${scope.step}:${scope.callId}` }) });
      const messages = [
        ...(options.instructions === undefined ? [] : [{ role: 'system' as const, content: options.instructions }]),
        { role: 'user' as const, content: task },
      ];
      const result = await options.runner.run({
        runId: context.runId,
        taskId: context.taskId,
        model: scope.model,
        maxOutputTokens: scope.maxOutputTokens,
        messages,
        tools: options.tools,
        limits: options.maxSteps === undefined ? scope.limits : { ...scope.limits, maxSteps: options.maxSteps },
        depth: scope.depth + 1,
        ...(scope.callId === undefined ? {} : { parentCallId: scope.callId }),
        toolCalls: scope.toolCalls,
        host,
        signal,
      });
      return result.output;
    },
  });
}
