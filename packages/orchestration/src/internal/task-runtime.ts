/** The live, mutable state of one task inside a running run, and its journal record. */
import {
  ZERO_MONEY,
  type ErrorInfo,
  type Money,
  type ModelInfo,
  type ReservationId,
  type RunId,
  type TaskId,
  type TaskRecord,
  type TaskSpec,
  type TaskState,
  type Usage,
} from '@runtime/contracts';

export interface TaskRuntime {
  readonly id: TaskId;
  readonly index: number;
  readonly spec: TaskSpec;
  readonly model: ModelInfo;
  readonly maxOutputTokens: number;
  state: TaskState;
  attempts: number;
  output: string | undefined;
  error: ErrorInfo | undefined;
  usage: Usage;
  cost: Money;
  reservationId: ReservationId | undefined;
  reserved: Money;
  startedAt: string | undefined;
  endedAt: string | undefined;
}

export function taskRecord(runId: RunId, task: TaskRuntime): TaskRecord {
  return {
    runId,
    id: task.id,
    index: task.index,
    spec: task.spec,
    state: task.state,
    model: task.model.id,
    attempts: task.attempts,
    ...(task.output === undefined ? {} : { output: task.output }),
    ...(task.error === undefined ? {} : { error: task.error }),
    usage: task.usage,
    cost: task.cost,
    ...(task.reservationId === undefined ? {} : { reservationId: task.reservationId }),
    ...(task.startedAt === undefined ? {} : { startedAt: task.startedAt }),
    ...(task.endedAt === undefined ? {} : { endedAt: task.endedAt }),
  };
}

/** Rebuilds a runtime from its journaled record (resume); an unfinished task goes back to pending. */
export function runtimeFromRecord(record: TaskRecord, model: ModelInfo, maxOutputTokens: number): TaskRuntime {
  const finished = record.state === 'completed' || record.state === 'failed' || record.state === 'skipped';
  return {
    id: record.id,
    index: record.index,
    spec: record.spec,
    model,
    maxOutputTokens,
    state: finished ? record.state : 'pending',
    attempts: record.attempts,
    output: record.output,
    error: record.error,
    usage: record.usage,
    cost: record.cost,
    reservationId: undefined,
    reserved: ZERO_MONEY,
    startedAt: record.startedAt,
    endedAt: record.endedAt,
  };
}
