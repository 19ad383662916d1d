/** Records shared by the RunStore contract suites. */
import { asRunId, asTaskId, type RunRecord, type RuntimeEvent, type TaskRecord } from '@runtime/contracts';

export function run(id: string, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    id: asRunId(id),
    tenant: 'acme',
    spec: { tasks: [{ id: 'a', prompt: 'x' }] },
    state: 'running',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    budgetLimit: 123_456_789_012_345_678_901n as RunRecord['budgetLimit'] & bigint,
    lastSeq: 0,
    ...extra,
  };
}

export function taskRecord(runId: string, id: string, index: number, extra: Partial<TaskRecord> = {}): TaskRecord {
  return {
    runId: asRunId(runId),
    id: asTaskId(id),
    index,
    spec: { id, prompt: 'x' },
    state: 'pending',
    model: 'm',
    attempts: 0,
    usage: { inputTokens: 1, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
    cost: 987_654_321_987_654_321n as TaskRecord['cost'],
    ...extra,
  };
}

export function event(runId: string, seq: number): RuntimeEvent {
  return { type: 'task.ready', taskId: asTaskId('a'), runId: asRunId(runId), seq, at: '2026-01-01T00:00:00.000Z' };
}
