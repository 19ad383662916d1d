/**
 * The one error type of the system, its stable codes and its code families.
 *
 * @remarks
 * Every error that crosses a package boundary is a {@link RuntimeError} with a stable `code`.
 * `RuntimeError.isInstance` works across duplicate installs and realms (it checks a
 * `Symbol.for` marker, not the prototype chain). Subclasses group codes into families so callers can
 * catch a family (`BudgetError.isInstance(e)`) without listing codes.
 */

/**
 * Codes of the HTTP API (`../shared/HTTP-API.md`), each with its HTTP status.
 * @public
 */
export const HTTP_ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  DAG_CYCLE: 422,
  UNKNOWN_DEPENDENCY: 422,
  DUPLICATE_TASK_ID: 422,
  UNKNOWN_MODEL: 422,
  CONTEXT_TOO_LARGE: 422,
  BUDGET_EXCEEDED: 402,
  RATE_LIMITED: 429,
  POLICY_VIOLATION: 403,
  UNAUTHENTICATED: 401,
  RUN_NOT_FOUND: 404,
  RUN_NOT_RUNNING: 409,
  IDEMPOTENCY_CONFLICT: 409,
  RUN_OWNED: 409,
  LEASE_LOST: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  QUEUE_FULL: 429,
  PROVIDER_ERROR: 502,
  PROVIDER_TIMEOUT: 504,
  CIRCUIT_OPEN: 503,
  TASK_TIMEOUT: 504,
  RUN_TIMEOUT: 504,
  RUN_ABORTED: 409,
  DEADLOCK: 500,
  UNKNOWN_SCOPE: 422,
  RESERVATION_NOT_FOUND: 404,
  RESERVATION_CLOSED: 409,
  TOOL_NOT_FOUND: 422,
  TOOL_FAILED: 500,
  TOOL_TIMEOUT: 504,
  TOOL_INVALID_ARGUMENTS: 422,
  TOOL_REJECTED: 403,
  AGENT_MAX_STEPS: 422,
  STORE_ERROR: 503,
  INTERNAL: 500,
} as const;

/**
 * Every stable error code.
 *
 * @remarks
 * Codes are part of the public contract: they may be added, never renamed or removed.
 * `QUEUE_FULL` (a bounded queue refused work), `PROVIDER_TIMEOUT` (one attempt timed out),
 * `RUN_TIMEOUT`, `DEADLOCK`, `UNKNOWN_SCOPE`, `RESERVATION_NOT_FOUND`, `RESERVATION_CLOSED`,
 * `TOOL_NOT_FOUND`, `TOOL_FAILED`, `TOOL_TIMEOUT`, `TOOL_INVALID_ARGUMENTS`, `TOOL_REJECTED`,
 * `AGENT_MAX_STEPS`, `STORE_ERROR`, `INTERNAL`, `RUN_OWNED` and `LEASE_LOST` extend the HTTP list.
 * @public
 */
export type ErrorCode = keyof typeof HTTP_ERROR_STATUS;

/**
 * All error codes, in declaration order.
 * @public
 */
export const ERROR_CODES: readonly ErrorCode[] = Object.keys(HTTP_ERROR_STATUS) as ErrorCode[];

/**
 * Structured, JSON-safe details of an error. Amounts are USD numbers.
 * @public
 */
export type ErrorDetails = Readonly<Record<string, unknown>>;

/**
 * The JSON form of an error, as carried by runs, tasks, events and HTTP error bodies.
 * @public
 */
export interface ErrorInfo {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** One human sentence. */
  readonly message: string;
  /** Structured details (ids, limits, observed values). */
  readonly details: ErrorDetails;
}

/**
 * Constructor options of {@link RuntimeError} and its subclasses.
 * @public
 */
export interface RuntimeErrorOptions<Code extends ErrorCode = ErrorCode> {
  /** Stable code. */
  readonly code: Code;
  /** One human sentence. */
  readonly message: string;
  /** Structured details. @defaultValue `{}` */
  readonly details?: ErrorDetails;
  /** The underlying error (ES2022 `cause`). */
  readonly cause?: unknown;
  /**
   * Whether repeating the same operation may succeed.
   * @defaultValue the code's default: true for `RATE_LIMITED`, `QUEUE_FULL`, `PROVIDER_TIMEOUT`,
   * `CIRCUIT_OPEN`, `STORE_ERROR`; false otherwise.
   */
  readonly isRetryable?: boolean;
}

const MARKER = Symbol.for('@runtime/error');

const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'RATE_LIMITED',
  'QUEUE_FULL',
  'PROVIDER_TIMEOUT',
  'CIRCUIT_OPEN',
  'STORE_ERROR',
]);

/**
 * Base of every error the runtime throws on purpose.
 *
 * @example
 * ```ts
 * try { await ledger.reserve(scopes, amount); }
 * catch (error) { if (BudgetError.isInstance(error)) console.log(error.details); }
 * ```
 * @public
 */
export class RuntimeError<Code extends ErrorCode = ErrorCode> extends Error {
  /** Stable code. */
  readonly code: Code;
  /** Structured details. */
  readonly details: ErrorDetails;
  /** Whether repeating the same operation may succeed. */
  readonly isRetryable: boolean;

  /** Creates an error from its code, message, details, cause and retryability. */
  constructor(options: RuntimeErrorOptions<Code>) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.details = options.details ?? {};
    this.isRetryable = options.isRetryable ?? RETRYABLE_BY_DEFAULT.has(options.code);
    Object.defineProperty(this, MARKER, { value: true, enumerable: false });
  }

  /** True for any {@link RuntimeError}, including one from another copy of this package. */
  static isInstance(value: unknown): value is RuntimeError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }

  /** The JSON form carried by runs, tasks, events and HTTP bodies. */
  toJSON(): ErrorInfo {
    return { code: this.code, message: this.message, details: this.details };
  }
}

function family<Code extends ErrorCode>(codes: readonly Code[]): (value: unknown) => boolean {
  const set: ReadonlySet<ErrorCode> = new Set<ErrorCode>(codes);
  return (value) => RuntimeError.isInstance(value) && set.has(value.code);
}

/**
 * Codes of {@link ValidationError}.
 * @public
 */
export type ValidationErrorCode = 'VALIDATION_FAILED' | 'PAYLOAD_TOO_LARGE' | 'UNSUPPORTED_MEDIA_TYPE';
const isValidation = family<ValidationErrorCode>(['VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE']);

/**
 * Input that does not match its schema. `details.issues` lists `{ path, message }`.
 * @public
 */
export class ValidationError extends RuntimeError<ValidationErrorCode> {
  /** True for a {@link RuntimeError} whose code is in this family. */
  static override isInstance(value: unknown): value is ValidationError {
    return isValidation(value);
  }
}

/**
 * Codes of {@link DagError}.
 * @public
 */
export type DagErrorCode = 'DAG_CYCLE' | 'UNKNOWN_DEPENDENCY' | 'DUPLICATE_TASK_ID' | 'DEADLOCK';
const isDag = family<DagErrorCode>(['DAG_CYCLE', 'UNKNOWN_DEPENDENCY', 'DUPLICATE_TASK_ID', 'DEADLOCK']);

/**
 * A task graph that cannot run: `DAG_CYCLE` (`details.cycle`: ids in order, first repeated last),
 * `UNKNOWN_DEPENDENCY` (`details.task`, `details.dependency`), `DUPLICATE_TASK_ID` (`details.task`),
 * `DEADLOCK` (`details.pending`: ids that can never run).
 * @public
 */
export class DagError extends RuntimeError<DagErrorCode> {
  /** True for a {@link RuntimeError} whose code is in this family. */
  static override isInstance(value: unknown): value is DagError {
    return isDag(value);
  }
}

/**
 * Codes of {@link ModelError}.
 * @public
 */
export type ModelErrorCode = 'UNKNOWN_MODEL';
const isModel = family<ModelErrorCode>(['UNKNOWN_MODEL']);

/**
 * A model id missing from the catalog (`details.model`, `details.known`).
 * @public
 */
export class ModelError extends RuntimeError<ModelErrorCode> {
  /** True for a {@link RuntimeError} whose code is in this family. */
  static override isInstance(value: unknown): value is ModelError {
    return isModel(value);
  }
}

/**
 * Codes of {@link ContextError}.
 * @public
 */
export type ContextErrorCode = 'CONTEXT_TOO_LARGE';
const isContext = family<ContextErrorCode>(['CONTEXT_TOO_LARGE']);

/**
 * A context that cannot fit: `details.maxTokens`, `details.tokens`, `details.minimumTokens`.
 * @public
 */
export class ContextError extends RuntimeError<ContextErrorCode> {
  /** True for a {@link RuntimeError} whose code is in this family. */
  static override isInstance(value: unknown): value is ContextError {
    return isContext(value);
  }
}

/**
 * Codes of {@link BudgetError}.
 * @public
 */
export type BudgetErrorCode = 'BUDGET_EXCEEDED' | 'UNKNOWN_SCOPE' | 'RESERVATION_NOT_FOUND' | 'RESERVATION_CLOSED';
const isBudget = family<BudgetErrorCode>(['BUDGET_EXCEEDED', 'UNKNOWN_SCOPE', 'RESERVATION_NOT_FOUND', 'RESERVATION_CLOSED']);

/**
 * A budget refusal or ledger misuse. `BUDGET_EXCEEDED` carries {@link BudgetExceededDetails}.
 * @public
 */
export class BudgetError extends RuntimeError<BudgetErrorCode> {
  /** True for a {@link RuntimeError} whose code is in this family. */
  static override isInstance(value: unknown): value is BudgetError {
    return isBudget(value);
  }
}

/**
 * Details of `BUDGET_EXCEEDED`: the first scope that could not fit the request. Amounts in USD.
 * @public
 */
export interface BudgetExceededDetails {
  /** The scope that refused. */
  readonly scope: string;
  /** Its limit. */
  readonly limitUsd: number;
  /** Settled spend in the scope. */
  readonly spentUsd: number;
  /** Open reservations in the scope. */
  readonly reservedUsd: number;
  /** The amount asked for. */
  readonly requestedUsd: number;
}

/**
 * Codes of {@link PolicyError}.
 * @public
 */
export type PolicyErrorCode = 'POLICY_VIOLATION' | 'RATE_LIMITED';
const isPolicy = family<PolicyErrorCode>(['POLICY_VIOLATION', 'RATE_LIMITED']);

/**
 * A policy refusal: `details.rule`, `details.limit`, `details.observed`, and for `RATE_LIMITED`
 * `details.retryAfterMs`.
 * @public
 */
export class PolicyError extends RuntimeError<PolicyErrorCode> {
  /** True for a {@link RuntimeError} whose code is in this family. */
  static override isInstance(value: unknown): value is PolicyError {
    return isPolicy(value);
  }
}

/**
 * Codes of {@link AuthError}.
 * @public
 */
export type AuthErrorCode = 'UNAUTHENTICATED';
const isAuth = family<AuthErrorCode>(['UNAUTHENTICATED']);

/**
 * A missing or unknown API key.
 * @public
 */
export class AuthError extends RuntimeError<AuthErrorCode> {
  /** True for a {@link RuntimeError} whose code is in this family. */
  static override isInstance(value: unknown): value is AuthError {
    return isAuth(value);
  }
}

/**
 * Codes of {@link RunStateError}.
 * @public
 */
export type RunStateErrorCode =
  | 'RUN_NOT_FOUND'
  | 'RUN_NOT_RUNNING'
  | 'IDEMPOTENCY_CONFLICT'
  | 'QUEUE_FULL'
  | 'RUN_OWNED'
  | 'LEASE_LOST';
const isRunState = family<RunStateErrorCode>([
  'RUN_NOT_FOUND',
  'RUN_NOT_RUNNING',
  'IDEMPOTENCY_CONFLICT',
  'QUEUE_FULL',
  'RUN_OWNED',
  'LEASE_LOST',
]);

/**
 * An operation that does not fit the run's state. `QUEUE_FULL` carries `details.capacity` and
 * `details.retryAfterMs`; `RUN_OWNED` (another owner holds an unexpired lease: `details.owner`,
 * `details.expiresAt`) and `LEASE_LOST` (a commit or renewal fenced out because the run's lease
 * moved on: `details.owner`, `details.epoch`, `details.currentEpoch`) guard run ownership.
 * @public
 */
export class RunStateError extends RuntimeError<RunStateErrorCode> {
  /** True for a {@link RuntimeError} whose code is in this family. */
  static override isInstance(value: unknown): value is RunStateError {
    return isRunState(value);
  }
}

/**
 * Codes of {@link ProviderError}.
 * @public
 */
export type ProviderErrorCode = 'PROVIDER_ERROR' | 'PROVIDER_TIMEOUT' | 'CIRCUIT_OPEN';
const isProvider = family<ProviderErrorCode>(['PROVIDER_ERROR', 'PROVIDER_TIMEOUT', 'CIRCUIT_OPEN']);

/**
 * A failed LLM call: `details.status` (HTTP status when there was one), `details.provider`,
 * `details.model`, `details.retryAfterMs` (when the provider said; never 0 for `CIRCUIT_OPEN`),
 * `details.kind` (`transient` | `terminal`). `isRetryable` is the classification.
 *
 * @remarks
 * `details.reason` names special cases: `incomplete_stream` (the stream ended before its terminal
 * event — retryable while nothing had been delivered, terminal after output), `empty_response`
 * (an answer without any content), `content_policy`, `malformed_response`. When the provider had
 * already answered (a stream cut or failing after output, an empty answer), `details.usage` is a
 * `Usage` of what it may bill, estimated where it did not say (`usage.estimated`), and
 * `details.delivered` tells whether output had reached the caller: charge it, the call was paid.
 * @public
 */
export class ProviderError extends RuntimeError<ProviderErrorCode> {
  /** True for a {@link RuntimeError} whose code is in this family. */
  static override isInstance(value: unknown): value is ProviderError {
    return isProvider(value);
  }
}

/**
 * Codes of {@link ExecutionError}.
 * @public
 */
export type ExecutionErrorCode = 'TASK_TIMEOUT' | 'RUN_TIMEOUT' | 'RUN_ABORTED' | 'AGENT_MAX_STEPS';
const isExecution = family<ExecutionErrorCode>(['TASK_TIMEOUT', 'RUN_TIMEOUT', 'RUN_ABORTED', 'AGENT_MAX_STEPS']);

/**
 * A task or run stopped by a deadline or an abort (`details.timeoutMs`, `details.reason`), or an agent
 * task that used its `maxSteps` without a final answer (`AGENT_MAX_STEPS`, `details.maxSteps`).
 * @public
 */
export class ExecutionError extends RuntimeError<ExecutionErrorCode> {
  /** True for a {@link RuntimeError} whose code is in this family. */
  static override isInstance(value: unknown): value is ExecutionError {
    return isExecution(value);
  }
}

/**
 * Codes of {@link ToolError}.
 * @public
 */
export type ToolErrorCode = 'TOOL_NOT_FOUND' | 'TOOL_FAILED' | 'TOOL_TIMEOUT' | 'TOOL_INVALID_ARGUMENTS' | 'TOOL_REJECTED';
const isTool = family<ToolErrorCode>(['TOOL_NOT_FOUND', 'TOOL_FAILED', 'TOOL_TIMEOUT', 'TOOL_INVALID_ARGUMENTS', 'TOOL_REJECTED']);

/**
 * A tool that is not registered, that threw, timed out (`TOOL_TIMEOUT`, `details.timeoutMs`), got
 * arguments its schema refuses (`TOOL_INVALID_ARGUMENTS`, `details.issues`) or whose call a human
 * rejected (`TOOL_REJECTED`); always `details.tool`.
 * @public
 */
export class ToolError extends RuntimeError<ToolErrorCode> {
  /** True for a {@link RuntimeError} whose code is in this family. */
  static override isInstance(value: unknown): value is ToolError {
    return isTool(value);
  }
}

/**
 * Codes of {@link InternalError}.
 * @public
 */
export type InternalErrorCode = 'STORE_ERROR' | 'INTERNAL';
const isInternal = family<InternalErrorCode>(['STORE_ERROR', 'INTERNAL']);

/**
 * A store that cannot be reached (`STORE_ERROR`, retryable) or a bug (`INTERNAL`).
 * @public
 */
export class InternalError extends RuntimeError<InternalErrorCode> {
  /** True for a {@link RuntimeError} whose code is in this family. */
  static override isInstance(value: unknown): value is InternalError {
    return isInternal(value);
  }
}

type ErrorClass = (new (options: RuntimeErrorOptions<never>) => RuntimeError) & { isInstance(value: unknown): boolean };

/** Each code's class, derived once from the families above (their `isInstance` decides). */
const CLASS_OF: ReadonlyMap<ErrorCode, ErrorClass> = (() => {
  const classes: readonly ErrorClass[] = [ValidationError, DagError, ModelError, ContextError, BudgetError, PolicyError, AuthError, RunStateError, ProviderError, ExecutionError, ToolError, InternalError];
  const map = new Map<ErrorCode, ErrorClass>();
  for (const code of ERROR_CODES) {
    const probe = { [MARKER]: true, code };
    const owner = classes.find((errorClass) => errorClass.isInstance(probe));
    if (owner !== undefined) map.set(code, owner);
  }
  return map;
})();

/**
 * Rebuilds the typed error an {@link ErrorInfo} describes (the JSON form carried by the journal, a
 * store or an HTTP body) as its family's class with the same code, message and details; the inverse
 * of {@link toErrorInfo}. A code this version does not know becomes {@link InternalError} `INTERNAL`
 * with `details.originalCode`.
 * @public
 */
export function errorFromInfo(info: ErrorInfo): RuntimeError {
  const errorClass = CLASS_OF.get(info.code);
  if (errorClass === undefined) {
    return new InternalError({ code: 'INTERNAL', message: info.message, details: { ...info.details, originalCode: info.code } });
  }
  return new errorClass({ code: info.code as never, message: info.message, details: info.details });
}

/**
 * Converts anything thrown into {@link ErrorInfo}: a {@link RuntimeError} keeps its code; anything
 * else becomes `INTERNAL` with its message.
 * @public
 */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (RuntimeError.isInstance(error)) return error.toJSON();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message: message === '' ? 'Unexpected error.' : message, details: {} };
}
