/**
 * Turns a run's events into metrics and structured logs.
 *
 * @remarks
 * Spans are not made here: the library (`@runtime/stack`) records `runtime.run`, `runtime.task` and
 * `chat {model}` spans itself, under the request's W3C `traceparent` (see the README's "Tracing").
 */
import { TERMINAL_EVENT_TYPES, TERMINAL_RUN_STATES, type Orchestrator, type RunId, type RuntimeEvent } from '@runtime/contracts';
import type { Logger } from 'pino';
import type { SidecarMetrics } from './sidecar-metrics.js';

/**
 * Watches runs.
 * @public
 */
export interface RunObserver {
  /** Subscribes to a run until its terminal event; watching a run twice is a no-op. */
  watch(runId: RunId): void;
  /** Runs being watched. */
  readonly watching: number;
  /** `performance.now()` of the last event of any watched run. */
  readonly lastEventAt: number;
  /** Ends every open span and subscription. */
  close(): void;
}

interface RunWatch {
  readonly unsubscribe: () => void;
  readonly taskModels: Map<string, string>;
  readyWaiting: number;
}

/**
 * Creates a {@link RunObserver}.
 * @public
 */
export function createRunObserver(options: {
  readonly orchestrator: Orchestrator;
  readonly metrics: SidecarMetrics;
  readonly logger: Logger;
}): RunObserver {
  const { orchestrator, metrics, logger } = options;
  const watches = new Map<RunId, RunWatch>();
  let lastEventAt = performance.now();

  function finish(runId: RunId, watch: RunWatch): void {
    watch.unsubscribe();
    if (watch.readyWaiting > 0) metrics.queueDepth(-watch.readyWaiting);
    metrics.activeRuns(-1);
    watches.delete(runId);
  }

  function onEvent(runId: RunId, watch: RunWatch, event: RuntimeEvent): void {
    lastEventAt = performance.now();
    const log = logger.child({ runId });
    switch (event.type) {
      case 'task.ready':
        watch.readyWaiting += 1;
        metrics.queueDepth(1);
        metrics.taskTransition('ready');
        break;
      case 'task.started': {
        if (watch.readyWaiting > 0) {
          watch.readyWaiting -= 1;
          metrics.queueDepth(-1);
        }
        metrics.taskTransition('started');
        watch.taskModels.set(event.taskId, event.model);
        log.debug({ taskId: event.taskId, attempt: event.attempt, model: event.model }, 'task started');
        break;
      }
      case 'task.retrying':
        metrics.retry();
        log.warn({ taskId: event.taskId, attempt: event.attempt, delayMs: event.delayMs, code: event.error.code }, 'task retrying');
        break;
      case 'task.completed': {
        metrics.taskTransition('completed');
        log.info({ taskId: event.taskId, usage: event.usage, costUsd: event.costUsd }, 'task completed');
        metrics.usage(watch.taskModels.get(event.taskId) ?? 'unknown', event.usage);
        watch.taskModels.delete(event.taskId);
        break;
      }
      case 'task.failed': {
        metrics.taskTransition('failed');
        // A failed task's calls are paid for too.
        metrics.usage(watch.taskModels.get(event.taskId) ?? 'unknown', event.usage);
        watch.taskModels.delete(event.taskId);
        log.warn({ taskId: event.taskId, code: event.error.code, message: event.error.message }, 'task failed');
        break;
      }
      case 'task.skipped':
        metrics.taskTransition('skipped');
        break;
      case 'provider.circuit':
        metrics.circuit(event.provider, event.model, event.to);
        log.warn({ provider: event.provider, model: event.model, from: event.from, to: event.to }, 'circuit breaker changed');
        break;
      case 'run.completed':
      case 'run.failed':
      case 'run.aborted': {
        const state = event.type.slice('run.'.length);
        metrics.runTransition(state);
        log.info({ state, usage: event.usage }, 'run finished');
        break;
      }
      default:
        break;
    }
    if (TERMINAL_EVENT_TYPES.has(event.type)) finish(runId, watch);
  }

  return {
    get watching() {
      return watches.size;
    },
    get lastEventAt() {
      return lastEventAt;
    },
    watch(runId) {
      if (watches.has(runId)) return;
      const holder: { watch?: RunWatch } = {};
      const unsubscribe = orchestrator.subscribe(runId, (event) => {
        if (holder.watch !== undefined) onEvent(runId, holder.watch, event);
      });
      const watch: RunWatch = { unsubscribe, taskModels: new Map(), readyWaiting: 0 };
      holder.watch = watch;
      watches.set(runId, watch);
      metrics.activeRuns(1);
      // A run that ended before the subscription took effect sends no more events.
      orchestrator.get(runId).then(
        (run) => {
          if (run !== undefined && TERMINAL_RUN_STATES.has(run.state) && watches.get(runId) === watch) {
            metrics.runTransition(run.state);
            finish(runId, watch);
          }
        },
        (error: unknown) => logger.warn({ err: error, runId }, 'run state lookup failed'),
      );
    },
    close() {
      for (const [runId, watch] of [...watches]) finish(runId, watch);
    },
  };
}
