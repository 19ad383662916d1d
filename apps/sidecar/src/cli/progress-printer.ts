/**
 * Live per-task progress of a run, one line per task transition: state, tokens, cost and the
 * budget left.
 */
import type { RuntimeEvent } from '@runtime/contracts';

/**
 * Options of {@link createProgressPrinter}.
 * @public
 */
export interface ProgressPrinterOptions {
  /** Where lines go. */
  readonly write: (line: string) => void;
  /** Budget of the run in USD, if any. */
  readonly budgetUsd?: number;
  /** Milliseconds since some origin. @defaultValue `performance.now` */
  readonly now?: () => number;
  /** Task id → tier label, for display. */
  readonly tiers?: ReadonlyMap<string, number>;
}

/**
 * Consumes events.
 * @public
 */
export interface ProgressPrinter {
  /** Prints the line of one event (events without a line are ignored). */
  onEvent(event: RuntimeEvent): void;
  /** USD spent so far. */
  readonly spentUsd: number;
}

const usdFormat = (value: number): string => `$${value.toFixed(6)}`;
const count = (value: number): string => value.toLocaleString('en-US');

/**
 * Creates a {@link ProgressPrinter}.
 * @public
 */
export function createProgressPrinter(options: ProgressPrinterOptions): ProgressPrinter {
  const now = options.now ?? (() => performance.now());
  const start = now();
  let spentUsd = 0;
  let reservedUsd = 0;
  const reservations = new Map<string, number>();
  const models = new Map<string, string>();
  const width = 24;

  function line(symbol: string, state: string, taskId: string, rest: string): void {
    const seconds = ((now() - start) / 1000).toFixed(1).padStart(6);
    const tier = options.tiers?.get(taskId);
    const label = `${taskId}${tier === undefined ? '' : ` (t${tier})`}`;
    options.write(`${seconds}s  ${symbol} ${state.padEnd(9)} ${label.padEnd(width)} ${rest}`.trimEnd());
  }

  // What is left is the budget minus what was spent, which only grows: the line never shows the
  // budget going up mid-run. Reservations of calls still in flight are shown beside it (they come
  // and go; counting them in "left" made it rise each time one settled below its worst case).
  function budgetLeft(): string {
    if (options.budgetUsd === undefined) return '';
    const left = usdFormat(Math.max(0, options.budgetUsd - spentUsd));
    return `  budget left ${left}${reservedUsd > 0 ? ` (${usdFormat(reservedUsd)} reserved)` : ''}`;
  }

  return {
    get spentUsd() {
      return spentUsd;
    },
    onEvent(event) {
      switch (event.type) {
        case 'run.started':
          options.write(`run ${event.runId}: ${event.tasks} tasks${options.budgetUsd === undefined ? '' : `, budget ${usdFormat(options.budgetUsd)}`}`);
          break;
        case 'task.started':
          models.set(event.taskId, event.model);
          line('▶', 'started', event.taskId, `${event.model}${event.attempt > 1 ? ` attempt ${event.attempt}` : ''}`);
          break;
        case 'budget.reserved':
          reservations.set(event.reservationId, event.amountUsd);
          reservedUsd += event.amountUsd;
          break;
        case 'budget.settled':
        case 'budget.released': {
          const amount = reservations.get(event.reservationId) ?? 0;
          reservations.delete(event.reservationId);
          reservedUsd = Math.max(0, reservedUsd - amount);
          break;
        }
        case 'task.retrying':
          line('↻', 'retrying', event.taskId, `${event.error.code} in ${event.delayMs} ms`);
          break;
        case 'task.completed':
          spentUsd += event.costUsd;
          line(
            '✓',
            'completed',
            event.taskId,
            `${(models.get(event.taskId) ?? '').padEnd(18)} ${count(event.usage.inputTokens).padStart(7)} in ${count(event.usage.outputTokens).padStart(6)} out  ${usdFormat(event.costUsd)}${budgetLeft()}`,
          );
          break;
        case 'task.failed':
          spentUsd += event.usage.costUsd;
          line('✗', 'failed', event.taskId, `${event.error.code}: ${event.error.message}`);
          break;
        case 'task.skipped':
          line('·', 'skipped', event.taskId, event.reason);
          break;
        case 'budget.exceeded':
          line('!', 'refused', event.taskId, `needs ${usdFormat(event.requestedUsd)}, ${usdFormat(event.limitUsd - event.spentUsd - event.reservedUsd)} left of ${usdFormat(event.limitUsd)}`);
          break;
        case 'run.completed':
        case 'run.failed':
        case 'run.aborted':
          options.write(
            `run ${event.type.slice(4)} in ${((now() - start) / 1000).toFixed(1)} s: ${count(event.usage.inputTokens)} in / ${count(event.usage.outputTokens)} out tokens, ${usdFormat(event.usage.costUsd)}${event.type === 'run.failed' ? ` — ${event.error.code}: ${event.error.message}` : ''}`,
          );
          break;
        default:
          break;
      }
    },
  };
}
