/**
 * Plain-text and Markdown renderings of a {@link @runtime/contracts#BillingReport}.
 *
 * @remarks
 * Amounts are shown with a fixed number of decimals (rounded half up); the report object itself
 * stays exact. Not responsible for collecting usage (see {@link createUsageTracker}).
 */
import { formatUsd } from '@runtime/contracts';
import type { BillingReport, UsageTotals } from '@runtime/contracts';

/**
 * Options of {@link renderBillingReport}.
 * @public
 */
export interface RenderBillingReportOptions {
  /** Output format. */
  readonly format: 'text' | 'markdown';
  /** Decimals of USD amounts. @defaultValue 6 */
  readonly decimals?: number;
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

function row(name: string, totals: UsageTotals, decimals: number): string[] {
  const { usage } = totals;
  return [
    name,
    String(totals.calls),
    String(usage.inputTokens),
    String(usage.cacheReadTokens + usage.cacheWriteTokens),
    String(usage.outputTokens),
    String(usage.reasoningTokens),
    formatUsd(totals.cost, decimals),
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
    `Total: ${formatUsd(report.total.cost, decimals)} over ${report.total.calls} call(s)`,
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
