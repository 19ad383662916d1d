/** A deterministic LlmClient for tests: per-task latency, failure injection, call counting. */
import { ExecutionError, ProviderError, type LlmClient, type LlmRequest, type LlmResult, type Usage } from '@runtime/contracts';

export interface ScriptedLlmOptions {
  /** Latency of a task's call in ms (0: answer on the next microtask). */
  readonly latency?: (taskId: string) => number;
  /** Make a task's call fail with this error. */
  readonly fail?: (taskId: string, call: number) => Error | undefined;
  /** Usage of a task's call. */
  readonly usage?: (taskId: string) => Usage;
  /** Called when a call starts. */
  readonly onCall?: (taskId: string) => void;
}

export interface ScriptedLlm extends LlmClient {
  readonly calls: Map<string, number>;
  readonly requests: LlmRequest[];
  readonly active: number;
  readonly maxActive: number;
  readonly aborted: string[];
  readonly log: { readonly type: 'start' | 'end'; readonly taskId: string }[];
}

export function defaultUsage(taskId: string): Usage {
  return { inputTokens: 10 + taskId.length, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
}

export function createScriptedLlm(options: ScriptedLlmOptions = {}): ScriptedLlm {
  const calls = new Map<string, number>();
  const requests: LlmRequest[] = [];
  const aborted: string[] = [];
  const log: { type: 'start' | 'end'; taskId: string }[] = [];
  let active = 0;
  let maxActive = 0;
  const client: ScriptedLlm = {
    provider: 'scripted',
    calls,
    requests,
    aborted,
    log,
    get active() {
      return active;
    },
    get maxActive() {
      return maxActive;
    },
    complete(request, callOptions = {}) {
      const taskId = String(callOptions.context?.taskId ?? 'unknown');
      const call = (calls.get(taskId) ?? 0) + 1;
      calls.set(taskId, call);
      requests.push(request);
      options.onCall?.(taskId);
      active += 1;
      maxActive = Math.max(maxActive, active);
      log.push({ type: 'start', taskId });
      const latency = options.latency?.(taskId) ?? 0;
      const answer = (): LlmResult => {
        const failure = options.fail?.(taskId, call);
        if (failure !== undefined) throw failure;
        return { output: `output of ${taskId}`, usage: (options.usage ?? defaultUsage)(taskId), finishReason: 'stop', source: 'provider', attempts: 1 };
      };
      const end = (): void => {
        active -= 1;
        log.push({ type: 'end', taskId });
      };
      if (latency === 0 && callOptions.signal?.aborted !== true) {
        return Promise.resolve().then(() => {
          end();
          return answer();
        });
      }
      return new Promise<LlmResult>((resolve, reject) => {
        const signal = callOptions.signal;
        const onAbort = (): void => {
          clearTimeout(timer);
          aborted.push(taskId);
          end();
          reject(new ExecutionError({ code: 'RUN_ABORTED', message: 'aborted', details: {} }));
        };
        const timer = latency === Number.POSITIVE_INFINITY ? undefined : setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          end();
          try {
            resolve(answer());
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        }, latency);
        if (signal?.aborted === true) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
  return client;
}

export function providerError(status = 500): ProviderError {
  return new ProviderError({ code: 'PROVIDER_ERROR', message: `status ${status}`, details: { status, kind: 'terminal' } });
}
