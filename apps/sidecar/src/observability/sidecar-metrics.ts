/**
 * Prometheus metrics of the sidecar (prom-client, one registry per server).
 */
import { moneyToDecimalString, type CircuitState, type Money, type UsageView } from '@runtime/contracts';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The sidecar's metrics.
 * @public
 */
export interface SidecarMetrics {
  /** The registry `/metrics` renders. */
  readonly registry: Registry;
  /** A run changed to `state` (`created`, `resumed`, `completed`, `failed`, `aborted`). */
  runTransition(state: string): void;
  /** A task changed to `state` (`ready`, `started`, `completed`, `failed`, `skipped`). */
  taskTransition(state: string, count?: number): void;
  /** Tokens of a finished task, by type (its cost goes through {@link SidecarMetrics.cost}). */
  usage(model: string, usage: UsageView): void;
  /** The exact cost of one priced provider call (a usage record), summed as Money. */
  cost(model: string, amount: Money): void;
  /** A retry was scheduled. */
  retry(): void;
  /** A circuit breaker moved. */
  circuit(provider: string, model: string, state: CircuitState): void;
  /** Change of tasks waiting for a slot. */
  queueDepth(delta: number): void;
  /** Change of runs in flight in this process. */
  activeRuns(delta: number): void;
  /** One HTTP request. */
  request(method: string, route: string, status: number, seconds: number): void;
  /** One provider call: seconds to the last byte, outcome `ok` or the error code. */
  llmCall(provider: string, model: string, seconds: number, outcome: string): void;
  /** Seconds to the first token of a streamed provider call. */
  llmFirstToken(provider: string, model: string, seconds: number): void;
  /** An LLM call of a task was held back by a tier's rate limit (`rule`: rpm, rph, tpm). */
  throttled(rule: string): void;
  /** Change of open event streams. */
  eventStreams(delta: number): void;
  /** An event-stream subscriber stayed behind and was closed. */
  eventStreamClosedSlow(): void;
}

const CIRCUIT_VALUE: Readonly<Record<CircuitState, number>> = { closed: 0, halfOpen: 1, open: 2 };

/**
 * Creates the metrics in a fresh registry.
 * @param options - `defaultMetrics` adds process metrics (CPU, memory, event loop lag).
 * @public
 */
export function createSidecarMetrics(options: { readonly defaultMetrics?: boolean } = {}): SidecarMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'runtime_' });
  const runs = new Counter({ name: 'runtime_runs_total', help: 'Run state transitions', labelNames: ['state'], registers: [registry] });
  const tasks = new Counter({ name: 'runtime_tasks_total', help: 'Task state transitions', labelNames: ['state'], registers: [registry] });
  const tokens = new Counter({ name: 'runtime_tokens_total', help: 'Tokens by type and model', labelNames: ['type', 'model'], registers: [registry] });
  // Cost is summed as exact Money (femto-USD bigints) from the priced usage records, and rendered
  // from that sum: adding float USD amounts drifts (0.008897499999999985 instead of 0.0088975), and
  // rounding each call to nano-USD first loses sub-nano amounts. The exact decimal converts to the
  // nearest double once, at scrape time.
  const costs = new Map<string, bigint>();
  void new Counter({
    name: 'runtime_cost_usd_total',
    help: 'Cost in USD by model (exact: summed as Money from priced usage records)',
    labelNames: ['model'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [model, total] of costs) this.inc({ model }, Number(moneyToDecimalString(total as Money)));
    },
  });
  const latencyBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
  const llmLatency = new Histogram({
    name: 'runtime_llm_call_duration_seconds',
    help: 'Provider call latency to the last byte, per attempt',
    labelNames: ['provider', 'model', 'outcome'],
    buckets: latencyBuckets,
    registers: [registry],
  });
  const llmFirstToken = new Histogram({
    name: 'runtime_llm_time_to_first_token_seconds',
    help: 'Time to the first token of streamed provider calls',
    labelNames: ['provider', 'model'],
    buckets: latencyBuckets,
    registers: [registry],
  });
  const retries = new Counter({ name: 'runtime_task_retries_total', help: 'Retries scheduled', registers: [registry] });
  const breaker = new Gauge({
    name: 'runtime_circuit_state',
    help: 'Circuit breaker state per provider and model (0 closed, 1 half-open, 2 open)',
    labelNames: ['provider', 'model'],
    registers: [registry],
  });
  const queue = new Gauge({ name: 'runtime_queue_depth', help: 'Tasks ready and waiting for a slot', registers: [registry] });
  const active = new Gauge({ name: 'runtime_runs_active', help: 'Runs in flight in this process', registers: [registry] });
  const latency = new Histogram({
    name: 'runtime_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const streams = new Gauge({ name: 'runtime_event_streams', help: 'Open event-stream subscribers', registers: [registry] });
  const slowStreams = new Counter({
    name: 'runtime_event_streams_closed_slow_total',
    help: 'Event-stream subscribers closed because they stayed behind (they resume with Last-Event-ID)',
    registers: [registry],
  });
  const throttledTasks = new Counter({
    name: 'runtime_tasks_throttled_total',
    help: "LLM calls of tasks held back by a tier's rate limit, by rule",
    labelNames: ['rule'],
    registers: [registry],
  });
  return {
    registry,
    throttled: (rule) => throttledTasks.inc({ rule }),
    llmCall: (provider, model, seconds, outcome) => llmLatency.observe({ provider, model, outcome }, seconds),
    llmFirstToken: (provider, model, seconds) => llmFirstToken.observe({ provider, model }, seconds),
    eventStreams: (delta) => streams.inc(delta),
    eventStreamClosedSlow: () => slowStreams.inc(),
    runTransition: (state) => runs.inc({ state }),
    taskTransition: (state, count = 1) => tasks.inc({ state }, count),
    usage(model, usage) {
      tokens.inc({ type: 'input', model }, usage.inputTokens);
      tokens.inc({ type: 'output', model }, usage.outputTokens);
      tokens.inc({ type: 'cacheRead', model }, usage.cacheReadTokens);
      tokens.inc({ type: 'cacheWrite', model }, usage.cacheWriteTokens);
      tokens.inc({ type: 'reasoning', model }, usage.reasoningTokens);
    },
    cost(model, amount) {
      costs.set(model, (costs.get(model) ?? 0n) + amount);
    },
    retry: () => retries.inc(),
    circuit: (provider, model, state) => breaker.set({ provider, model }, CIRCUIT_VALUE[state]),
    queueDepth: (delta) => queue.inc(delta),
    activeRuns: (delta) => active.inc(delta),
    request: (method, route, status, seconds) => latency.observe({ method, route, status: String(status) }, seconds),
  };
}
