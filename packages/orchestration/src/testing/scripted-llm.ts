/**
 * A deterministic {@link LlmClient} for tests of code that runs DAGs: per-task latency, failure
 * injection, abort handling and call counting. Not a provider: use `@runtime/providers`' mock
 * client for realistic token usage.
 */
import { ExecutionError, ProviderError, type LlmClient, type LlmRequest, type LlmResult, type Usage } from '@runtime/contracts';

/**
 * Options of {@link createScriptedLlm}.
 * @public
 */
export interface ScriptedLlmOptions {
  /** Latency of a task's call in ms (0: answer on the next microtask). */
  readonly latency?: (taskId: string) => number;
  /** Make a task's call fail with this error. */
  readonly fail?: (taskId: string, call: number) => Error | undefined;
  /** Usage of a task's call. */
  readonly usage?: (taskId: string) => Usage;
  /** Called when a call starts. */
  readonly onCall?: (taskId: string) => void;
  /**
   * Overrides fields of a call's result (e.g. `source: 'dedup'`, or usage computed from the
   * request); applied after `usage`.
   */
  readonly respond?: (taskId: string, request: LlmRequest, call: number) => Partial<LlmResult>;
}

/**
 * One entry of {@link ScriptedLlm.log}.
 * @public
 */
export interface ScriptedLlmLogEntry {
  /** A call started or ended. */
  readonly type: 'start' | 'end';
  /** The task it was for (`unknown` when the call carried no context). */
  readonly taskId: string;
}

/**
 * A scripted client with what it observed.
 * @public
 */
export interface ScriptedLlm extends LlmClient {
  /** Calls per task id. */
  readonly calls: Map<string, number>;
  /** Every request, in call order. */
  readonly requests: LlmRequest[];
  /** Calls in flight now. */
  readonly active: number;
  /** The most calls in flight at once so far. */
  readonly maxActive: number;
  /** Task ids whose call was aborted, in order. */
  readonly aborted: string[];
  /** Starts and ends, in order. */
  readonly log: ScriptedLlmLogEntry[];
}

/**
 * The usage a scripted call reports unless `usage` is given: 10 + id length in, 5 out.
 * @public
 */
export function defaultUsage(taskId: string): Usage {
  return { inputTokens: 10 + taskId.length, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
}

/**
 * Creates a {@link ScriptedLlm}: each call answers `output of <taskId>` after the task's latency
 * (0: on the next microtask; `Infinity`: only an abort ends it), or throws the injected failure.
 * @public
 */
export function createScriptedLlm(options: ScriptedLlmOptions = {}): ScriptedLlm {
  const calls = new Map<string, number>();
  const requests: LlmRequest[] = [];
  const aborted: string[] = [];
  const log: ScriptedLlmLogEntry[] = [];
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
        const result: LlmResult = { output: `output of ${taskId}`, usage: (options.usage ?? defaultUsage)(taskId), finishReason: 'stop', source: 'provider', attempts: 1 };
        return options.respond === undefined ? result : { ...result, ...options.respond(taskId, request, call) };
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

/**
 * A terminal `PROVIDER_ERROR` with `details.status`, for failure injection.
 * @public
 */
export function providerError(status = 500): ProviderError {
  return new ProviderError({ code: 'PROVIDER_ERROR', message: `status ${status}`, details: { status, kind: 'terminal' } });
}
