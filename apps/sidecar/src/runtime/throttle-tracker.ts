/**
 * Makes rate-limit waits visible: wraps the policy enforcer, remembers each task's latest
 * throttle (rule, limit, wait) and counts throttled checks.
 *
 * @remarks
 * A task the tier's `rpm`/`rph`/`tpm` holds back stays `ready` in the orchestrator while it waits;
 * the HTTP view shows it as `waiting` with `{reason: "rateLimit", until, details}` until the wait is
 * over or the task moves on. Memory is bounded: at most `maxTracked` tasks are remembered (oldest
 * dropped) and entries end with their wait.
 */
import type { PolicyCheckInput, PolicyDecision, PolicyEnforcer, Task } from '@runtime/contracts';
import type { HttpTaskView } from '../http/run-views.js';

/**
 * A throttle of one task.
 * @public
 */
export interface TaskThrottle {
  /** The rule that refused (`rpm`, `rph`, `tpm`). */
  readonly rule: string;
  /** Its limit. */
  readonly limit: number | string;
  /** Wait the limiter asked for. */
  readonly retryAfterMs: number;
  /** Epoch ms the wait ends. */
  readonly until: number;
}

/**
 * What {@link createThrottleTracker} returns.
 * @public
 */
export interface ThrottleTracker {
  /** The enforcer to hand to the runtime. */
  wrap(enforcer: PolicyEnforcer): PolicyEnforcer;
  /** The task's view with `waiting` when it is throttled now. */
  decorate(runId: string, task: Task): HttpTaskView;
}

/**
 * Creates a {@link ThrottleTracker}.
 * @public
 */
export function createThrottleTracker(options: { readonly maxTracked?: number; readonly now?: () => number; readonly onThrottle?: (rule: string) => void } = {}): ThrottleTracker {
  const maxTracked = options.maxTracked ?? 10_000;
  const now = options.now ?? Date.now;
  const throttles = new Map<string, TaskThrottle>();

  function remember(key: string, throttle: TaskThrottle): void {
    throttles.delete(key);
    throttles.set(key, throttle);
    if (throttles.size > maxTracked) {
      const oldest = throttles.keys().next();
      if (oldest.done !== true) throttles.delete(oldest.value);
    }
  }

  return {
    wrap(enforcer) {
      const check = async (input: PolicyCheckInput): Promise<PolicyDecision> => {
        const decision = await enforcer.check(input);
        const key = `${input.runId}\u0000${input.taskId ?? ''}`;
        if (decision.decision === 'RATE_LIMITED') {
          options.onThrottle?.(decision.rule);
          const retryAfterMs = decision.retryAfterMs ?? 0;
          if (input.taskId !== undefined) remember(key, { rule: decision.rule, limit: decision.limit, retryAfterMs, until: now() + retryAfterMs });
        } else if (input.taskId !== undefined) {
          throttles.delete(key);
        }
        return decision;
      };
      const wrapped: PolicyEnforcer = {
        check,
        settle: (permitId, actualTokens) => enforcer.settle(permitId, actualTokens),
      };
      const release = enforcer.release?.bind(enforcer);
      return release === undefined ? wrapped : { ...wrapped, release };
    },
    decorate(runId, task) {
      if (task.state !== 'ready' && task.state !== 'pending') return task;
      const key = `${runId}\u0000${task.id}`;
      const throttle = throttles.get(key);
      if (throttle === undefined) return task;
      if (throttle.until <= now()) {
        throttles.delete(key);
        return task;
      }
      return {
        ...task,
        state: 'waiting',
        waiting: {
          reason: 'rateLimit',
          until: new Date(throttle.until).toISOString(),
          details: { rule: throttle.rule, limit: throttle.limit, retryAfterMs: throttle.retryAfterMs },
        },
      };
    },
  };
}
