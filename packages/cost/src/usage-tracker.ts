/**
 * Usage and cost attribution: by run, task, model, tier, tool and phase.
 *
 * @remarks
 * Records are priced before they arrive (or priced here through a {@link @runtime/contracts#CostCalculator} and tool
 * prices). Every breakdown partitions the records, so its entries add up exactly to the total;
 * LLM calls (no `tool`) appear in `byModel`, tool calls in `byTool`, and together they make the
 * total. A record whose `source` is `dedup` or `cache` was billed by another call: it counts in
 * `dedupedCalls` and adds no tokens and no cost, so totals equal what providers billed. Not
 * responsible for enforcing budgets (see {@link createBudgetLedger}).
 */
import { EMPTY_USAGE, addUsage, money } from '@runtime/contracts';
import type {
  BillingReport,
  CostCalculator,
  Money,
  ResultSource,
  TaskTier,
  Usage,
  UsageFilter,
  UsageRecord,
  UsageTotals,
  UsageTracker,
} from '@runtime/contracts';
import { invalid } from './internal/errors.js';

/**
 * Options of {@link createUsageTracker}.
 * @public
 */
export interface UsageTrackerOptions {
  /** Prices LLM calls recorded through {@link CostUsageTracker.recordCall}. */
  readonly calculator?: CostCalculator;
  /** Price per call of each tool, for {@link CostUsageTracker.recordToolCall}. */
  readonly toolPrices?: Readonly<Record<string, Money>>;
}

/**
 * An LLM call to price and record.
 * @public
 */
export interface LlmCallUsage {
  /** The run. */
  readonly runId: string;
  /** The task. */
  readonly taskId?: string;
  /** Catalog model id. */
  readonly model: string;
  /** Provider-reported usage. */
  readonly usage: Usage;
  /** Task tier. */
  readonly tier?: TaskTier;
  /** Free-form phase. */
  readonly phase?: string;
  /** Where the result came from (`LlmResult.source`); `dedup` and `cache` results cost nothing. @defaultValue `'provider'` */
  readonly source?: ResultSource;
}

/**
 * A tool call to price and record.
 * @public
 */
export interface ToolCallUsage {
  /** The run. */
  readonly runId: string;
  /** The task. */
  readonly taskId?: string;
  /** Tool name. */
  readonly tool: string;
  /** Its price; defaults to the tool's entry in `toolPrices`, else zero. */
  readonly cost?: Money;
  /** Task tier. */
  readonly tier?: TaskTier;
  /** Free-form phase. */
  readonly phase?: string;
}

/**
 * A {@link @runtime/contracts#UsageTracker} that can also price what it records.
 * @public
 */
export interface CostUsageTracker extends UsageTracker {
  /**
   * Prices an LLM call with the calculator and records it.
   * @throws {@link @runtime/contracts#ValidationError} when no calculator was given or the usage is invalid;
   * {@link @runtime/contracts#ModelError} `UNKNOWN_MODEL`.
   */
  recordCall(call: LlmCallUsage): UsageRecord;
  /** Records a tool call at its price. */
  recordToolCall(call: ToolCallUsage): UsageRecord;
  /** Every record, in order. */
  records(filter?: UsageFilter): readonly UsageRecord[];
}

interface Accumulator {
  usage: Usage;
  cost: bigint;
  calls: number;
  deduped: number;
}

const COUNT_FIELDS = ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens', 'cacheWrite1hTokens'] as const;

function isBilled(record: UsageRecord): boolean {
  return record.source === undefined || record.source === 'provider';
}

function checkRecord(record: UsageRecord): void {
  if (typeof record !== 'object' || record === null) throw invalid('record', 'must be an object');
  if (typeof record.runId !== 'string' || record.runId.length === 0) throw invalid('record.runId', 'must be a non-empty string');
  if (typeof record.cost !== 'bigint' || record.cost < 0n) throw invalid('record.cost', 'must be Money (a bigint ≥ 0)', { value: String(record.cost) });
  const usage = record.usage as Usage | undefined;
  if (typeof usage !== 'object') throw invalid('record.usage', 'must be a Usage object');
  for (const field of COUNT_FIELDS) {
    const value = usage[field];
    if (value === undefined && field === 'cacheWrite1hTokens') continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw invalid(`record.usage.${field}`, 'must be an integer ≥ 0', { value: String(value) });
    }
  }
  const source: unknown = record.source;
  if (source !== undefined && source !== 'provider' && source !== 'dedup' && source !== 'cache') {
    throw invalid('record.source', "must be 'provider', 'dedup' or 'cache'", { value: typeof source === 'string' ? source : typeof source });
  }
}

function add(map: Map<string, Accumulator>, key: string, record: UsageRecord): void {
  let entry = map.get(key);
  if (entry === undefined) map.set(key, (entry = { usage: EMPTY_USAGE, cost: 0n, calls: 0, deduped: 0 }));
  if (!isBilled(record)) {
    entry.deduped += 1;
    return;
  }
  entry.usage = addUsage(entry.usage, record.usage);
  entry.cost += record.cost;
  entry.calls += 1;
}

function totalsOf(entry: Accumulator | undefined): UsageTotals {
  if (entry === undefined) return Object.freeze({ usage: EMPTY_USAGE, cost: money(0n), calls: 0 });
  const totals = { usage: entry.usage, cost: money(entry.cost), calls: entry.calls };
  return Object.freeze(entry.deduped === 0 ? totals : { ...totals, dedupedCalls: entry.deduped });
}

function freeze(map: Map<string, Accumulator>): Readonly<Record<string, UsageTotals>> {
  const result: Record<string, UsageTotals> = {};
  for (const key of [...map.keys()].sort()) {
    const entry = map.get(key);
    if (entry !== undefined) result[key] = totalsOf(entry);
  }
  return Object.freeze(result);
}

/**
 * Creates an in-memory {@link @runtime/contracts#UsageTracker}.
 *
 * @example
 * ```ts
 * const tracker = createUsageTracker({ calculator });
 * tracker.recordCall({ runId: 'r1', taskId: 't1', model: 'gpt-4o-mini', usage });
 * renderBillingReport(tracker.report(), { format: 'markdown' });
 * ```
 * @public
 */
export function createUsageTracker(options: UsageTrackerOptions = {}): CostUsageTracker {
  const all: UsageRecord[] = [];
  const select = (filter?: UsageFilter): readonly UsageRecord[] =>
    filter?.runId === undefined ? all : all.filter((record) => record.runId === filter.runId);

  const record = (entry: UsageRecord): void => {
    checkRecord(entry);
    all.push(Object.freeze({ ...entry }));
  };

  const report = (filter?: UsageFilter): BillingReport => {
    const total = new Map<string, Accumulator>();
    const byRun = new Map<string, Accumulator>();
    const byTask = new Map<string, Accumulator>();
    const byModel = new Map<string, Accumulator>();
    const byTier = new Map<string, Accumulator>();
    const byTool = new Map<string, Accumulator>();
    const byPhase = new Map<string, Accumulator>();
    for (const entry of select(filter)) {
      add(total, 'total', entry);
      add(byRun, entry.runId, entry);
      add(byTask, `${entry.runId}/${entry.taskId ?? 'none'}`, entry);
      if (entry.tool === undefined) add(byModel, entry.model ?? 'unknown', entry);
      else add(byTool, entry.tool, entry);
      add(byTier, entry.tier === undefined ? 'none' : String(entry.tier), entry);
      add(byPhase, entry.phase ?? 'none', entry);
    }
    const sum = total.get('total');
    return Object.freeze({
      total: totalsOf(sum),
      byRun: freeze(byRun),
      byTask: freeze(byTask),
      byModel: freeze(byModel),
      byTier: freeze(byTier),
      byTool: freeze(byTool),
      byPhase: freeze(byPhase),
    });
  };

  const optional = <Key extends string, Value>(key: Key, value: Value | undefined): Partial<Record<Key, Value>> =>
    value === undefined ? {} : ({ [key]: value } as Record<Key, Value>);

  return {
    record,
    totals: (filter) => report(filter).total,
    report,
    records: (filter) => [...select(filter)],
    recordCall: (call) => {
      if (options.calculator === undefined) throw invalid('calculator', 'recordCall needs a calculator in createUsageTracker options');
      const billed = call.source === undefined || call.source === 'provider';
      const entry: UsageRecord = {
        runId: call.runId,
        model: call.model,
        usage: call.usage,
        cost: billed ? options.calculator.cost(call.model, call.usage) : money(0n),
        ...optional('source', call.source),
        ...optional('taskId', call.taskId),
        ...optional('tier', call.tier),
        ...optional('phase', call.phase),
      };
      record(entry);
      return entry;
    },
    recordToolCall: (call) => {
      const entry: UsageRecord = {
        runId: call.runId,
        tool: call.tool,
        usage: EMPTY_USAGE,
        cost: call.cost ?? options.toolPrices?.[call.tool] ?? money(0n),
        ...optional('taskId', call.taskId),
        ...optional('tier', call.tier),
        ...optional('phase', call.phase),
      };
      record(entry);
      return entry;
    },
  };
}
