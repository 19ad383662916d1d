/**
 * A journaling host over a scripted model, for the runner's unit tests: the model is a function of
 * the conversation (so a resumed loop that rebuilt the conversation gets the same answers), the
 * journal is an array, and a crash can be injected right after the n-th event is durable.
 */
import { EMPTY_USAGE, addUsage } from '@runtime/contracts';
import type {
  AgentEventInput,
  AgentHost,
  AgentInputRequest,
  AgentInputResponse,
  AgentModelCall,
  LlmRequest,
  LlmResult,
  Message,
  ToolCall,
  Usage,
} from '@runtime/contracts';

export type ScriptedAnswer = { readonly output?: string; readonly toolCalls?: readonly ToolCall[] };
export type Script = (messages: readonly Message[], request: LlmRequest) => ScriptedAnswer;

export class Crash extends Error {
  constructor(readonly afterEvents: number) {
    super(`crash after event ${afterEvents}`);
  }
}

export interface ScriptedHostOptions {
  readonly script: Script;
  readonly history?: readonly AgentEventInput[];
  /** Throw {@link Crash} right after this many events are journaled (this host's own events). */
  readonly crashAfter?: number;
  readonly costPerStepUsd?: number;
  readonly awaitInput?: (request: AgentInputRequest) => Promise<AgentInputResponse>;
  readonly compact?: AgentHost['compact'];
  /** Admits each tool call right before it runs (the host's `admitTool`). */
  readonly admitTool?: AgentHost['admitTool'];
  /** Throws instead of calling the model at this step (e.g. a budget refusal). */
  readonly refuseAt?: (request: LlmRequest, call: AgentModelCall) => Error | undefined;
}

export interface ScriptedHost extends AgentHost {
  readonly journal: AgentEventInput[];
  readonly requests: LlmRequest[];
  readonly calls: AgentModelCall[];
  readonly billed: () => Usage;
}

export const STEP_USAGE: Usage = { ...EMPTY_USAGE, inputTokens: 10, outputTokens: 5 };

/** Steps so far in a conversation: its assistant messages. */
export function stepOf(messages: readonly Message[]): number {
  return messages.filter((message) => message.role === 'assistant').length + 1;
}

export function createScriptedHost(options: ScriptedHostOptions): ScriptedHost {
  const journal: AgentEventInput[] = [];
  const requests: LlmRequest[] = [];
  const calls: AgentModelCall[] = [];
  let billed: Usage = EMPTY_USAGE;
  return {
    journal,
    requests,
    calls,
    billed: () => billed,
    ...(options.history === undefined ? {} : { history: options.history }),
    ...(options.awaitInput === undefined ? {} : { awaitInput: options.awaitInput }),
    ...(options.compact === undefined ? {} : { compact: options.compact }),
    ...(options.admitTool === undefined ? {} : { admitTool: options.admitTool }),
    callModel(request, call) {
      const refusal = options.refuseAt?.(request, call);
      if (refusal !== undefined) return Promise.reject(refusal);
      requests.push(request);
      calls.push(call);
      const answer = options.script(request.messages, request);
      const toolCalls = answer.toolCalls ?? [];
      const result: LlmResult = {
        output: answer.output ?? '',
        ...(toolCalls.length > 0 ? { toolCalls } : {}),
        usage: STEP_USAGE,
        finishReason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
      };
      billed = addUsage(billed, STEP_USAGE);
      return Promise.resolve({ result, usage: STEP_USAGE, costUsd: options.costPerStepUsd ?? 0.001 });
    },
    emit(event) {
      journal.push(event);
      if (options.crashAfter !== undefined && journal.length === options.crashAfter) return Promise.reject(new Crash(journal.length));
      return Promise.resolve();
    },
  };
}

export function call(id: string, name: string, args: unknown): ToolCall {
  return { id, name, arguments: JSON.stringify(args) };
}
