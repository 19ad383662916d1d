/**
 * Composes the domain packages for the sidecar from its configuration, through `@runtime/stack`'s
 * `createRuntime` (the composition root) with the parts the configuration decides.
 *
 * @remarks
 * Store: SQLite (`@runtime/orchestration/sqlite`), PostgreSQL (`@runtime/orchestration/postgres`,
 * shared by replicas; its migrations run before anything else opens, a failure is a
 * `STORE_ERROR` naming the dependency) or memory; ledger: memory or Redis (`@runtime/cost/redis`);
 * rate limits: memory or the same Redis; tenant budgets: the ledger scope `tenant:<name>` every run
 * of the tenant also charges; providers: one client per `providers` entry (OpenAI-compatible,
 * Anthropic or mock) behind the provider router; zero config: one mock client answering for every
 * provider of the built-in catalog. Tiers: `@runtime/policy` defaults with the config's overrides;
 * each API key's tenant is assigned its tier; with auth off tenant `default` gets tier `default`:
 * no rate limit unless the config sets `tiers.default`.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  usd,
  ValidationError,
  type LlmClient,
  type ModelCatalog,
  type ModelRole,
  type ProviderConfig,
  type RunStore,
  type TierPolicy,
  type TokenEstimator,
  type UsageRecord,
} from '@runtime/contracts';
import { BUILTIN_MODELS, createCostCalculator, createModelCatalog, createTokenEstimator } from '@runtime/cost';
import { createRedisBudgetLedger } from '@runtime/cost/redis';
import { createPolicyEnforcer, createRateLimiter, createTierResolver, DEFAULT_TIERS, unlimitedTier } from '@runtime/policy';
import {
  createAnthropicClient,
  createMockLlmClient,
  createOpenAiCompatibleClient,
  type ResilienceEvent,
} from '@runtime/providers';
import { createRedisRateLimiter } from '@runtime/policy/redis';
import { createToolRegistry } from '@runtime/agent';
import { createRuntime } from '@runtime/stack';
import type { ResolvedConfig } from '../config/load-config.js';
import { buildConfiguredTools } from '../config/tool-config.js';
import { createDrainGate } from './drain-gate.js';
import { openRunStore, tenantBudgetError } from './open-run-store.js';
import { createRedisConnection } from './redis-connection.js';
import { createThrottleTracker } from './throttle-tracker.js';
import { createBoundedUsageTracker } from './bounded-usage-tracker.js';
import { timeLlmCalls, type LlmCallTimings } from './llm-call-timer.js';
import type { DependencyHealth, SidecarRuntime } from './sidecar-runtime.js';

/**
 * Parts the caller supplies instead of the configured ones.
 * @public
 */
export interface SidecarRuntimeOverrides {
  /** Clients by provider name, replacing configured or default ones (built once the catalog exists). */
  readonly clients?: (parts: { readonly catalog: ModelCatalog; readonly estimator: TokenEstimator }) => Readonly<Record<string, LlmClient>>;
  /** Receives the resilient client's events (retries, circuit changes, dedup). */
  readonly onProviderEvent?: (event: ResilienceEvent) => void;
  /** Where `apiKeyEnv` variables are read. @defaultValue `process.env` */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Prefix of every Redis key. @defaultValue `'agent-runtime:'` */
  readonly redisKeyPrefix?: string;
  /** Receives the latency and time to first token of every provider call. */
  readonly llmTimings?: LlmCallTimings;
  /** Told of every LLM call a tier's rate limit holds back (the rule). */
  readonly onThrottle?: (rule: string) => void;
  /** Owner id written into runs (resume after this owner's crash). @defaultValue `<host>:<pid>:<8 random hex digits>` */
  readonly owner?: string;
  /** Told of every priced provider call (exact Money cost), e.g. for the cost metric. */
  readonly onUsage?: (record: UsageRecord) => void;
}

/**
 * The tier of tenant `default` when auth is off.
 * @public
 */
export const ANONYMOUS_TIER = 'default';

/** Enterprise's depth, context and budget caps, no rate limit, the largest parallelism. */
function anonymousTier(): TierPolicy {
  return { ...unlimitedTier(ANONYMOUS_TIER, DEFAULT_TIERS.enterprise), maxParallelism: 256 };
}

function configError(field: string, message: string): ValidationError {
  return new ValidationError({ code: 'VALIDATION_FAILED', message: `Invalid config at ${field}: ${message}`, details: { field } });
}

function clientFor(name: string, provider: ProviderConfig, env: Readonly<Record<string, string | undefined>>): LlmClient {
  let apiKey: string | undefined;
  if (provider.apiKeyEnv !== undefined) {
    apiKey = env[provider.apiKeyEnv];
    if (apiKey === undefined || apiKey === '') throw configError(`providers.${name}.apiKeyEnv`, `environment variable ${provider.apiKeyEnv} is not set.`);
  }
  const common = {
    provider: name,
    ...(provider.baseUrl === undefined ? {} : { baseUrl: provider.baseUrl }),
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(provider.headers === undefined ? {} : { headers: provider.headers }),
    ...(provider.timeoutMs === undefined ? {} : { timeoutMs: provider.timeoutMs }),
  };
  switch (provider.type) {
    case 'openai-compatible':
      return createOpenAiCompatibleClient(common);
    case 'anthropic':
      return createAnthropicClient(common);
    case 'mock':
      return createMockLlmClient({ provider: name, recordCalls: false });
  }
}

/**
 * The catalog: with a `providers` section, only the built-in models of configured providers plus
 * the config's models (roles from the config's models where they name one); without it, the whole
 * built-in catalog plus the config's models.
 */
function createCatalog(config: ResolvedConfig): ModelCatalog {
  const file = config.config;
  const defaultModel = file.defaultModel === undefined ? {} : { defaultModel: file.defaultModel };
  if (file.providers === undefined) {
    return createModelCatalog({ ...(file.models === undefined ? {} : { catalogs: [{ models: file.models }] }), ...defaultModel });
  }
  const providers = new Set(Object.keys(file.providers));
  const configured = file.models ?? [];
  const roles: Partial<Record<ModelRole, string>> = {};
  for (const model of configured) if (model.role !== undefined) roles[model.role] ??= model.id;
  return createModelCatalog({
    builtin: false,
    catalogs: [{ models: [...BUILTIN_MODELS.filter((model) => providers.has(model.provider)), ...configured] }],
    roles,
    ...defaultModel,
  });
}

/**
 * The sidecar runtime plus the resilient provider chain itself, for callers that make model calls
 * outside a run (the `runtime plan` CLI's planning calls).
 * @public
 */
export interface SidecarRuntimeWithLlm extends SidecarRuntime {
  /** The resilient client over the configured providers (retries, circuit breakers, dedup, drain gate). */
  readonly llm: LlmClient;
}

/**
 * Builds the runtime.
 * @throws {@link ValidationError} for config the domain rejects (unknown model references, unset
 * key variables, unsupported store).
 * @public
 */
export async function createSidecarRuntime(config: ResolvedConfig, overrides: SidecarRuntimeOverrides = {}): Promise<SidecarRuntimeWithLlm> {
  const file = config.config;
  const env = overrides.env ?? process.env;
  // Before anything opens a connection: a header variable that is not set refuses the start.
  const tools = createToolRegistry(buildConfiguredTools(config.tools, env));
  const catalog = createCatalog(config);
  const estimator = createTokenEstimator({ catalog });
  const calculator = createCostCalculator({ catalog });
  const redisUrl = file.ledger?.kind === 'redis' ? file.ledger.url : config.rateLimits.kind === 'redis' ? config.rateLimits.url : undefined;
  const redis = redisUrl === undefined ? undefined : createRedisConnection(redisUrl);
  const storeKind = config.store.kind;
  const keyPrefix = overrides.redisKeyPrefix ?? env['RUNTIME_REDIS_PREFIX'] ?? 'agent-runtime:';
  const ledger = redis === undefined || file.ledger?.kind !== 'redis' ? undefined : createRedisBudgetLedger({ redis: redis.redis, keyPrefix: `${keyPrefix}ledger:` });

  const clients: Record<string, LlmClient> = {};
  if (file.providers === undefined) {
    const mock = createMockLlmClient({ provider: 'mock', estimator, recordCalls: false });
    for (const model of catalog.list()) clients[model.provider] = mock;
    clients['mock'] = mock;
  } else {
    for (const [name, provider] of Object.entries(file.providers)) clients[name] = clientFor(name, provider, env);
  }
  for (const [name, client] of Object.entries(overrides.clients?.({ catalog, estimator }) ?? {})) clients[name] = client;
  const gate = createDrainGate();
  const timings = overrides.llmTimings;
  for (const [name, client] of Object.entries(clients)) clients[name] = gate.wrap(timings === undefined ? client : timeLlmCalls(client, timings));
  for (const model of catalog.list()) {
    if (clients[model.provider] === undefined && file.models?.some((entry) => entry.id === model.id) === true) {
      throw configError('models', `model ${model.id} names provider ${model.provider}, which is not configured.`);
    }
  }

  const apiKeys = file.auth?.apiKeys ?? [];
  // Auth off (and the local CLI): everything is tenant `default` on tier `default`, which limits
  // nothing unless the config's `tiers.default` says otherwise (its fields override the unlimited
  // base one by one). With auth on, no key resolves to tenant `default` unless the config says so.
  const assignments: Record<string, string> = { default: ANONYMOUS_TIER };
  for (const key of apiKeys) assignments[key.tenant] = key.tier;
  const resolver = createTierResolver({
    tiers: { ...DEFAULT_TIERS, [ANONYMOUS_TIER]: anonymousTier() },
    ...(file.tiers === undefined ? {} : { overrides: file.tiers }),
    assignments,
  });
  for (const [index, key] of (file.auth?.apiKeys ?? []).entries()) {
    if (resolver.tiers[key.tier] === undefined) throw configError(`auth.apiKeys[${index}].tier`, `unknown tier ${key.tier}.`);
  }
  const rateLimiter =
    redis === undefined || config.rateLimits.kind !== 'redis' ? createRateLimiter() : createRedisRateLimiter({ redis: redis.redis, keyPrefix: `${keyPrefix}limits:` });
  const throttles = createThrottleTracker(overrides.onThrottle === undefined ? {} : { onThrottle: overrides.onThrottle });
  const policy = throttles.wrap(createPolicyEnforcer({ catalog, resolver, rateLimiter }));
  let store: RunStore;
  try {
    store = await openRunStore(config);
  } catch (error) {
    await redis?.close();
    throw error;
  }
  const usage = createBoundedUsageTracker();
  const onUsage = overrides.onUsage;
  const runtime = createRuntime({
    usage:
      onUsage === undefined
        ? usage
        : {
            record(record) {
              usage.record(record);
              onUsage(record);
            },
            totals: (filter) => usage.totals(filter),
            report: (filter) => usage.report(filter),
          },
    catalog,
    estimator,
    costs: calculator,
    ...(ledger === undefined ? {} : { ledger }),
    clients,
    resilience: overrides.onProviderEvent === undefined ? {} : { onEvent: overrides.onProviderEvent },
    policy,
    store,
    // Unique per runtime, not per process: two runtimes in one process (an embedding host, tests)
    // sharing a store must not take each other's leases for their own.
    owner: overrides.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    leaseTtlMs: config.leaseTtlMs,
    tools,
  });
  const tenantScopes = new Map<string, readonly string[]>();
  for (const [tenant, limitUsd] of Object.entries(config.tenantBudgets)) {
    try {
      // Idempotent across replicas: a Redis scope keeps its spend when its limit is set again.
      await runtime.ledger.setLimit(tenantScope(tenant), usd(limitUsd));
    } catch (error) {
      await runtime.orchestrator.close();
      await runtime.close();
      await redis?.close();
      throw tenantBudgetError(tenant, file.ledger?.kind === 'redis' ? file.ledger.url : undefined, error);
    }
    tenantScopes.set(tenant, [tenantScope(tenant)]);
  }

  return {
    orchestrator: runtime.orchestrator,
    // Runs start through the runtime: traced under the request's traceparent.
    start: (spec, options) => runtime.start(spec, options),
    store,
    usage: runtime.usage,
    parentScopes: (tenant) => tenantScopes.get(tenant) ?? [],
    get callsInFlight() {
      return gate.inFlight;
    },
    drain: () => gate.drain(),
    resumeInterrupted: () => runtime.orchestrator.resumeAll(),
    catalog,
    estimator,
    calculator,
    llm: runtime.llm,
    rateLimiter,
    tools,
    throttles,
    tiers: resolver.tiers,
    async health() {
      const checks: Record<string, DependencyHealth> = {};
      // A write probe (RunStore.checkWrite through the orchestrator): a store that still reads but
      // cannot write — locked, full, read-only — is unhealthy, and so is one that parked runs.
      try {
        const store = await runtime.orchestrator.checkStore();
        checks['store'] = store.healthy
          ? { ok: true, kind: storeKind }
          : { ok: false, kind: storeKind, error: store.error?.message ?? `${store.parkedRuns} run(s) parked until the store can write` };
      } catch (error) {
        checks['store'] = { ok: false, kind: storeKind, error: error instanceof Error ? error.message : String(error) };
      }
      if (redis !== undefined) checks['redis'] = { ...(await redis.check()), kind: 'redis' };
      return checks;
    },
    async close() {
      await runtime.orchestrator.close();
      await runtime.close();
      await redis?.close();
    },
  };
}

/** The ledger scope of a tenant's budget. */
function tenantScope(tenant: string): string {
  return `tenant:${tenant}`;
}
