/** Converts journaled records into the views the API returns. */
import {
  addUsage,
  EMPTY_USAGE,
  moneyToUsd,
  ZERO_MONEY,
  type Money,
  type Run,
  type RunRecord,
  type Task,
  type TaskRecord,
  type Usage,
  type UsageView,
} from '@runtime/contracts';
import { dependencyIds } from './dependency-ids.js';
import type { TaskId } from '@runtime/contracts';

const NO_USAGE_VIEW: UsageView = Object.freeze({ ...EMPTY_USAGE, costUsd: 0 });

export function usageView(usage: Usage, cost: Money): UsageView {
  if (usage === EMPTY_USAGE && cost === 0n) return NO_USAGE_VIEW;
  return usageViewUsd(usage, moneyToUsd(cost));
}

/** The same, with the cost already converted to USD. */
export function usageViewUsd(usage: Usage, costUsd: number): UsageView {
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cacheReadTokens: usage.cacheReadTokens,
    cacheWriteTokens: usage.cacheWriteTokens,
    reasoningTokens: usage.reasoningTokens,
    costUsd,
  };
}

export function taskView(record: TaskRecord): Task {
  const view: { -readonly [Key in keyof Task]: Task[Key] } = {
    id: record.id,
    state: record.state,
    deps: dependencyIds(record.spec) as TaskId[],
    model: record.model,
    attempts: record.attempts,
    usage: usageView(record.usage, record.cost),
  };
  if (record.output !== undefined) view.output = record.output;
  if (record.error !== undefined) view.error = record.error;
  if (record.startedAt !== undefined) view.startedAt = record.startedAt;
  if (record.endedAt !== undefined) view.endedAt = record.endedAt;
  if (record.waiting !== undefined) view.waiting = record.waiting;
  if (record.source !== undefined) view.source = record.source;
  if (record.usageAdjusted !== undefined) view.usageAdjusted = record.usageAdjusted;
  return view;
}

/** Totals of a run's tasks. */
export function totals(tasks: readonly { readonly usage: Usage; readonly cost: Money }[]): { usage: Usage; cost: Money } {
  let usage = EMPTY_USAGE;
  let cost = 0n;
  for (const task of tasks) {
    usage = addUsage(usage, task.usage);
    cost += task.cost;
  }
  return { usage, cost: cost as Money };
}

export function runView(run: RunRecord, tasks: readonly TaskRecord[], reserved: Money = ZERO_MONEY): Run {
  const sum = totals(tasks);
  return {
    id: run.id,
    state: run.state,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    tasks: tasks.map(taskView),
    usage: usageView(sum.usage, sum.cost),
    budget:
      run.budgetLimit === undefined
        ? null
        : { limitUsd: moneyToUsd(run.budgetLimit), spentUsd: moneyToUsd(sum.cost), reservedUsd: moneyToUsd(reserved) },
    ...(run.error === undefined ? {} : { error: run.error }),
    ...(run.spec.metadata === undefined ? {} : { metadata: run.spec.metadata }),
  };
}
