/**
 * The final billing of a run: per task tokens and exact cost, totals, and what the same usage
 * would have cost with every task on the flagship model.
 */
import {
  addMoney,
  type BillingReport,
  addUsage,
  EMPTY_USAGE,
  formatUsd,
  moneyToUsd,
  ZERO_MONEY,
  type CostCalculator,
  type ModelCatalog,
  type Money,
  type TaskRecord,
  type Usage,
} from '@runtime/contracts';
import { renderBillingReport } from '@runtime/cost';

/**
 * One task's line.
 * @public
 */
export interface BillingRow {
  /** Task id. */
  readonly id: string;
  /** Tier, if the spec gave one. */
  readonly tier?: number;
  /** Catalog model id. */
  readonly model: string;
  /** Final state. */
  readonly state: string;
  /** Tokens of all its calls. */
  readonly usage: Usage;
  /** Exact cost. */
  readonly cost: Money;
  /** The same usage priced on the flagship model. */
  readonly flagshipCost: Money;
}

/**
 * A run's billing.
 * @public
 */
export interface BillingSummary {
  /** Per task, in submission order. */
  readonly rows: readonly BillingRow[];
  /** Sum of the tasks' usage. */
  readonly usage: Usage;
  /** Exact total. */
  readonly total: Money;
  /** The flagship model used for the comparison. */
  readonly flagshipModel: string;
  /** Total with every task on the flagship model. */
  readonly flagshipTotal: Money;
}

/**
 * Builds the summary from the journaled task records.
 * @public
 */
export function summarizeBilling(input: {
  readonly tasks: readonly TaskRecord[];
  readonly catalog: ModelCatalog;
  readonly calculator: CostCalculator;
}): BillingSummary {
  const flagship = input.catalog.forRole('flagship');
  let total: Money = ZERO_MONEY;
  let flagshipTotal: Money = ZERO_MONEY;
  let usage: Usage = EMPTY_USAGE;
  const rows = input.tasks.map((task): BillingRow => {
    const flagshipCost = input.calculator.cost(flagship.id, task.usage);
    total = addMoney(total, task.cost);
    flagshipTotal = addMoney(flagshipTotal, flagshipCost);
    usage = addUsage(usage, task.usage);
    return {
      id: task.id,
      ...(task.spec.tier === undefined ? {} : { tier: task.spec.tier }),
      model: task.model,
      state: task.state,
      usage: task.usage,
      cost: task.cost,
      flagshipCost,
    };
  });
  return { rows, usage, total, flagshipModel: flagship.id, flagshipTotal };
}

function table(headers: readonly string[], rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const format = (row: readonly string[]): string =>
    row.map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0))).join('  ').trimEnd();
  const rule = widths.map((width) => '─'.repeat(width)).join('  ');
  return [format(headers), rule, ...rows.map(format)].join('\n');
}

const count = (value: number): string => value.toLocaleString('en-US');

/**
 * Renders the summary as a text table.
 * @public
 */
export function renderBillingSummary(summary: BillingSummary): string {
  const rows = summary.rows.map((row) => [
    row.id,
    row.tier === undefined ? '' : String(row.tier),
    row.model,
    row.state,
    count(row.usage.inputTokens),
    count(row.usage.outputTokens),
    formatUsd(row.cost, 6),
    formatUsd(row.flagshipCost, 6),
  ]);
  rows.push([
    'total',
    '',
    '',
    '',
    count(summary.usage.inputTokens),
    count(summary.usage.outputTokens),
    formatUsd(summary.total, 6),
    formatUsd(summary.flagshipTotal, 6),
  ]);
  const text = table(['task', 'tier', 'model', 'state', 'input', 'output', 'cost', `on ${summary.flagshipModel}`], rows, new Set([1, 4, 5, 6, 7]));
  const actual = moneyToUsd(summary.total);
  const flagship = moneyToUsd(summary.flagshipTotal);
  const saving =
    flagship > 0
      ? `Tier routing cost ${formatUsd(summary.total, 6)}; every task on ${summary.flagshipModel} would have cost ${formatUsd(summary.flagshipTotal, 6)} (${((1 - actual / flagship) * 100).toFixed(1)}% saved, ${(flagship / Math.max(actual, 1e-12)).toFixed(1)}× cheaper).`
      : `Total ${formatUsd(summary.total, 6)}.`;
  return `${text}\n\n${saving}`;
}

/**
 * The model and tier breakdowns of a run's billing report (rendered by `@runtime/cost`), or
 * nothing when the tracker saw no call of the run (calls made by an earlier process).
 * @public
 */
export function renderBreakdowns(report: BillingReport): string | undefined {
  if (report.total.calls === 0) return undefined;
  return renderBillingReport({ ...report, byRun: {}, byTask: {}, byTool: {}, byPhase: {} }, { format: 'text', title: 'Billing report by model and tier' }).trimEnd();
}
