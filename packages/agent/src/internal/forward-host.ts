/** A host that hands a loop's needs on to another host: what tools and nested loops are given. */
import type { AgentHost } from '@runtime/contracts';

export interface ForwardOptions {
  /** Journals instead of `parent.emit` (the calling loop's ordered journal). */
  readonly emit?: AgentHost['emit'];
  /**
   * Prefix of the call ids of questions (`${prefix}/${callId}`; `subAgentTool` gives
   * `${step}:${parentCallId}`): a nested loop's questions never collide with its parent's, which the
   * host keys by step, kind and call id.
   */
  readonly questionPrefix?: string;
}

/**
 * Forwards `callModel`, `emit`, `awaitInput`, `admitTool` and `compact` to `parent`; never its
 * `history` (a nested loop starts afresh).
 */
export function forwardHost(parent: AgentHost, options: ForwardOptions = {}): AgentHost {
  const { questionPrefix } = options;
  const awaitInput = parent.awaitInput?.bind(parent);
  const admitTool = parent.admitTool?.bind(parent);
  const compact = parent.compact?.bind(parent);
  return {
    callModel: (request, call) => parent.callModel(request, call),
    emit: options.emit ?? ((event) => parent.emit(event)),
    ...(awaitInput === undefined
      ? {}
      : {
          awaitInput:
            questionPrefix === undefined
              ? awaitInput
              : (request) => awaitInput(request.callId === undefined ? request : { ...request, callId: `${questionPrefix}/${request.callId}` }),
        }),
    ...(admitTool === undefined ? {} : { admitTool }),
    ...(compact === undefined ? {} : { compact }),
  };
}
