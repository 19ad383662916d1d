/**
 * Rebuilds a loop's finished steps from the journaled agent events of earlier attempts.
 *
 * @remarks
 * The runner journals a step as `agent.step`, then one `tool.called` per call, and only then runs
 * the calls (each ends in `tool.completed` or `tool.failed`). So a step whose `tool.called` events
 * are all journaled is resumable: completed calls are replayed from their journaled results, the
 * others run again. A step with fewer `tool.called` events than it announced ran no tool and is
 * dropped: its model call is made again. A `final_answer` step is dropped too (its text is the
 * task's output, journaled by the orchestrator, not here).
 *
 * Only the loop's own events are replayed: those of its depth and `parentCallId` (for a task's loop,
 * depth 0: no `depth`, no `parentCallId`). Nested loops journal through the same host, and their step
 * numbers and call ids would otherwise pass for the parent's.
 */
import type { AgentEventInput, ErrorInfo, ToolCall } from '@runtime/contracts';

export type ReplayedOutcome = { readonly ok: true; readonly result: string } | { readonly ok: false; readonly error: ErrorInfo };

export interface ReplayedStep {
  readonly step: number;
  /** The assistant's text said beside its tool calls (journaled `agent.step.output`; `''` when none). */
  readonly output: string;
  readonly calls: readonly ToolCall[];
  /** By call id. */
  readonly outcomes: ReadonlyMap<string, ReplayedOutcome>;
  /** By call id: the run's tool calls journaled before it (all depths), for the host's admission. */
  readonly callsBefore: ReadonlyMap<string, number>;
}

/** Which loop's events to replay. */
export interface ReplayedLoop {
  /** @defaultValue 0 */
  readonly depth?: number;
  readonly parentCallId?: string;
}

export interface Replay {
  /** Resumable steps, in order, numbered 1..n without gaps. */
  readonly steps: readonly ReplayedStep[];
  /** Journaled `tool.called` events of every depth (the run's tool-call tally counts them). */
  readonly toolCalls: number;
}

interface StepDraft {
  announced: number;
  kind: 'tool_calls' | 'final_answer';
  output: string;
  calls: ToolCall[];
  outcomes: Map<string, ReplayedOutcome>;
  callsBefore: Map<string, number>;
}

export function replayHistory(history: readonly AgentEventInput[], loop: ReplayedLoop = {}): Replay {
  const depth = loop.depth ?? 0;
  const drafts = new Map<number, StepDraft>();
  let toolCalls = 0;
  for (const event of history) {
    const own = (event.depth ?? 0) === depth && event.parentCallId === loop.parentCallId;
    if (event.type === 'tool.called') toolCalls += 1;
    if (!own) continue;
    switch (event.type) {
      case 'agent.step':
        // A later attempt may journal the same step again: the latest announcement wins.
        drafts.set(event.step, { announced: event.toolCalls, kind: event.kind, output: event.output ?? '', calls: [], outcomes: new Map(), callsBefore: new Map() });
        break;
      case 'tool.called': {
        const draft = drafts.get(event.step);
        if (draft !== undefined && !draft.calls.some((call) => call.id === event.callId)) {
          draft.calls.push({ id: event.callId, name: event.tool, arguments: event.arguments });
          draft.callsBefore.set(event.callId, toolCalls - 1);
        }
        break;
      }
      case 'tool.completed':
        drafts.get(event.step)?.outcomes.set(event.callId, { ok: true, result: event.result });
        break;
      case 'tool.failed':
        drafts.get(event.step)?.outcomes.set(event.callId, { ok: false, error: event.error });
        break;
    }
  }
  const steps: ReplayedStep[] = [];
  for (let step = 1; ; step += 1) {
    const draft = drafts.get(step);
    if (draft === undefined || draft.kind !== 'tool_calls' || draft.calls.length < draft.announced || draft.announced === 0) break;
    steps.push({ step, output: draft.output, calls: draft.calls, outcomes: draft.outcomes, callsBefore: draft.callsBefore });
  }
  return { steps, toolCalls };
}
