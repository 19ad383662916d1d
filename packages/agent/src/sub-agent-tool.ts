/**
 * A tool that starts a nested agent loop one level deeper than the loop calling it.
 *
 * @remarks
 * The nested loop shares the run's tool-call count and bills its model calls through the calling
 * loop's host; it counts depth, so the tier's `maxDepth` stops runaway recursion with
 * `POLICY_VIOLATION` (rule `depth`), which stops the calling loop too. Its own events are not
 * journaled: to the calling loop the whole nested run is one tool call, journaled by its result
 * (`tool.completed`), so a resumed parent never repeats a nested run that finished.
 */
import type { AgentHost, AgentRunner, Tool } from '@runtime/contracts';
import { z } from 'zod';
import { defineTool } from './define-tool.js';
import { toolError } from './internal/errors.js';

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
}

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
    async execute({ task }, context) {
      const scope = context.agent;
      if (scope === undefined) {
        throw toolError('TOOL_FAILED', options.name, `${options.name} starts a nested agent and must be called from an agent loop.`);
      }
      const parent = scope.host;
      const host: AgentHost = {
        callModel: (request, call) => parent.callModel(request, call),
        emit: () => Promise.resolve(),
        ...(parent.awaitInput === undefined ? {} : { awaitInput: (request) => (parent.awaitInput as NonNullable<AgentHost['awaitInput']>)(request) }),
        ...(parent.compact === undefined ? {} : { compact: (input) => (parent.compact as NonNullable<AgentHost['compact']>)(input) }),
      };
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
        toolCalls: scope.toolCalls,
        host,
        signal: context.signal,
      });
      return result.output;
    },
  });
}
