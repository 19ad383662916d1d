/**
 * A usage tracker that keeps the records of the most recent runs only.
 *
 * @remarks
 * `@runtime/cost`'s tracker keeps every record of the process's life: right for the CLI (one run),
 * a leak for a server that runs for weeks. This one keeps the records of the last `maxRuns` runs
 * (the oldest run's records go first) and answers `totals`/`report` over what it keeps, through a
 * tracker built for the query. Billing of record is the journal (run and task usage), not this.
 */
import type { BillingReport, UsageFilter, UsageRecord, UsageTotals, UsageTracker } from '@runtime/contracts';
import { createUsageTracker } from '@runtime/cost';

/**
 * Creates the bounded tracker.
 * @param maxRuns - runs whose records are kept. @defaultValue 1000
 * @public
 */
export function createBoundedUsageTracker(maxRuns = 1000): UsageTracker & { readonly runsKept: number } {
  const byRun = new Map<string, UsageRecord[]>();

  function view(filter?: UsageFilter): UsageTracker {
    const tracker = createUsageTracker();
    const runs = filter?.runId === undefined ? [...byRun.values()] : [byRun.get(filter.runId) ?? []];
    for (const records of runs) for (const record of records) tracker.record(record);
    return tracker;
  }

  return {
    get runsKept() {
      return byRun.size;
    },
    record(record) {
      let records = byRun.get(record.runId);
      if (records === undefined) {
        records = [];
        byRun.set(record.runId, records);
        if (byRun.size > maxRuns) {
          const oldest = byRun.keys().next();
          if (oldest.done !== true) byRun.delete(oldest.value);
        }
      }
      records.push(record);
    },
    totals(filter?: UsageFilter): UsageTotals {
      return view(filter).totals(filter);
    },
    report(filter?: UsageFilter): BillingReport {
      return view(filter).report(filter);
    },
  };
}
