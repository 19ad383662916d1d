/**
 * Turns a run's events into metrics, structured logs and OpenTelemetry spans.
 *
 * @remarks
 * Spans: one `runtime.run` span per run and one `chat <model>` span per task attempt with the
 * `gen_ai.*` semantic-convention attributes (`gen_ai.operation.name`, `gen_ai.request.model`,
 * `gen_ai.usage.input_tokens`, `gen_ai.usage.output_tokens`, cache and reasoning tokens) and
 * `runtime.cost.usd`. With no OpenTelemetry SDK registered the API is a no-op.
 */
import { context, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
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

const tracer = trace.getTracer('@runtime/sidecar');

interface RunWatch {
  readonly unsubscribe: () => void;
  readonly runSpan: Span;
  readonly taskSpans: Map<string, Span>;
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
    for (const span of watch.taskSpans.values()) span.end();
    watch.runSpan.end();
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
        const parent = trace.setSpan(context.active(), watch.runSpan);
        const span = tracer.startSpan(
          `chat ${event.model}`,
          {
            attributes: {
              'gen_ai.operation.name': 'chat',
              'gen_ai.request.model': event.model,
              'runtime.run.id': runId,
              'runtime.task.id': event.taskId,
              'runtime.task.attempt': event.attempt,
            },
          },
          parent,
        );
        watch.taskSpans.get(event.taskId)?.end();
        watch.taskSpans.set(event.taskId, span);
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
        const span = watch.taskSpans.get(event.taskId);
        if (span !== undefined) {
          span.setAttributes({
            'gen_ai.usage.input_tokens': event.usage.inputTokens,
            'gen_ai.usage.output_tokens': event.usage.outputTokens,
            'gen_ai.usage.cache_read_input_tokens': event.usage.cacheReadTokens,
            'gen_ai.usage.cache_creation_input_tokens': event.usage.cacheWriteTokens,
            'gen_ai.usage.reasoning_tokens': event.usage.reasoningTokens,
            'runtime.cost.usd': event.costUsd,
          });
          span.setStatus({ code: SpanStatusCode.OK });
          span.end();
          watch.taskSpans.delete(event.taskId);
        }
        log.info({ taskId: event.taskId, usage: event.usage, costUsd: event.costUsd }, 'task completed');
        metrics.usage(watch.taskModels.get(event.taskId) ?? 'unknown', event.usage);
        break;
      }
      case 'task.failed': {
        metrics.taskTransition('failed');
        const span = watch.taskSpans.get(event.taskId);
        if (span !== undefined) {
          span.setAttributes({ 'error.type': event.error.code, 'runtime.cost.usd': event.usage.costUsd });
          span.setStatus({ code: SpanStatusCode.ERROR, message: event.error.message });
          span.end();
          watch.taskSpans.delete(event.taskId);
        }
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
        watch.runSpan.setAttributes({
          'runtime.run.state': state,
          'gen_ai.usage.input_tokens': event.usage.inputTokens,
          'gen_ai.usage.output_tokens': event.usage.outputTokens,
          'runtime.cost.usd': event.usage.costUsd,
        });
        if (event.type === 'run.failed') watch.runSpan.setStatus({ code: SpanStatusCode.ERROR, message: event.error.message });
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
      const runSpan = tracer.startSpan('runtime.run', { attributes: { 'runtime.run.id': runId } });
      const holder: { watch?: RunWatch } = {};
      const unsubscribe = orchestrator.subscribe(runId, (event) => {
        if (holder.watch !== undefined) onEvent(runId, holder.watch, event);
      });
      const watch: RunWatch = { unsubscribe, runSpan, taskSpans: new Map(), taskModels: new Map(), readyWaiting: 0 };
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
