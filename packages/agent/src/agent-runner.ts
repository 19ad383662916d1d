/**
 * The agent loop: model call → tool calls → results → model call, until the model answers without
 * tool calls.
 *
 * @remarks
 * Limits: `maxSteps` model calls (`AGENT_MAX_STEPS`), the run's `maxToolCallsPerRun`
 * (`POLICY_VIOLATION`, rule `toolCalls`, checked before a step's calls run), `maxDepth` for nested
 * loops (rule `depth`) and the tier's tool allowlist (rule `toolAllowlist`). Money, the journal and
 * humans belong to the {@link @runtime/contracts#AgentHost}: it reserves each step's worst case
 * before calling (a `BUDGET_EXCEEDED` from it stops the loop as is) and journals every event the
 * loop emits, in order: `agent.step`, then one `tool.called` per call, then `tool.completed` /
 * `tool.failed` as each call ends. A resumed loop (the host's `history`) replays finished steps and
 * journaled results and runs only the calls that never completed.
 *
 * Each call is admitted by the host's `admitTool` (when it has one) after its arguments are checked
 * and any approval given, right before the tool runs; the permit is ended before the call's
 * `tool.completed` / `tool.failed` is journaled. A nested loop (depth > 0) stamps `depth` and
 * `parentCallId` on every event it emits, and replays only its own events.
 */
import {
  addMoney,
  addUsage,
  EMPTY_USAGE,
  ExecutionError,
  moneyToUsd,
  usd,
  ZERO_MONEY,
} from '@runtime/contracts';
import type {
  AgentEventInput,
  AgentHost,
  AgentResult,
  AgentRunInput,
  AgentRunner,
  AgentToolScope,
  Message,
  Money,
  Tool,
  ToolCall,
  ToolDefinition,
  ToolRegistry,
  Usage,
} from '@runtime/contracts';
import { aborted, policyViolation } from './internal/errors.js';
import { forwardHost } from './internal/forward-host.js';
import { checkLimits, checkPairs, uniqueCallIds } from './internal/loop-checks.js';
import { replayHistory } from './internal/replay.js';
import type { ReplayedOutcome } from './internal/replay.js';
import { createToolCallTally } from './tool-call-tally.js';
import { createToolDispatcher, toolErrorMessage } from './tool-dispatcher.js';
import type { ToolCallOutcome, ToolDispatcher } from './tool-dispatcher.js';

/**
 * Options of {@link createAgentRunner}.
 * @public
 */
export interface AgentRunnerOptions {
  /** The tools tasks may name. */
  readonly registry: ToolRegistry;
  /** Runs the calls. @defaultValue a dispatcher over `registry` */
  readonly dispatcher?: ToolDispatcher;
}

/** The event as a loop at `depth` journals it: a nested loop's events name their depth and the call that started it. */
function stamped(event: AgentEventInput, depth: number, parentCallId: string | undefined): AgentEventInput {
  if (depth === 0 && parentCallId === undefined) return event;
  return { ...event, ...(depth === 0 ? {} : { depth }), ...(parentCallId === undefined ? {} : { parentCallId }) };
}

function resultMessage(call: ToolCall, outcome: ReplayedOutcome | ToolCallOutcome): Message {
  return { role: 'tool', toolCallId: call.id, content: outcome.ok ? outcome.result : toolErrorMessage(outcome.error) };
}

/**
 * Creates an {@link @runtime/contracts#AgentRunner}.
 *
 * @example
 * ```ts
 * const runner = createAgentRunner({ registry: createToolRegistry([weather]) });
 * const { output } = await runner.run({
 *   runId, taskId, model: asModelId('gpt-4o-mini'), maxOutputTokens: 512,
 *   messages: [{ role: 'user', content: 'Weather in Paris?' }], tools: ['get_weather'], host,
 * });
 * ```
 * @public
 */
export function createAgentRunner(options: AgentRunnerOptions): AgentRunner {
  const { registry } = options;
  const dispatcher = options.dispatcher ?? createToolDispatcher({ registry });

  async function run(input: AgentRunInput): Promise<AgentResult> {
    const { host, taskId, runId } = input;
    const { maxSteps, depth } = checkLimits(input, registry);
    const attempt = input.attempt ?? 1;
    const limits = input.limits ?? {};
    const definitions: ToolDefinition[] = input.tools.map((name) => {
      const tool = registry.get(name);
      return { name: tool.name, description: tool.description, parameters: tool.parameters };
    });
    const offered = new Set(input.tools);
    const { parentCallId } = input;
    const replay = replayHistory(host.history ?? [], { depth, ...(parentCallId === undefined ? {} : { parentCallId }) });
    const tally = input.toolCalls ?? createToolCallTally(replay.toolCalls);

    // The loop's own signal: the task's, or an error in one call stopping its siblings.
    const controller = new AbortController();
    const onAbort = () => controller.abort(input.signal?.reason);
    if (input.signal?.aborted === true) throw aborted(input.signal.reason);
    input.signal?.addEventListener('abort', onAbort, { once: true });

    let messages: Message[] = [...input.messages];
    let usage: Usage = EMPTY_USAGE;
    let cost: Money = ZERO_MONEY;
    let toolCost: Money = ZERO_MONEY;
    let toolCalls = 0;
    let journal: Promise<void> = Promise.resolve();
    // Events are journaled one at a time, in order; after a failed write nothing more is written.
    const enqueue = (event: AgentEventInput): Promise<void> => {
      journal = journal.then(() => host.emit(event));
      return journal;
    };
    const emit = (event: AgentEventInput): Promise<void> => enqueue(stamped(event, depth, parentCallId));
    // What tools see of the host: nested loops journal their (already stamped) events through this
    // loop's ordered journal, so a failed write stops every loop of the task; once this loop stopped,
    // a nested loop still running (e.g. a model call that ignored the abort) journals nothing more.
    const enqueueNested = (event: AgentEventInput): Promise<void> =>
      controller.signal.aborted ? Promise.reject(aborted(controller.signal.reason)) : enqueue(event);
    const toolHost: AgentHost = forwardHost(host, { emit: enqueueNested });
    const awaitInput = host.awaitInput?.bind(host);
    const admitTool = host.admitTool?.bind(host);

    const scope = (step: number, callId: string): AgentToolScope => ({
      depth,
      step,
      callId,
      limits,
      toolCalls: tally,
      host: toolHost,
      model: input.model,
      maxOutputTokens: input.maxOutputTokens,
    });

    /** The host's admission of one call; `toolCallsBefore` counts the run's calls made before it. */
    const admission = (step: number, toolCallsBefore: number) => (toolCall: ToolCall, tool: Tool) =>
      (admitTool as NonNullable<AgentHost['admitTool']>)({
        step,
        depth,
        callId: toolCall.id,
        tool: tool.name,
        toolCallsBefore,
        costUsd: tool.costUsd ?? 0,
        signal: controller.signal,
      });

    /**
     * Runs the calls not yet completed, journaling each end; results in call order. `callsBefore`
     * gives each call the run's tool calls made before it.
     */
    async function runCalls(step: number, calls: readonly ToolCall[], done: ReadonlyMap<string, ReplayedOutcome>, callsBefore: (call: ToolCall, index: number) => number): Promise<Message[]> {
      const running = calls.map(async (call, index) => {
        const replayed = done.get(call.id);
        if (replayed !== undefined) return resultMessage(call, replayed);
        const outcome = await dispatcher.call(call, {
          runId,
          taskId,
          signal: controller.signal,
          offered,
          agent: scope(step, call.id),
          ...(awaitInput === undefined
            ? {}
            : { approve: (toolCall: ToolCall) => awaitInput({ kind: 'approval', step, callId: toolCall.id, tool: toolCall.name, arguments: toolCall.arguments }) }),
          ...(admitTool === undefined ? {} : { admit: admission(step, callsBefore(call, index)) }),
        });
        if (outcome.ok) {
          // Most tools are free: converting 0 to exact money on every call shows in the benchmark.
          if (outcome.costUsd !== 0) toolCost = addMoney(toolCost, usd(outcome.costUsd));
          await emit({ type: 'tool.completed', taskId, step, callId: call.id, tool: call.name, result: outcome.result, durationMs: outcome.durationMs, costUsd: outcome.costUsd });
        } else {
          await emit({ type: 'tool.failed', taskId, step, callId: call.id, tool: call.name, error: outcome.error.toJSON(), durationMs: outcome.durationMs });
        }
        return resultMessage(call, outcome);
      });
      try {
        return await Promise.all(running);
      } catch (error) {
        // One call stopped the loop: stop its siblings and let each end (permit ended, event
        // journaled) before the loop rejects, so the host hears nothing more from this step.
        controller.abort(error);
        await Promise.allSettled(running);
        throw error;
      }
    }

    try {
      let step = 1;
      for (const replayed of replay.steps) {
        messages.push({ role: 'assistant', content: replayed.output, toolCalls: replayed.calls });
        toolCalls += replayed.calls.length;
        const before = (call: ToolCall) => replayed.callsBefore.get(call.id) ?? tally.count;
        messages.push(...(await runCalls(replayed.step, replayed.calls, replayed.outcomes, before)));
        step = replayed.step + 1;
      }
      for (; step <= maxSteps; step += 1) {
        if (controller.signal.aborted) throw aborted(controller.signal.reason);
        if (step > 1 && host.compact !== undefined) {
          const compacted = await host.compact({ messages, tools: definitions, step });
          checkPairs(compacted);
          messages = [...compacted];
        }
        const answer = await host.callModel(
          {
            model: input.model,
            // A snapshot: the loop goes on appending to its own array after the call.
            messages: [...messages],
            ...(definitions.length > 0 ? { tools: definitions } : {}),
            ...(input.toolChoice === undefined ? {} : { toolChoice: input.toolChoice }),
            maxOutputTokens: input.maxOutputTokens,
          },
          { step, depth, signal: controller.signal },
        );
        usage = addUsage(usage, answer.usage);
        if (answer.costUsd !== 0) cost = addMoney(cost, usd(answer.costUsd));
        const calls = uniqueCallIds(step, answer.result.toolCalls ?? []);
        const kind = calls.length === 0 ? 'final_answer' : 'tool_calls';
        // Text said beside tool calls is journaled, so a resumed loop sends the model the same conversation;
        // a final answer's text is the task's output, journaled with it.
        const said = kind === 'tool_calls' && answer.result.output !== '' ? { output: answer.result.output } : {};
        await emit({ type: 'agent.step', taskId, attempt, step, kind, ...said, toolCalls: calls.length, usage: { ...answer.usage, costUsd: answer.costUsd }, costUsd: answer.costUsd });
        if (calls.length === 0) {
          messages.push({ role: 'assistant', content: answer.result.output });
          return { output: answer.result.output, steps: step, toolCalls, usage, costUsd: moneyToUsd(cost), toolCostUsd: moneyToUsd(toolCost), messages };
        }
        const limit = limits.maxToolCallsPerRun;
        if (limit !== undefined && tally.count + calls.length > limit) {
          throw policyViolation('toolCalls', limit, tally.count + calls.length, `Step ${step} asks for ${calls.length} tool calls; the run may make ${limit} and has made ${tally.count}.`, {
            task: taskId,
            step,
          });
        }
        tally.add(calls.length);
        // Nested loops of this step's calls add to the tally meanwhile: number the calls now.
        const firstCall = tally.count - calls.length;
        toolCalls += calls.length;
        for (const call of calls) await emit({ type: 'tool.called', taskId, step, callId: call.id, tool: call.name, arguments: call.arguments });
        messages.push({ role: 'assistant', content: answer.result.output, toolCalls: calls });
        messages.push(...(await runCalls(step, calls, new Map(), (_call, index) => firstCall + index)));
      }
      throw new ExecutionError({
        code: 'AGENT_MAX_STEPS',
        message: `Task ${taskId} used its ${maxSteps} agent steps without a final answer.`,
        details: { task: taskId, maxSteps },
      });
    } catch (error) {
      // Calls still running (siblings of a failed one) stop with the loop; events already queued
      // (a stopped nested loop's) are written before the loop rejects, so the host hears nothing after.
      controller.abort(error);
      await journal.catch(() => undefined);
      throw error;
    } finally {
      input.signal?.removeEventListener('abort', onAbort);
    }
  }

  return { run };
}
