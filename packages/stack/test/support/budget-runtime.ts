/** The orchestrator with the real cost + context implementations, a chosen ledger and store. */
import { createContextBuilder, createContextCompactor, createContextRouter } from '@runtime/context';
import { createBudgetLedger, createCostCalculator, createModelCatalog, createTokenEstimator, createUsageTracker } from '@runtime/cost';
import type { BudgetLedger, LlmClient, ModelCatalogFile, PolicyEnforcer, RunStore, RuntimeEvent } from '@runtime/contracts';
import { createMemoryRunStore, createOrchestrator, type DurableOrchestrator } from '@runtime/orchestration';
import { OFFLINE_CATALOG } from '../../src/index.js';

export interface BudgetRuntimeOptions {
  readonly catalog?: ModelCatalogFile;
  readonly ledger?: BudgetLedger;
  readonly store?: RunStore;
  readonly policy?: PolicyEnforcer;
  readonly owner?: string;
  readonly reservationLeaseMs?: number;
  readonly leaseTtlMs?: number;
  readonly leaseRenewMs?: number;
  readonly onBackgroundError?: (error: unknown) => void;
  /** Most tokens of a `summarize` compaction's summary (the compactor's default otherwise). */
  readonly summaryMaxTokens?: number;
}

export function budgetRuntime(llm: LlmClient, options: BudgetRuntimeOptions = {}) {
  const catalog = createModelCatalog({ builtin: false, catalogs: [options.catalog ?? OFFLINE_CATALOG] });
  const estimator = createTokenEstimator({ catalog });
  const costs = createCostCalculator({ catalog });
  const ledger = options.ledger ?? createBudgetLedger();
  const usage = createUsageTracker();
  const store = options.store ?? createMemoryRunStore();
  const orchestrator: DurableOrchestrator = createOrchestrator({
    catalog,
    estimator,
    costs,
    ledger,
    usage,
    builder: createContextBuilder({ estimator }),
    // The `summarize` strategy asks the runtime's own client, as the stack's default runtime does.
    compactor: createContextCompactor({ estimator, summarizer: llm, ...(options.summaryMaxTokens === undefined ? {} : { summaryMaxTokens: options.summaryMaxTokens }) }),
    router: createContextRouter({ estimator }),
    llm,
    store,
    ...(options.policy === undefined ? {} : { policy: options.policy }),
    ...(options.owner === undefined ? {} : { owner: options.owner }),
    ...(options.reservationLeaseMs === undefined ? {} : { reservationLeaseMs: options.reservationLeaseMs }),
    ...(options.leaseTtlMs === undefined ? {} : { leaseTtlMs: options.leaseTtlMs }),
    ...(options.leaseRenewMs === undefined ? {} : { leaseRenewMs: options.leaseRenewMs }),
    ...(options.onBackgroundError === undefined ? {} : { onBackgroundError: options.onBackgroundError }),
  });
  return { orchestrator, catalog, estimator, costs, ledger, usage, store };
}

export async function collectEvents(orchestrator: DurableOrchestrator, runId: string): Promise<RuntimeEvent[]> {
  const out: RuntimeEvent[] = [];
  for await (const event of orchestrator.events(runId as never)) out.push(event);
  return out;
}

/** `inner` with some methods replaced; every other call goes to `inner` (bound, so a class-based ledger works). */
export function ledgerWith(inner: BudgetLedger, overrides: Partial<BudgetLedger>): BudgetLedger {
  return {
    setLimit: (scope, limit) => inner.setLimit(scope, limit),
    reserve: (scopes, amount, options) => inner.reserve(scopes, amount, options),
    settle: (id, actual, settleOptions) => inner.settle(id, actual, settleOptions),
    renew: (id, leaseMs) => inner.renew(id, leaseMs),
    lookup: (id) => inner.lookup(id),
    release: (id) => inner.release(id),
    releaseHolder: (holder) => inner.releaseHolder(holder),
    snapshot: (scope) => inner.snapshot(scope),
    ...overrides,
  };
}
