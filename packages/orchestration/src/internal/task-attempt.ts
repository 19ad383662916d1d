/**
 * One task's path through the loop: build context → compact → estimate → policy → reserve the
 * worst case → call the model → settle (or release) → route → journal → events.
 */
import {
  EMPTY_USAGE,
  ExecutionError,
  PolicyError,
  ZERO_MONEY,
  normalizeUsage,
  addUsage,
  type BuiltContext,
  moneyToUsd,
  type ModelInfo,
  type CompactionResult,
  type LlmCallOptions,
  type LlmRequest,
  type LlmResult,
  type Message,
  type MemoryEntry,
  type Money,
  type Reservation,
  type RoutedOutput,
  type CompactionReport,
  type RuntimeEventInput,
  type TaskDependency,
  type PolicyCheckInput,
} from '@runtime/contracts';
import { runAgentAttempt } from './agent-attempt.js';
import { billOnce, chargeOnce, summaryReservationId, type Bill } from './bill-once.js';
import { reservationIdOf, reserveWorstCase, StoppedWhileWaiting } from './budget-admission.js';
import { dependencyId } from './dependency-ids.js';
import { toError } from './to-error.js';
import type { RunLoop } from './run-loop.js';
import { taskRecord, type TaskRuntime } from './task-runtime.js';
import { paidFailure } from './paid-failure.js';
import { streamAnswer, wantsStream } from './task-stream.js';
import { usageViewUsd } from './views.js';

/**
 * The output cap of a task's calls, sent in the request so the reserved worst case is a true upper
 * bound: `task.maxOutputTokens` ?? `policy.defaultMaxOutputTokens` ?? the orchestrator's default
 * (`DEFAULT_MAX_OUTPUT_TOKENS`), clamped to 1..the model's maximum.
 */
export function outputCap(loop: RunLoop, task: TaskRuntime): number {
  const cap = task.spec.maxOutputTokens ?? loop.record.spec.policy?.defaultMaxOutputTokens ?? task.maxOutputTokens;
  return Math.max(1, Math.min(Math.floor(cap), task.model.maxOutputTokens));
}

/** The most prompt tokens a call may use: `min(maxInputTokens, contextWindow − output cap)`, at least 1. */
export function promptLimit(model: ModelInfo, cap: number): number {
  const window = model.contextWindow === undefined ? Number.POSITIVE_INFINITY : model.contextWindow - cap;
  return Math.max(1, Math.min(model.maxInputTokens, window));
}

interface Prepared {
  readonly messages: readonly Message[];
  readonly inputTokens: number;
  readonly events: RuntimeEventInput[];
}

function mentionedBefore(deps: readonly TaskDependency[], index: number, id: string): boolean {
  for (let earlier = 0; earlier < index; earlier += 1) if (dependencyId(deps[earlier] as TaskDependency) === id) return true;
  return false;
}

function routeDependencies(loop: RunLoop, task: TaskRuntime): RoutedOutput[] {
  const deps = task.spec.deps;
  if (deps === undefined || deps.length === 0) return [];
  const routed: RoutedOutput[] = [];
  // A dependency named twice is routed once (its first mention). Few deps: a scan of the earlier
  // ones is cheaper than a Set per task; many deps: a Set keeps it linear.
  const seen = deps.length > 8 ? new Set<string>() : undefined;
  for (let index = 0; index < deps.length; index += 1) {
    const dep = deps[index] as TaskDependency;
    const id = dependencyId(dep);
    if (seen === undefined ? mentionedBefore(deps, index, id) : seen.has(id)) continue;
    seen?.add(id);
    const source = loop.tasks.get(id as TaskRuntime['id']);
    if (source?.output === undefined) continue;
    const model = task.model.id;
    if (typeof dep === 'string' || (dep.select === undefined && dep.maxTokens === undefined)) {
      // Routing is a function of (output, model, select, maxTokens): whole outputs are routed once per model.
      let whole = source.routedFor === model ? source.routed : undefined;
      if (whole === undefined) {
        whole = loop.options.router.route({ dependencyId: source.id, output: source.output, model });
        source.routed = whole;
        source.routedFor = model;
      }
      routed.push(whole);
      continue;
    }
    routed.push(
      loop.options.router.route({
        dependencyId: source.id,
        output: source.output,
        model,
        ...(dep.select === undefined ? {} : { select: dep.select }),
        ...(dep.maxTokens === undefined ? {} : { maxTokens: dep.maxTokens }),
      }),
    );
  }
  return routed;
}

/** The entries a task asked for, and the keys the store did not have (journaled, never skipped silently). */
async function readMemory(loop: RunLoop, task: TaskRuntime, keys: readonly string[]): Promise<{ entries: MemoryEntry[]; missing: string[] }> {
  const entries: MemoryEntry[] = [];
  const missing: string[] = [];
  const store = loop.options.memory;
  for (const key of keys) {
    const entry = await store?.get(loop.id, key);
    if (entry === undefined) missing.push(key);
    else entries.push(entry);
  }
  return { entries, missing };
}

/**
 * Compaction by `summarize` calls a model, so it spends money like the task's own call: its worst
 * case (the whole span in, the task's output cap out) is reserved first, and the actual usage is
 * charged once (bill-once), added to the task's usage and cost, and recorded, even when the task
 * later fails.
 *
 * Bill once across a crash: the summary's hold (`<attempt's reservation id>/summary`) is journaled
 * as the task's `reservationId` before the call, and its charge is journaled (the hold cleared, the
 * usage added) before the usage tracker records it. A crash in between leaves the journal naming
 * the hold, and the resume finds the charge with `ledger.lookup` (see `resume-ledger.ts`).
 */
async function summarize(
  loop: RunLoop,
  task: TaskRuntime,
  attempt: number,
  inputTokens: number,
  compact: () => Promise<CompactionResult>,
): Promise<CompactionResult> {
  const { costs, ledger } = loop.options;
  const reservation = await ledger.reserve(loop.scopes, costs.worstCase(task.model.id, inputTokens, outputCap(loop, task)), {
    id: summaryReservationId(reservationIdOf(loop, task, attempt)),
    holder: loop.owner,
    runId: loop.id,
    taskId: task.id,
    ...(loop.options.reservationLeaseMs === undefined ? {} : { leaseMs: loop.options.reservationLeaseMs }),
  });
  // Held like the task's own reservation while the call runs (renewed by the heartbeat).
  task.reservationId = reservation.id;
  task.reserved = reservation.amount;
  let compacted: CompactionResult;
  try {
    await loop.journal.commit(undefined, [taskRecord(loop.id, task)], []);
    compacted = await compact();
  } catch (error) {
    task.reservationId = undefined;
    task.reserved = ZERO_MONEY;
    try {
      await ledger.release(reservation.id);
    } catch (releaseError) {
      loop.options.onBackgroundError?.(releaseError);
    }
    loop.budgetFreed();
    throw error;
  }
  const reported = compacted.report.summaryUsage;
  const usage = reported === undefined ? undefined : normalizeUsage(reported).usage;
  const cost = usage === undefined ? ZERO_MONEY : costs.cost(task.model.id, usage);
  try {
    await chargeOnce(loop, reservation, cost, usage);
  } catch (error) {
    // The ledger refused for good: the call was paid for, so it still counts in the task's usage.
    loop.options.onBackgroundError?.(error);
  }
  task.reservationId = undefined;
  task.reserved = ZERO_MONEY;
  loop.budgetFreed();
  if (usage !== undefined) {
    task.usage = addUsage(task.usage, usage);
    task.cost = (task.cost + cost) as Money;
  }
  await loop.journal.commit(undefined, [taskRecord(loop.id, task)], []);
  if (usage !== undefined) {
    // Reported once journaled (a resume recovers it otherwise).
    loop.options.usage?.record({
      runId: loop.id,
      taskId: task.id,
      model: task.model.id,
      ...(task.spec.tier === undefined ? {} : { tier: task.spec.tier }),
      phase: 'summarize',
      usage,
      cost,
    });
  }
  return compacted;
}

/**
 * The task's messages and input tokens. Synchronous in the common case (no memory to read, no
 * compaction): an async step per task is a measurable share of the loop's cost at this scale.
 */
export function prepare(loop: RunLoop, task: TaskRuntime, attempt: number, signal: AbortSignal): Prepared | Promise<Prepared> {
  const keys = task.spec.memory;
  // Keys asked for without a memory store are all missing: visible, not ignored.
  if (keys !== undefined && keys.length > 0) {
    return readMemory(loop, task, keys).then(async ({ entries, missing }) => {
      const prepared = await assemble(loop, task, attempt, signal, entries);
      if (missing.length === 0) return prepared;
      return { ...prepared, events: [{ type: 'task.memory_missing', taskId: task.id, keys: missing }, ...prepared.events] };
    });
  }
  return assemble(loop, task, attempt, signal, undefined);
}

function assemble(loop: RunLoop, task: TaskRuntime, attempt: number, signal: AbortSignal, memory: MemoryEntry[] | undefined): Prepared | Promise<Prepared> {
  const { builder } = loop.options;
  const built = builder.build({
    task: task.spec,
    model: task.model.id,
    dependencies: routeDependencies(loop, task),
    ...(memory === undefined ? {} : { memory }),
  });
  const limit = promptLimit(task.model, outputCap(loop, task));
  const requested = loop.record.spec.policy?.context?.maxTokens;
  // A policy's context.maxTokens narrows the prompt limit, never widens it.
  const maxTokens = requested === undefined ? limit : Math.min(requested, limit);
  if (built.tokens <= maxTokens) return { messages: built.messages, inputTokens: built.tokens, events: [] };
  return compactContext(loop, task, attempt, signal, built, maxTokens);
}

/** The `context.compacted` event of a compaction (task calls and agent steps alike). */
export function compactedEvent(task: TaskRuntime, report: CompactionReport): RuntimeEventInput {
  return {
    type: 'context.compacted',
    taskId: task.id,
    strategy: report.strategy,
    tokensBefore: report.tokensBefore,
    tokensAfter: report.tokensAfter,
    droppedMessages: report.dropped.length,
    summarizedMessages: report.summarized.length,
  };
}

async function compactContext(loop: RunLoop, task: TaskRuntime, attempt: number, signal: AbortSignal, built: BuiltContext, maxTokens: number): Promise<Prepared> {
  const { compactor } = loop.options;
  const context = loop.record.spec.policy?.context;
  const strategy = context?.strategy ?? 'truncate';
  const request = {
    messages: built.messages,
    tools: built.tools,
    model: task.model.id,
    maxTokens,
    strategy,
    ...(context?.keepLastN === undefined ? {} : { keepLastN: context.keepLastN }),
  };
  const callOptions = { signal, context: { runId: loop.id, taskId: task.id, attempt } };
  const compacted = strategy === 'summarize' ? await summarize(loop, task, attempt, built.tokens, () => compactor.compact(request, callOptions)) : await compactor.compact(request, callOptions);
  return { messages: compacted.messages, inputTokens: compacted.report.tokensAfter, events: [compactedEvent(task, compacted.report)] };
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(toError(signal.reason));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(toError(signal.reason));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Asks the policy enforcer; waits out `RATE_LIMITED` (state `waiting`, reason `rateLimit`, with a
 * journaled `task.throttled` and `task.waiting`); throws on `POLICY_VIOLATION`.
 */
export async function admit(loop: RunLoop, task: TaskRuntime, inputTokens: number, cap: number, signal: AbortSignal, depth = 0): Promise<string | undefined> {
  const budgetUsd = loop.record.spec.policy?.budgetUsd;
  return admitChecked(
    loop,
    task,
    {
      kind: 'llm',
      tenant: loop.record.tenant,
      runId: loop.id,
      taskId: task.id,
      depth, // a nested agent loop's calls are checked at its depth (the tier's maxDepth)
      model: task.model.id,
      inputTokens,
      maxOutputTokens: cap,
      ...(budgetUsd === undefined ? {} : { runBudgetUsd: budgetUsd }),
    },
    signal,
    {},
  );
}

/**
 * {@link admit} for any check (an LLM call or a tool call): the run tenant's tier decides.
 * `details` are added to a refusal's details (e.g. the tool and step).
 * @throws {@link PolicyError} `POLICY_VIOLATION` with `rule`, `limit`, `observed` and `task` in its details.
 */
export async function admitChecked(
  loop: RunLoop,
  task: TaskRuntime,
  input: PolicyCheckInput,
  signal: AbortSignal,
  details: Readonly<Record<string, unknown>>,
): Promise<string | undefined> {
  const policy = loop.options.policy;
  if (policy === undefined) return undefined;
  for (;;) {
    const decision = await policy.check(input);
    if (decision.decision === 'CONTINUE') return decision.permitId;
    if (decision.decision === 'POLICY_VIOLATION') {
      throw new PolicyError({
        code: 'POLICY_VIOLATION',
        message: decision.message,
        details: { rule: decision.rule, limit: decision.limit, observed: decision.observed, task: task.id, ...details },
      });
    }
    const retryAfterMs = Math.max(1, Math.ceil(decision.retryAfterMs ?? 1000));
    task.state = 'waiting';
    task.waiting = {
      reason: 'rateLimit',
      until: new Date(Date.now() + retryAfterMs).toISOString(),
      details: { rule: decision.rule, limit: decision.limit, retryAfterMs },
    };
    await loop.journal.commit(undefined, [taskRecord(loop.id, task)], [
      { type: 'task.throttled', taskId: task.id, rule: decision.rule, retryAfterMs },
      { type: 'task.waiting', taskId: task.id, reason: 'rateLimit', details: task.waiting.details },
    ]);
    await wait(retryAfterMs, signal);
  }
}

export function abortReason(loop: RunLoop): unknown {
  const reason: unknown = loop.controller.signal.reason;
  return reason ?? new ExecutionError({ code: 'RUN_ABORTED', message: 'The run was aborted.', details: {} });
}

/** Marks a task that waited for budget and never started as skipped (the run stopped). */
async function skipUnstarted(loop: RunLoop, task: TaskRuntime): Promise<void> {
  task.state = 'skipped';
  task.waiting = undefined;
  task.endedAt = loop.journal.now();
  await loop.journal.commit(undefined, [taskRecord(loop.id, task)], [
    { type: 'task.skipped', taskId: task.id, reason: loop.stopping?.skipReason ?? 'runFailed' },
  ]);
}

/** Bills an answered call; a charge that could not be recorded is reported, never fails the task. */
export async function billAnswered(loop: RunLoop, task: TaskRuntime, reservation: Reservation, result: LlmResult): Promise<Bill> {
  try {
    return await billOnce(loop, task, reservation, result);
  } catch (error) {
    // The ledger refused for good (retries spent, or a fault that is not transient). The call was
    // paid for: its cost still goes into the task's usage and the report, and the host hears of it.
    loop.options.onBackgroundError?.(error);
    const paid = result.source !== 'dedup' && result.source !== 'cache';
    const normalized = normalizeUsage(result.usage);
    const usage = paid ? normalized.usage : EMPTY_USAGE;
    const cost = paid ? loop.options.costs.cost(task.model.id, usage) : ZERO_MONEY;
    return {
      usage,
      cost,
      source: paid ? undefined : result.source,
      adjustments: normalized.adjusted ? normalized.details : undefined,
      settlement: { id: reservation.id, reserved: reservation.amount, actual: cost },
    };
  }
}

/**
 * Runs one attempt of a task to a terminal state (completed or failed). Never rejects except when
 * the journal itself fails (the run is then broken). `signal` is the attempt's own (see
 * `TaskSignals`): it aborts with the run and is what every collaborator call receives.
 */
export async function runTaskAttempt(loop: RunLoop, task: TaskRuntime, signal: AbortSignal): Promise<void> {
  if (task.spec.agent !== undefined) return runAgentAttempt(loop, task, signal); // the loop: agent-attempt.ts
  const options = loop.options;
  const { costs, ledger, llm } = options;
  const attempt = task.attempts + 1;
  const cap = outputCap(loop, task);
  const base = attempt - 1;
  let reservation: Reservation | undefined;
  let permitId: string | undefined;
  let result: LlmResult;
  let answered: LlmResult | undefined;
  try {
    const preparing = prepare(loop, task, attempt, signal);
    const prepared = preparing instanceof Promise ? await preparing : preparing;
    if (options.policy !== undefined) permitId = await admit(loop, task, prepared.inputTokens, cap, signal);
    if (loop.controller.signal.aborted) throw abortReason(loop);
    const worstCase = costs.worstCase(task.model.id, prepared.inputTokens, cap);
    reservation = await reserveWorstCase(loop, task, attempt, worstCase, signal);
    task.state = 'running';
    task.waiting = undefined;
    task.attempts = attempt;
    task.startedAt ??= loop.journal.now();
    task.reservationId = reservation.id;
    task.reserved = reservation.amount;
    await loop.journal.commit(undefined, [taskRecord(loop.id, task)], [
      ...prepared.events,
      { type: 'task.started', taskId: task.id, attempt, model: task.model.id },
      { type: 'budget.reserved', taskId: task.id, reservationId: reservation.id, amountUsd: moneyToUsd(reservation.amount) },
    ]);
    const request: LlmRequest = {
      model: task.model.id,
      providerModel: task.model.providerModel,
      messages: prepared.messages,
      maxOutputTokens: cap,
    };
    const taskTimeoutMs = loop.record.spec.policy?.taskTimeoutMs;
    // A streaming task goes through `stream` when the client has one (else `complete`, no deltas).
    const stream = wantsStream(loop, task) ? llm.stream?.bind(llm) : undefined;
    result = await loop.executor.execute(
      (callSignal) => {
        const callOptions: LlmCallOptions = {
          signal: callSignal,
          context: { runId: loop.id, taskId: task.id, attempt },
          // Attempts count calls really started: a retry cut off during its backoff is not one.
          onAttempt: (started) => {
            task.attempts = base + started;
          },
          onRetry: (info) => {
            loop.journal
              .commit(undefined, [taskRecord(loop.id, task)], [
                { type: 'task.retrying', taskId: task.id, attempt: base + info.attempt, delayMs: info.delayMs, error: info.error },
              ])
              .catch((error: unknown) => {
                loop.journal.failure ??= toError(error);
              });
          },
        };
        const answering = stream === undefined ? llm.complete(request, callOptions) : streamAnswer(loop, task, stream, request, callOptions);
        return answering.then((answer) => {
          // A client that retries without onAttempt still reports its attempts on the answer.
          if ((answer.source ?? 'provider') === 'provider' && answer.attempts !== undefined && base + answer.attempts > task.attempts) {
            task.attempts = base + answer.attempts;
          }
          answered = answer;
          return answer;
        });
      },
      { signal, ...(taskTimeoutMs === undefined ? {} : { timeoutMs: taskTimeoutMs }) },
    );
  } catch (error) {
    const before: RuntimeEventInput[] = [];
    let billed: Bill | undefined;
    // A call that failed after the provider answered (a stream cut after output, an empty answer)
    // carries what it may be billed: charged like an answer, then the task fails with the error.
    if (reservation !== undefined && answered === undefined) answered = paidFailure(error);
    if (reservation !== undefined && answered !== undefined) {
      // The provider answered just as the attempt was abandoned (abort, timeout): the call is paid
      // for, so it is charged once like any answer, and the task fails with its cost.
      const bill = await billAnswered(loop, task, reservation, answered);
      billed = bill;
      task.usage = addUsage(task.usage, bill.usage);
      task.cost = (task.cost + bill.cost) as Money;
      before.push({
        type: 'budget.settled',
        taskId: task.id,
        reservationId: bill.settlement.id,
        costUsd: moneyToUsd(bill.settlement.actual),
        reservedUsd: moneyToUsd(reservation.amount),
      });
      reservation = undefined;
      task.reservationId = undefined;
      task.reserved = ZERO_MONEY;
      loop.budgetFreed();
    }
    if (reservation !== undefined) {
      const open = reservation;
      reservation = undefined;
      task.reservationId = undefined;
      task.reserved = ZERO_MONEY;
      try {
        await ledger.release(open.id);
      } catch (releaseError) {
        // The lease returns the amount later; the task's own error is what the run reports.
        options.onBackgroundError?.(releaseError);
      }
      loop.budgetFreed();
      before.push({ type: 'budget.released', taskId: task.id, reservationId: open.id, amountUsd: moneyToUsd(open.amount) });
    }
    if (permitId !== undefined) {
      try {
        await options.policy?.settle(permitId, 0);
      } catch (settleError) {
        options.onBackgroundError?.(settleError);
      }
    }
    if (loop.scheduler.state(task.id) !== 'running') throw error; // a bug after completion: surface it
    task.waiting = undefined;
    if (error instanceof StoppedWhileWaiting) {
      await skipUnstarted(loop, task);
      return;
    }
    await loop.failTask(task, error, attempt, before);
    if (billed !== undefined) recordBill(loop, task, billed); // once journaled (a resume recovers it otherwise)
    return;
  }
  // The provider answered: from here on its usage is charged exactly once, whatever fails.
  await completeAnswered(loop, task, reservation, result, permitId, base);
}

/**
 * Journals a completed task with `events` (its `task.completed` among them) in one commit, with the
 * dependents it made ready (`task.ready`).
 */
export async function commitCompleted(loop: RunLoop, task: TaskRuntime, events: RuntimeEventInput[]): Promise<void> {
  const changed = [taskRecord(loop.id, task)];
  for (const readyId of loop.scheduler.complete(task.id)) {
    const ready = loop.tasks.get(readyId) as TaskRuntime;
    ready.state = 'ready';
    changed.push(taskRecord(loop.id, ready));
    events.push({ type: 'task.ready', taskId: readyId });
  }
  await loop.journal.commit(undefined, changed, events);
}

/** Records a billed call in the usage tracker (the billing report). */
export function recordBill(loop: RunLoop, task: TaskRuntime, bill: Bill): void {
  loop.options.usage?.record({
    runId: loop.id,
    taskId: task.id,
    model: task.model.id,
    ...(task.spec.tier === undefined ? {} : { tier: task.spec.tier }),
    ...(task.spec.metadata?.phase === undefined ? {} : { phase: task.spec.metadata.phase }),
    usage: bill.usage,
    cost: bill.cost,
    ...(bill.source === undefined ? {} : { source: bill.source }),
  });
}

async function completeAnswered(
  loop: RunLoop,
  task: TaskRuntime,
  reservation: Reservation,
  result: LlmResult,
  permitId: string | undefined,
  base: number,
): Promise<void> {
  const options = loop.options;
  const bill = await billAnswered(loop, task, reservation, result);
  const { cost, usage, settlement } = bill;
  const costUsd = moneyToUsd(cost); // once: BigInt conversions are a measurable share of a task
  const reservedUsd = moneyToUsd(reservation.amount);
  if (permitId !== undefined) {
    try {
      await options.policy?.settle(permitId, usage.inputTokens + usage.outputTokens);
    } catch (settleError) {
      // The call succeeded and is paid for; a rate-limit bookkeeping failure must not fail the task.
      options.onBackgroundError?.(settleError);
    }
  }
  task.state = 'completed';
  task.output = result.output;
  task.routed = undefined;
  // Accumulated: a summary call made for this attempt is already in both.
  task.usage = addUsage(task.usage, usage);
  task.cost = (task.cost + cost) as Money;
  task.attempts = base + (result.attempts ?? 1);
  task.reservationId = undefined;
  task.reserved = ZERO_MONEY;
  task.waiting = undefined;
  task.source = bill.source;
  task.usageAdjusted = bill.adjustments;
  task.endedAt = loop.journal.now();
  loop.budgetFreed();
  const taskCostUsd = task.cost === cost ? costUsd : moneyToUsd(task.cost);
  const events: RuntimeEventInput[] = [];
  if (result.source === 'dedup') events.push({ type: 'provider.deduplicated', taskId: task.id, model: task.model.id });
  events.push({
    type: 'budget.settled',
    taskId: task.id,
    reservationId: settlement.id,
    costUsd: settlement.actual === cost ? costUsd : moneyToUsd(settlement.actual),
    reservedUsd,
  });
  if (settlement.actual > reservation.amount) {
    // The truth is debited in full; the ledger refuses every reserve while spent + reserved is
    // over the limit, so the overrun is bounded by what was already in flight.
    events.push({ type: 'budget.overrun', taskId: task.id, reservationId: settlement.id, reservedUsd, actualUsd: moneyToUsd(settlement.actual) });
  }
  events.push({
    type: 'task.completed',
    taskId: task.id,
    attempt: task.attempts,
    usage: usageViewUsd(task.usage, taskCostUsd),
    costUsd: taskCostUsd,
    ...(bill.source === undefined ? {} : { source: bill.source }),
    ...(bill.adjustments === undefined ? {} : { usageAdjusted: bill.adjustments }),
  });
  await commitCompleted(loop, task, events);
  // Reported once journaled: a call the journal lacks after a crash is reported by the resume (recovered).
  recordBill(loop, task, bill);
}
