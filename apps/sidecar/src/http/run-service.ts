/**
 * The run endpoints' logic between HTTP and the orchestrator: tenant isolation, tier policies,
 * idempotency keys, rate limits.
 */
import {
  asRunId,
  asTaskId,
  TERMINAL_RUN_STATES,
  ModelError,
  PolicyError,
  RunStateError,
  ValidationError,
  type ModelInfo,
  type Run,
  type RunId,
  type RunRecord,
  type RunSpec,
  type RunState,
  type AgentInputResponse,
  type TaskInputRequest,
  type TaskSpec,
  type TierPolicy,
} from '@runtime/contracts';
import { effectiveRateLimits } from '@runtime/policy';
import type { Principal } from '../auth/authenticator.js';
import { canonicalHash } from '../internal/canonical-hash.js';
import type { RunObserver } from '../observability/run-observer.js';
import type { SidecarMetrics } from '../observability/sidecar-metrics.js';
import type { SidecarRuntime } from '../runtime/sidecar-runtime.js';
import type { TraceHeaders } from '@runtime/stack';
import { HttpError } from './http-error.js';
import { boundedRunView, fullRunJson, pageTasks, type HttpRunView, type HttpTaskView, type TaskDecorator, type TaskPage, type TaskPageQuery } from './run-views.js';

/**
 * Result of {@link RunService.create}.
 * @public
 */
export interface CreatedRun {
  /** The run (bounded view). */
  readonly run: HttpRunView;
  /** False when an idempotency key matched an existing run. */
  readonly created: boolean;
}

/**
 * Query of {@link RunService.list}.
 * @public
 */
export interface RunListParams {
  /** Only this state. */
  readonly state?: RunState;
  /** Page size. */
  readonly limit?: number;
  /** Cursor of the previous page. */
  readonly cursor?: string;
}

/**
 * Run operations on behalf of a principal.
 * @public
 */
export interface RunService {
  /** Validated spec → started run (or the existing one for a repeated idempotency key). */
  create(principal: Principal, spec: RunSpec, trace?: TraceHeaders): Promise<CreatedRun>;
  /** The principal's run (bounded view). @throws {@link RunStateError} `RUN_NOT_FOUND` */
  get(principal: Principal, id: string): Promise<HttpRunView>;
  /**
   * The principal's run as JSON text: the bounded view, or with `includeOutputs` the v1 view with
   * every output (413 over the response limit). A finished run's bounded text is cached.
   * @throws {@link RunStateError} `RUN_NOT_FOUND`; {@link HttpError} 413 `PAYLOAD_TOO_LARGE`
   */
  getJson(principal: Principal, id: string, includeOutputs?: boolean): Promise<string>;
  /** The principal's runs, newest first (bounded views). */
  list(principal: Principal, params: RunListParams): Promise<{ readonly items: readonly HttpRunView[]; readonly nextCursor: string | null }>;
  /** A page of a run's tasks with their outputs. */
  tasks(principal: Principal, id: string, query: TaskPageQuery): Promise<TaskPage>;
  /** One task with its output. @throws {@link HttpError} 404 `TASK_NOT_FOUND` */
  task(principal: Principal, id: string, taskId: string): Promise<HttpTaskView>;
  /** Adds tasks to a running run (bounded view). */
  addTasks(principal: Principal, id: string, tasks: readonly TaskSpec[]): Promise<HttpRunView>;
  /** Aborts a run (idempotent; bounded view). */
  abort(principal: Principal, id: string): Promise<HttpRunView>;
  /**
   * Answers a task waiting for input (an agent tool approval or question).
   * @throws {@link RunStateError} `RUN_NOT_FOUND`; `RUN_NOT_RUNNING` when the task does not wait for
   * input; {@link HttpError} 404 `TASK_NOT_FOUND`
   */
  provideInput(principal: Principal, id: string, taskId: string, body: TaskInputRequest): Promise<HttpTaskView>;
  /** Checks ownership and returns the run id. @throws {@link RunStateError} `RUN_NOT_FOUND` */
  owned(principal: Principal, id: string): Promise<RunId>;
}

const DEFAULT_PARALLELISM = 4;
const TENANT_CACHE_LIMIT = 10_000;
const FINISHED_CACHE_LIMIT = 1_000;
const MAX_RUN_ID_LENGTH = 128;

/**
 * The HTTP body as the orchestrator's reply: `{decision: 'approve', message?}` (the message reaches
 * the model with the tool's result), `{decision: 'reject', message?}` (the message is the reason the
 * model gets with `TOOL_REJECTED`), `{answer}`.
 * @public
 */
export function toAgentInputResponse(body: TaskInputRequest): AgentInputResponse {
  if (body.answer !== undefined) return { decision: 'answer', text: body.answer };
  if (body.decision === 'reject') return body.message === undefined ? { decision: 'reject' } : { decision: 'reject', reason: body.message };
  return body.message === undefined ? { decision: 'approve' } : { decision: 'approve', message: body.message };
}

function taskNotFound(runId: string, taskId: string): HttpError {
  const shown = taskId.slice(0, 128);
  return new HttpError(404, 'TASK_NOT_FOUND', `Run ${runId} has no task ${shown}.`, { runId, taskId: shown });
}

function notFound(id: string): RunStateError {
  return new RunStateError({ code: 'RUN_NOT_FOUND', message: `Run ${id.slice(0, MAX_RUN_ID_LENGTH)} not found.`, details: { runId: id.slice(0, MAX_RUN_ID_LENGTH) } });
}

/**
 * Creates the {@link RunService}.
 * @public
 */
export function createRunService(options: {
  readonly runtime: SidecarRuntime;
  readonly observer?: RunObserver;
  readonly metrics?: SidecarMetrics;
  /** Largest response body. @defaultValue 8388608 */
  readonly responseLimitBytes?: number;
}): RunService {
  const { runtime, observer, metrics } = options;
  const responseLimitBytes = options.responseLimitBytes ?? 8_388_608;
  const decorate: TaskDecorator = (runId, task) => runtime.throttles?.decorate(runId, task) ?? task;
  const { orchestrator, store, catalog } = runtime;
  const tenantOf = new Map<string, string>();
  const finishedJson = new Map<string, string>();

  function remember(id: string, tenant: string): void {
    if (tenantOf.size >= TENANT_CACHE_LIMIT) {
      const oldest = tenantOf.keys().next();
      if (oldest.done !== true) tenantOf.delete(oldest.value);
    }
    tenantOf.set(id, tenant);
  }

  async function owned(principal: Principal, id: string): Promise<RunId> {
    if (id.length === 0 || id.length > MAX_RUN_ID_LENGTH) throw notFound(id);
    let tenant = tenantOf.get(id);
    if (tenant === undefined) {
      const record = await store.getRun(asRunId(id));
      if (record === undefined) throw notFound(id);
      tenant = record.tenant;
      remember(id, tenant);
    }
    if (tenant !== principal.tenant) throw notFound(id);
    return asRunId(id);
  }

  function tierOf(principal: Principal): TierPolicy {
    const tier = runtime.tiers[principal.tier];
    if (tier === undefined) {
      throw new PolicyError({
        code: 'POLICY_VIOLATION',
        message: `Tier ${principal.tier} is not configured.`,
        details: { rule: 'tier', tier: principal.tier },
      });
    }
    return tier;
  }

  async function rateLimit(principal: Principal, tier: TierPolicy): Promise<void> {
    const { rpm, rph } = effectiveRateLimits(tier);
    if (rpm === undefined && rph === undefined) return;
    const decision = await runtime.rateLimiter.acquire({
      key: `http:${principal.tenant}`,
      limits: { ...(rpm === undefined ? {} : { rpm }), ...(rph === undefined ? {} : { rph }) },
    });
    if (!decision.allowed) {
      throw new PolicyError({
        code: 'RATE_LIMITED',
        message: `Rate limit ${decision.rule} of tier ${tier.name} reached (${decision.limit}); retry in ${Math.ceil(decision.retryAfterMs / 1000)} s.`,
        details: { rule: decision.rule, limit: decision.limit, observed: decision.observed, retryAfterMs: decision.retryAfterMs, tier: tier.name },
      });
    }
    await runtime.rateLimiter.settle(decision.permitId, 0);
  }

  function modelOf(task: TaskSpec): ModelInfo {
    if (task.model !== undefined) {
      const model = catalog.find(task.model);
      if (model === undefined) {
        throw new ModelError({ code: 'UNKNOWN_MODEL', message: `Task ${task.id} names unknown model ${task.model}.`, details: { task: task.id, model: task.model } });
      }
      return model;
    }
    return task.tier === undefined ? catalog.defaultModel() : catalog.forTier(task.tier);
  }

  function checkModels(tasks: readonly TaskSpec[], tier: TierPolicy): void {
    for (const task of tasks) {
      const model = modelOf(task);
      if (tier.allowedModels !== undefined && !tier.allowedModels.includes(model.id)) {
        throw new PolicyError({
          code: 'POLICY_VIOLATION',
          message: `Model ${model.id} of task ${task.id} is not allowed for tier ${tier.name}.`,
          details: { rule: 'modelAllowlist', task: task.id, model: model.id, allowed: [...tier.allowedModels] },
        });
      }
    }
  }

  /**
   * Every tool a task names (`tools`, `agent.tools`) must be configured. HTTP-API.md v1.1: 422
   * `VALIDATION_FAILED` naming the task and the tool (400 is for requests that do not parse).
   */
  function checkTools(tasks: readonly TaskSpec[]): void {
    for (const task of tasks) {
      for (const names of [task.tools, task.agent?.tools]) {
        if (names === undefined || names.length === 0) continue;
        try {
          if (runtime.tools === undefined) {
            const name = names[0] as string;
            throw new ValidationError({
              code: 'VALIDATION_FAILED',
              message: `Task ${task.id} names tool ${JSON.stringify(name)}, which is not registered.`,
              details: { task: task.id, tool: name },
            });
          }
          runtime.tools.check(asTaskId(task.id), names);
        } catch (error) {
          if (!ValidationError.isInstance(error)) throw error;
          throw new HttpError(422, 'VALIDATION_FAILED', error.message, { ...error.details, configured: runtime.tools?.list().map((tool) => tool.name) ?? [] });
        }
      }
    }
  }

  /**
   * Every tool a task names must be allowed by the tenant's tier (`allowedTools`: `'*'` all, absent
   * or empty none), refused at submission as the model allowlist is — not at the first tool call.
   */
  function checkToolAllowlist(tasks: readonly TaskSpec[], tier: TierPolicy): void {
    const allowed = tier.allowedTools ?? [];
    if (allowed.includes('*')) return;
    for (const task of tasks) {
      for (const tool of [...(task.tools ?? []), ...(task.agent?.tools ?? [])]) {
        if (allowed.includes(tool)) continue;
        throw new PolicyError({
          code: 'POLICY_VIOLATION',
          message: `Tool ${tool} of task ${task.id} is not allowed for tier ${tier.name}.`,
          details: { rule: 'toolAllowlist', task: task.id, tool, allowed: [...allowed] },
        });
      }
    }
  }

  function applyTier(spec: RunSpec, tier: TierPolicy): RunSpec {
    const policy = spec.policy ?? {};
    const budgetUsd = Math.min(policy.budgetUsd ?? tier.maxBudgetUsdPerRun, tier.maxBudgetUsdPerRun);
    const maxParallelism = Math.min(policy.maxParallelism ?? DEFAULT_PARALLELISM, tier.maxParallelism);
    return { ...spec, policy: { ...policy, budgetUsd, maxParallelism } };
  }

  async function view(id: RunId): Promise<Run> {
    const run = await orchestrator.get(id);
    if (run === undefined) throw notFound(id);
    return run;
  }

  async function existing(principal: Principal, record: RunRecord, requestHash: string): Promise<CreatedRun> {
    // The journaled spec is what this service passed to start() for the same tenant and tier, so
    // hashing it the same way compares request bodies independent of the store's own hash format.
    const recordedHash = canonicalHash(record.spec);
    if (recordedHash !== requestHash) {
      throw new RunStateError({
        code: 'IDEMPOTENCY_CONFLICT',
        message: `Idempotency key ${record.idempotencyKey ?? ''} was used with a different request body.`,
        details: { idempotencyKey: record.idempotencyKey ?? null, runId: record.id },
      });
    }
    remember(record.id, principal.tenant);
    return { run: boundedRunView(await view(record.id), decorate), created: false };
  }

  return {
    owned,
    async getJson(principal, id, includeOutputs = false) {
      const runId = await owned(principal, id);
      if (includeOutputs) return fullRunJson(await view(runId), responseLimitBytes, decorate);
      const cached = finishedJson.get(runId);
      if (cached !== undefined) return cached;
      const run = await view(runId);
      const json = JSON.stringify(boundedRunView(run, decorate));
      if (TERMINAL_RUN_STATES.has(run.state)) {
        if (finishedJson.size >= FINISHED_CACHE_LIMIT) {
          const oldest = finishedJson.keys().next();
          if (oldest.done !== true) finishedJson.delete(oldest.value);
        }
        finishedJson.set(runId, json);
      }
      return json;
    },
    async tasks(principal, id, query) {
      return pageTasks(await view(await owned(principal, id)), query, responseLimitBytes, decorate);
    },
    async task(principal, id, taskId) {
      const run = await view(await owned(principal, id));
      const task = run.tasks.find((candidate) => candidate.id === taskId);
      if (task === undefined) throw taskNotFound(run.id, taskId);
      return decorate(run.id, task);
    },
    async provideInput(principal, id, taskId, body) {
      const run = await view(await owned(principal, id));
      const task = run.tasks.find((candidate) => candidate.id === taskId);
      if (task === undefined) throw taskNotFound(run.id, taskId);
      // Checked here too so the answer names the state; the orchestrator checks again atomically.
      if (task.state !== 'waiting' || task.waiting?.reason !== 'input') {
        throw new RunStateError({
          code: 'RUN_NOT_RUNNING',
          message: `Task ${task.id} of run ${run.id} is not waiting for input (state ${task.state}${task.waiting === undefined ? '' : `, waiting for ${task.waiting.reason}`}).`,
          details: { runId: run.id, taskId: task.id, state: task.state, runState: run.state },
        });
      }
      const answered = await orchestrator.provideInput(run.id, asTaskId(task.id), toAgentInputResponse(body));
      return decorate(run.id, answered);
    },
    async create(principal, spec, trace) {
      const tier = tierOf(principal);
      const effective = applyTier(spec, tier);
      const requestHash = effective.idempotencyKey === undefined ? '' : canonicalHash(effective);
      if (effective.idempotencyKey !== undefined) {
        const found = await store.findByIdempotencyKey(principal.tenant, effective.idempotencyKey);
        if (found !== undefined) return existing(principal, found, requestHash);
      }
      checkModels(effective.tasks, tier);
      checkTools(effective.tasks);
      checkToolAllowlist(effective.tasks, tier);
      await rateLimit(principal, tier);
      let run: Run;
      const parentScopes = runtime.parentScopes?.(principal.tenant) ?? [];
      const startOptions = { tenant: principal.tenant, ...(parentScopes.length === 0 ? {} : { parentScopes }) };
      try {
        run = await (runtime.start === undefined
          ? orchestrator.start(effective, startOptions)
          : runtime.start(effective, { ...startOptions, ...(trace === undefined ? {} : { traceParent: trace }) }));
      } catch (error) {
        if (RunStateError.isInstance(error) && error.code === 'IDEMPOTENCY_CONFLICT' && effective.idempotencyKey !== undefined) {
          const found = await store.findByIdempotencyKey(principal.tenant, effective.idempotencyKey);
          if (found !== undefined) return existing(principal, found, requestHash);
        }
        throw error;
      }
      remember(run.id, principal.tenant);
      metrics?.runTransition('created');
      observer?.watch(run.id);
      return { run: boundedRunView(run, decorate), created: true };
    },
    async get(principal, id) {
      return boundedRunView(await view(await owned(principal, id)), decorate);
    },
    async list(principal, params) {
      const page = await store.listRuns({ tenant: principal.tenant, ...params });
      const items: HttpRunView[] = [];
      for (const record of page.items) {
        const run = await orchestrator.get(record.id);
        if (run !== undefined) items.push(boundedRunView(run, decorate));
      }
      return { items, nextCursor: page.nextCursor };
    },
    async addTasks(principal, id, tasks) {
      const runId = await owned(principal, id);
      const tier = tierOf(principal);
      checkModels(tasks, tier);
      checkTools(tasks);
      checkToolAllowlist(tasks, tier);
      await rateLimit(principal, tier);
      return boundedRunView(await orchestrator.addTasks(runId, tasks), decorate);
    },
    async abort(principal, id) {
      return boundedRunView(await orchestrator.abort(await owned(principal, id), 'aborted by request'), decorate);
    },
  };
}
