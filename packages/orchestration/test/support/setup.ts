/** Wires the fakes into an orchestrator for tests. */
import type { Clock, LlmClient, PolicyEnforcer, RunStore } from '@runtime/contracts';
import { createMemoryRunStore } from '../../src/memory-run-store.js';
import { createOrchestrator } from '../../src/orchestrator.js';
import type { OrchestratorOptions } from '../../src/orchestrator-options.js';
import { fakeBuilder, fakeCatalog, fakeCompactor, fakeCosts, fakeEstimator, fakeLedger, fakeRouter, type FakeLedger } from './fakes.js';

export interface Harness {
  readonly orchestrator: ReturnType<typeof createOrchestrator>;
  readonly ledger: FakeLedger;
  readonly store: RunStore;
}

export function harness(
  llm: LlmClient,
  extra: Partial<OrchestratorOptions> & { store?: RunStore; ledger?: FakeLedger; policy?: PolicyEnforcer; clock?: Clock } = {},
): Harness {
  const estimator = fakeEstimator();
  const ledger = extra.ledger ?? fakeLedger();
  const store = extra.store ?? createMemoryRunStore();
  const orchestrator = createOrchestrator({
    catalog: fakeCatalog(),
    estimator,
    costs: fakeCosts(),
    ledger,
    builder: fakeBuilder(estimator),
    compactor: fakeCompactor(estimator),
    router: fakeRouter(estimator),
    llm,
    onBackgroundError: (error) => {
      throw error;
    },
    ...extra,
    store,
  });
  return { orchestrator, ledger, store };
}
