/**
 * Plain-text and Markdown renderings of a {@link @runtime/contracts#BillingReport}.
 *
 * @remarks
 * Amounts are shown with a fixed number of decimals (rounded half up) or exactly; a rounded total
 * is followed by its exact value, and the report object itself stays exact. Not responsible for collecting usage (see {@link createUsageTracker}).
 */
import { formatUsd, moneyToDecimalString } from '@runtime/contracts';
import type { Money } from '@runtime/contracts';
import type { BillingReport, UsageTotals } from '@runtime/contracts';

/**
 * Options of {@link renderBillingReport}.
 * @public
 */
export interface RenderBillingReportOptions {
  /** Output format. */
  readonly format: 'text' | 'markdown';
  /**
   * Decimals of USD amounts, or `'exact'` for every amount to the femto-dollar. With a number of
   * decimals, a total that rounding changed is followed by its exact value.
   * @defaultValue 6
   */
  readonly decimals?: number | 'exact';
  /** Report title. @defaultValue `'Billing report'` */
  readonly title?: string;
}

const SECTIONS = [
  ['byRun', 'By run'],
  ['byTask', 'By task'],
  ['byModel', 'By model'],
  ['byTier', 'By tier'],
  ['byTool', 'By tool'],
  ['byPhase', 'By phase'],
] as const;

const HEADER = ['', 'calls', 'input', 'cached', 'output', 'reasoning', 'cost'] as const;

function format(amount: Money, decimals: number | 'exact'): string {
  if (decimals !== 'exact') return formatUsd(amount, decimals);
  const exact = moneyToDecimalString(amount);
  return exact.startsWith('-') ? `-$${exact.slice(1)}` : `$${exact}`;
}

function row(name: string, totals: UsageTotals, decimals: number | 'exact'): string[] {
  const { usage } = totals;
  return [
    name,
    String(totals.calls),
    String(usage.inputTokens),
    String(usage.cacheReadTokens + usage.cacheWriteTokens),
    String(usage.outputTokens),
    String(usage.reasoningTokens),
    format(totals.cost, decimals),
  ];
}

function markdownTable(rows: readonly string[][]): string[] {
  const [head, ...body] = rows;
  if (head === undefined) return [];
  const line = (cells: readonly string[]): string => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(head), `| --- | ${head.slice(1).map(() => '---:').join(' | ')} |`, ...body.map(line)];
}

function textTable(rows: readonly string[][]): string[] {
  const widths = HEADER.map((_, column) => Math.max(...rows.map((cells) => (cells[column] ?? '').length)));
  return rows.map((cells) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** The exact total after a rounded one, when rounding changed it. */
function exactSuffix(amount: Money, decimals: number | 'exact'): string {
  if (decimals === 'exact') return '';
  const exact = format(amount, 'exact');
  const rounded = format(amount, decimals);
  return usdOf(rounded) === usdOf(exact) ? '' : ` (exact: ${exact})`;
}

/** A formatted amount without trailing zeros, for comparison. */
function usdOf(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

function dedupedSuffix(totals: UsageTotals): string {
  return totals.dedupedCalls === undefined ? '' : `, ${totals.dedupedCalls} served by dedup/cache (not billed)`;
}

/**
 * Renders a billing report as plain text or Markdown: the total, then one table per breakdown.
 *
 * @example
 * ```ts
 * console.log(renderBillingReport(tracker.report(), { format: 'text' }));
 * ```
 * @public
 */
export function renderBillingReport(report: BillingReport, options: RenderBillingReportOptions): string {
  const decimals = options.decimals ?? 6;
  const title = options.title ?? 'Billing report';
  const markdown = options.format === 'markdown';
  const table = markdown ? markdownTable : textTable;
  const lines: string[] = [
    markdown ? `# ${title}` : title,
    '',
    `Total: ${format(report.total.cost, decimals)} over ${report.total.calls} call(s)${exactSuffix(report.total.cost, decimals)}${dedupedSuffix(report.total)}`,
    '',
  ];
  lines.push(...table([[...HEADER], row('total', report.total, decimals)]));
  for (const [key, label] of SECTIONS) {
    const entries = Object.entries(report[key]);
    if (entries.length === 0) continue;
    lines.push('', markdown ? `## ${label}` : `${label}:`, '');
    lines.push(...table([[...HEADER], ...entries.map(([name, totals]) => row(name, totals, decimals))]));
  }
  return `${lines.join('\n')}\n`;
}
