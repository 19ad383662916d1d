/**
 * The composition root: one call that wires cost, context, orchestration, providers and policy.
 *
 * @remarks
 * Defaults are the embedded, offline ones: the built-in token estimator and calculator, an
 * in-memory budget ledger, usage tracker, memory store and run store, and — when no provider
 * client is given — the deterministic mock provider with the {@link OFFLINE_CATALOG} models. Every
 * part can be replaced by passing it. Not responsible for HTTP (the sidecar) or durable stores
 * beyond what is passed in (use `@runtime/orchestration/sqlite` for a SQLite run store).
 */
import type {
  AgentLimits,
  BudgetLedger,
  Clock,
  ContextBuilder,
  ContextCompactor,
  ContextRouter,
  CostCalculator,
  LlmClient,
  MemoryStore,
  ModelCatalog,
  PolicyEnforcer,
  Run,
  RunSpec,
  RunStore,
  TokenEstimator,
  Tool,
  ToolRegistry,
  UsageTracker,
} from '@runtime/contracts';
import { createAgentRunner, createToolRegistry } from '@runtime/agent';
import { createContextBuilder, createContextCompactor, createContextRouter, createMemoryStore } from '@runtime/context';
import {
  createBudgetLedger,
  createCostCalculator,
  createModelCatalog,
  createTokenEstimator,
  createUsageTracker,
} from '@runtime/cost';
import { createMemoryRunStore, createOrchestrator, type DurableOrchestrator } from '@runtime/orchestration';
import { createPolicyEnforcer } from '@runtime/policy';
import {
  createMockLlmClient,
  createProviderRouter,
  createResilientClient,
  type ResilientClientOptions,
} from '@runtime/providers';
import { OFFLINE_CATALOG } from './offline-models.js';
import { streamRun, type RuntimeStreamOptions, type RuntimeStreamPart } from './stream.js';
import { createTracing, tracedOrchestrator, tracedResilience, type RuntimeRunOptions, type RuntimeTracing, type RuntimeTracingOptions } from './tracing.js';

/**
 * Options of {@link createRuntime}; every field is optional.
 * @public
 */
export interface RuntimeOptions {
  /**
   * The models. @defaultValue the built-in catalog when `clients` is given, else the
   * {@link OFFLINE_CATALOG} mock models only
   */
  readonly catalog?: ModelCatalog;
  /**
   * Provider clients by the provider name the catalog uses (`openai`, `anthropic`, …); requests
   * are routed by their model's provider. A `mock` client is added unless one is given.
   */
  readonly clients?: Readonly<Record<string, LlmClient>>;
  /** Resilience settings of the client wrapped around the provider router (`false`: no wrapper). @defaultValue `{}` */
  readonly resilience?: ResilientClientOptions | false;
  /** Replaces the whole model-call chain (router + resilience) with this client. */
  readonly llm?: LlmClient;
  /** Token counting. @defaultValue `createTokenEstimator({ catalog })` */
  readonly estimator?: TokenEstimator;
  /** Pricing. @defaultValue `createCostCalculator({ catalog })` */
  readonly costs?: CostCalculator;
  /** Budgets. @defaultValue an in-memory ledger */
  readonly ledger?: BudgetLedger;
  /** Priced usage records. @defaultValue an in-memory tracker */
  readonly usage?: UsageTracker;
  /** Context assembly. @defaultValue `createContextBuilder({ estimator })` */
  readonly builder?: ContextBuilder;
  /**
   * Context compaction. @defaultValue `createContextCompactor({ estimator, summarizer: llm })`, so the
   * `summarize` strategy writes its summary with the task's model through the same client chain
   */
  readonly compactor?: ContextCompactor;
  /** Dependency output routing. @defaultValue `createContextRouter({ estimator })` */
  readonly router?: ContextRouter;
  /** Run memory. @defaultValue an in-memory store */
  readonly memory?: MemoryStore;
  /**
   * Guard rails before each call: an enforcer, `true` for `createPolicyEnforcer({ catalog })` with
   * the default tiers, or `false` for none. @defaultValue false
   */
  readonly policy?: PolicyEnforcer | boolean;
  /** The journal. @defaultValue an in-memory run store */
  readonly store?: RunStore;
  /** Time source. */
  readonly clock?: Clock;
  /** Holder id of this process for runs and reservations. */
  readonly owner?: string;
  /**
   * How long a run's owner lease lasts without renewal; a crashed process's runs are taken over
   * (resumed) by another once it expires. @defaultValue 30000 (the orchestrator's)
   */
  readonly leaseTtlMs?: number;
  /**
   * How often this process looks for changes other processes asked of the runs it executes
   * (`abort`, `addTasks`, `provideInput` on another replica), in ms. @defaultValue 100 (the orchestrator's)
   */
  readonly inboxPollMs?: number;
  /** How often a change asked of another process's run reads its outcome, in ms. @defaultValue 50 */
  readonly requestPollMs?: number;
  /** Longest wait for another process's answer to such a change, in ms; then `RUN_OWNED`. @defaultValue `2 × leaseTtlMs` */
  readonly requestTimeoutMs?: number;
  /** Output cap of tasks that set none. @defaultValue 4096 */
  readonly defaultMaxOutputTokens?: number;
  /** Parallelism of runs whose policy sets none. @defaultValue 4 */
  readonly defaultMaxParallelism?: number;
  /**
   * OpenTelemetry spans of runs, tasks and provider calls (GenAI conventions) through
   * `@opentelemetry/api` when it is installed; a no-op without an SDK registered. `false` turns
   * it off. See the README's "Tracing". @defaultValue true
   */
  readonly tracing?: boolean | RuntimeTracingOptions;
  /**
   * Tools agent tasks (`TaskSpec.agent`) may call: a list (registered in a new registry) or a
   * registry (`createToolRegistry` of `@runtime/agent`). Agent tasks run through `createAgentRunner`
   * over it; a task naming a tool that is not there is refused with `VALIDATION_FAILED`.
   * @defaultValue no tools (agent tasks without tools still run)
   */
  readonly tools?: readonly Tool[] | ToolRegistry;
  /** Tier limits of every agent loop (`maxToolCallsPerRun`, `maxDepth`, `allowedTools`, default `maxSteps`). */
  readonly agentLimits?: AgentLimits;
}

/**
 * A wired runtime: the orchestrator and every collaborator it was built from.
 * @public
 */
export interface Runtime {
  /** Runs DAGs; resumes interrupted runs (`resumeAll`, `watchResumable`) and shuts down (`close`). */
  readonly orchestrator: DurableOrchestrator;
  /** The models. */
  readonly catalog: ModelCatalog;
  /** Token counting. */
  readonly estimator: TokenEstimator;
  /** Pricing. */
  readonly costs: CostCalculator;
  /** Budgets. */
  readonly ledger: BudgetLedger;
  /** Priced usage, for billing reports. */
  readonly usage: UsageTracker;
  /** Run memory. */
  readonly memory: MemoryStore;
  /** The model calls as the orchestrator makes them. */
  readonly llm: LlmClient;
  /** Guard rails, when enabled. */
  readonly policy: PolicyEnforcer | undefined;
  /** The journal. */
  readonly store: RunStore;
  /** Starts a run and resolves with its final view (traced under `options.traceParent`). */
  run(spec: RunSpec, options?: RuntimeRunOptions): Promise<Run>;
  /** Starts a run (traced under `options.traceParent`) and resolves once it is journaled. */
  start(spec: RunSpec, options?: RuntimeRunOptions): Promise<Run>;
  /**
   * Starts a run and yields its parts as they happen: text and tool-call fragments of streaming
   * tasks (every task streams unless it or the policy sets `stream: false`), each task's output,
   * usage and cost, then the final run. Leaving the loop early aborts the run (`onBreak: 'detach'`
   * lets it go on). See {@link RuntimeStreamPart}.
   *
   * @example
   * ```ts
   * for await (const part of runtime.stream({ tasks: [{ id: 'poem', prompt: 'A haiku about budgets.' }] })) {
   *   if (part.type === 'text-delta') process.stdout.write(part.text);
   *   if (part.type === 'finish') console.log(`\n${part.run.state}, $${part.run.usage.costUsd}`);
   * }
   * ```
   */
  stream(spec: RunSpec, options?: RuntimeStreamOptions): AsyncIterable<RuntimeStreamPart>;
  /** Closes the run store. */
  close(): Promise<void>;
}

/**
 * Creates a {@link Runtime} with the defaults wired.
 *
 * @example
 * ```ts
 * import { createRuntime } from '@runtime/stack';
 *
 * const runtime = createRuntime();
 * const run = await runtime.run({
 *   tasks: [
 *     { id: 'outline', prompt: 'Outline a post about budgets.' },
 *     { id: 'draft', prompt: 'Write the post.', deps: ['outline'] },
 *   ],
 *   policy: { budgetUsd: 0.5, maxParallelism: 4 },
 * });
 * console.log(run.state, run.usage.costUsd);
 * ```
 * @public
 */
export function createRuntime(options: RuntimeOptions = {}): Runtime {
  const catalog =
    options.catalog ??
    (options.clients === undefined ? createModelCatalog({ builtin: false, catalogs: [OFFLINE_CATALOG] }) : createModelCatalog());
  const estimator = options.estimator ?? createTokenEstimator({ catalog });
  const costs = options.costs ?? createCostCalculator({ catalog });
  const ledger = options.ledger ?? createBudgetLedger(options.clock === undefined ? {} : { clock: options.clock });
  const usage = options.usage ?? createUsageTracker();
  const memory = options.memory ?? createMemoryStore(options.clock === undefined ? {} : { clock: options.clock });
  const store = options.store ?? createMemoryRunStore();
  // Tracing (tracing.ts): provider clients are wrapped below the router, runs are started traced.
  const tracing = createTracing(options.tracing);
  const llm = options.llm === undefined ? defaultLlm(catalog, estimator, options, tracing) : (tracing?.wrapClient(options.llm) ?? options.llm);
  const policy =
    options.policy === true ? createPolicyEnforcer({ catalog }) : options.policy === false || options.policy === undefined ? undefined : options.policy;
  const orchestrator = createOrchestrator({
    catalog,
    estimator,
    costs,
    ledger,
    usage,
    builder: options.builder ?? createContextBuilder({ estimator }),
    compactor: options.compactor ?? createContextCompactor({ estimator, summarizer: llm }),
    router: options.router ?? createContextRouter({ estimator }),
    memory,
    llm,
    store,
    ...(policy === undefined ? {} : { policy }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.owner === undefined ? {} : { owner: options.owner }),
    ...(options.leaseTtlMs === undefined ? {} : { leaseTtlMs: options.leaseTtlMs }),
    ...(options.inboxPollMs === undefined ? {} : { inboxPollMs: options.inboxPollMs }),
    ...(options.requestPollMs === undefined ? {} : { requestPollMs: options.requestPollMs }),
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
    ...(options.defaultMaxOutputTokens === undefined ? {} : { defaultMaxOutputTokens: options.defaultMaxOutputTokens }),
    ...(options.defaultMaxParallelism === undefined ? {} : { defaultMaxParallelism: options.defaultMaxParallelism }),
    agents: agentOptions(options),
  });
  const start = (spec: RunSpec, startOptions: RuntimeRunOptions = {}): Promise<Run> => {
    if (tracing !== undefined) return tracing.start(orchestrator, spec, startOptions);
    const { traceParent: _untraced, ...rest } = startOptions;
    return orchestrator.start(spec, rest);
  };
  return {
    orchestrator,
    catalog,
    estimator,
    costs,
    ledger,
    usage,
    memory,
    llm,
    policy,
    store,
    async run(spec, startOptions) {
      const started = await start(spec, startOptions);
      return orchestrator.wait(started.id);
    },
    start,
    close: () => store.close(),
    // Streaming (stream.ts).
    stream: (spec, streamOptions) => streamRun(tracing === undefined ? orchestrator : tracedOrchestrator(orchestrator, tracing), spec, streamOptions),
  };
}

/** Agent tasks: the runner of `@runtime/agent` over the given tools (or an empty registry). */
function agentOptions(options: RuntimeOptions): { runner: ReturnType<typeof createAgentRunner>; tools: ToolRegistry; limits?: AgentLimits } {
  const given = options.tools;
  const tools = given === undefined ? createToolRegistry([]) : isRegistry(given) ? given : createToolRegistry(given);
  return { runner: createAgentRunner({ registry: tools }), tools, ...(options.agentLimits === undefined ? {} : { limits: options.agentLimits }) };
}

function isRegistry(tools: readonly Tool[] | ToolRegistry): tools is ToolRegistry {
  return !Array.isArray(tools);
}

function defaultLlm(catalog: ModelCatalog, estimator: TokenEstimator, options: RuntimeOptions, tracing: RuntimeTracing | undefined): LlmClient {
  const clients: Record<string, LlmClient> = { mock: createMockLlmClient({ estimator }), ...options.clients };
  // One CLIENT span per provider attempt: the adapters are traced below the router and retries.
  if (tracing !== undefined) for (const [name, client] of Object.entries(clients)) clients[name] = tracing.wrapClient(client);
  const router = createProviderRouter({ catalog, clients });
  if (options.resilience === false) return router;
  const resilience = options.resilience ?? {};
  return createResilientClient(router, tracing === undefined ? resilience : tracedResilience(resilience, tracing));
}
