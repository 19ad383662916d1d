/**
 * Rebuilds the typed error of an {@link ErrorInfo} (the JSON form another process recorded), so an
 * error raised by a run's owner and carried through the store is thrown here as the same class with
 * the same code, message and details.
 */
import type {
  RuntimeError} from '@runtime/contracts';
import {
  AuthError,
  BudgetError,
  ContextError,
  DagError,
  ExecutionError,
  InternalError,
  ModelError,
  PolicyError,
  ProviderError,
  RunStateError,
  ToolError,
  ValidationError,
  type ErrorCode,
  type ErrorInfo,
  type RuntimeErrorOptions,
} from '@runtime/contracts';

type ErrorClass = new (options: RuntimeErrorOptions<never>) => RuntimeError;

const FAMILIES: readonly (readonly [ErrorClass, readonly ErrorCode[]])[] = [
  [ValidationError, ['VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE']],
  [DagError, ['DAG_CYCLE', 'UNKNOWN_DEPENDENCY', 'DUPLICATE_TASK_ID', 'DEADLOCK']],
  [ModelError, ['UNKNOWN_MODEL']],
  [ContextError, ['CONTEXT_TOO_LARGE']],
  [BudgetError, ['BUDGET_EXCEEDED', 'UNKNOWN_SCOPE', 'RESERVATION_NOT_FOUND', 'RESERVATION_CLOSED']],
  [PolicyError, ['POLICY_VIOLATION', 'RATE_LIMITED']],
  [AuthError, ['UNAUTHENTICATED']],
  [RunStateError, ['RUN_NOT_FOUND', 'RUN_NOT_RUNNING', 'IDEMPOTENCY_CONFLICT', 'QUEUE_FULL', 'RUN_OWNED', 'LEASE_LOST']],
  [ProviderError, ['PROVIDER_ERROR', 'PROVIDER_TIMEOUT', 'CIRCUIT_OPEN']],
  [ExecutionError, ['TASK_TIMEOUT', 'RUN_TIMEOUT', 'RUN_ABORTED', 'AGENT_MAX_STEPS']],
  [ToolError, ['TOOL_NOT_FOUND', 'TOOL_FAILED', 'TOOL_TIMEOUT', 'TOOL_INVALID_ARGUMENTS', 'TOOL_REJECTED']],
  [InternalError, ['STORE_ERROR', 'INTERNAL']],
];

const CLASS_OF = new Map<ErrorCode, ErrorClass>(FAMILIES.flatMap(([errorClass, codes]) => codes.map((code) => [code, errorClass] as const)));

/** The error `info` describes, as its family's class (a code this version does not know: InternalError `INTERNAL`). */
export function errorFromInfo(info: ErrorInfo): RuntimeError {
  const errorClass = CLASS_OF.get(info.code);
  if (errorClass === undefined) {
    return new InternalError({ code: 'INTERNAL', message: info.message, details: { ...info.details, originalCode: info.code } });
  }
  return new errorClass({ code: info.code as never, message: info.message, details: info.details });
}
