/**
 * `runtime run`: runs a plan in-process with live progress and a final billing table.
 */
import { TERMINAL_RUN_STATES, type Run, type RunSpec } from '@runtime/contracts';
import type { SidecarRuntime } from '../runtime/sidecar-runtime.js';
import { renderBillingSummary, renderBreakdowns, summarizeBilling, type BillingSummary } from './billing-summary.js';
import { createProgressPrinter } from './progress-printer.js';

/**
 * Options of {@link runPlan}.
 * @public
 */
export interface RunPlanOptions {
  /** Domain services. */
  readonly runtime: SidecarRuntime;
  /** The plan. */
  readonly spec: RunSpec;
  /** Progress and report lines; none for `--json`. */
  readonly write?: (line: string) => void;
  /** Tenant that owns the run. @defaultValue `'default'` */
  readonly tenant?: string;
}

/**
 * What a finished run reports.
 * @public
 */
export interface RunPlanResult {
  /** The final run. */
  readonly run: Run;
  /** Billing from the journal. */
  readonly billing: BillingSummary;
}

/**
 * Starts the run, prints progress until it ends, prints the billing table.
 * @public
 */
export async function runPlan(options: RunPlanOptions): Promise<RunPlanResult> {
  const { runtime, spec, write } = options;
  const tiers = new Map<string, number>();
  for (const task of spec.tasks) if (task.tier !== undefined) tiers.set(task.id, task.tier);
  const printer =
    write === undefined ? undefined : createProgressPrinter({ write, tiers, ...(spec.policy?.budgetUsd === undefined ? {} : { budgetUsd: spec.policy.budgetUsd }) });
  const started = await runtime.orchestrator.start(spec, { tenant: options.tenant ?? 'default' });
  let run: Run;
  if (printer === undefined) {
    run = await runtime.orchestrator.wait(started.id);
  } else {
    for await (const event of runtime.orchestrator.events(started.id, 0)) printer.onEvent(event);
    run = await runtime.orchestrator.wait(started.id);
  }
  if (!TERMINAL_RUN_STATES.has(run.state)) run = await runtime.orchestrator.wait(started.id);
  const billing = summarizeBilling({ tasks: await runtime.store.getTasks(run.id), catalog: runtime.catalog, calculator: runtime.calculator });
  if (write !== undefined) {
    write('');
    write(renderBillingSummary(billing));
    const breakdowns = renderBreakdowns(runtime.usage.report({ runId: run.id }));
    if (breakdowns !== undefined) write(`\n${breakdowns}`);
  }
  return { run, billing };
}
