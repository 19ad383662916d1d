/** The live, mutable state of one task inside a running run, and its journal record. */
import {
  ZERO_MONEY,
  type ErrorInfo,
  type Money,
  type ModelInfo,
  type RoutedOutput,
  type ReservationId,
  type ResultSource,
  type RunId,
  type TaskId,
  type TaskRecord,
  type TaskSpec,
  type TaskState,
  type TaskWaiting,
  type Usage,
  type UsageAdjustment,
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
  /** Why it waits, while `state` is `waiting`. */
  waiting: TaskWaiting | undefined;
  /** `dedup` or `cache` when the completing result was not a billed provider call. */
  source: ResultSource | undefined;
  /** Changes made to impossible provider-reported usage before it was charged. */
  usageAdjusted: readonly UsageAdjustment[] | undefined;
  /**
   * The output as last routed whole (no `select`, no `maxTokens`) to a dependent of `routedFor`'s
   * model: dependents that share a model receive the same routed text, so it is routed (and its
   * tokens counted) once. Not journaled.
   */
  routed: RoutedOutput | undefined;
  routedFor: string | undefined;
}

export function taskRecord(runId: RunId, task: TaskRuntime): TaskRecord {
  // Built field by field: optional fields are left out, not set to undefined (and no temporary
  // objects from conditional spreads — this runs several times per task).
  const record: { -readonly [Key in keyof TaskRecord]: TaskRecord[Key] } = {
    runId,
    id: task.id,
    index: task.index,
    spec: task.spec,
    state: task.state,
    model: task.model.id,
    attempts: task.attempts,
    usage: task.usage,
    cost: task.cost,
  };
  if (task.output !== undefined) record.output = task.output;
  if (task.error !== undefined) record.error = task.error;
  if (task.reservationId !== undefined) record.reservationId = task.reservationId;
  if (task.startedAt !== undefined) record.startedAt = task.startedAt;
  if (task.endedAt !== undefined) record.endedAt = task.endedAt;
  if (task.waiting !== undefined) record.waiting = task.waiting;
  if (task.source !== undefined) record.source = task.source;
  if (task.usageAdjusted !== undefined) record.usageAdjusted = task.usageAdjusted;
  return record;
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
    waiting: undefined,
    source: record.source,
    usageAdjusted: record.usageAdjusted,
    routed: undefined,
    routedFor: undefined,
  };
}
