/**
 * Branded identifiers.
 *
 * @remarks
 * Ids are plain strings at run time; the brand only stops a `TaskId` being passed where a `RunId`
 * is expected. Use the `as…` functions at the boundary where an id enters the system.
 */

declare const brand: unique symbol;

/**
 * Adds a compile-time brand to a base type.
 * @public
 */
export type Brand<Base, Name extends string> = Base & { readonly [brand]: Name };

/**
 * Identifies one run (one submitted DAG).
 * @public
 */
export type RunId = Brand<string, 'RunId'>;

/**
 * Identifies one task inside a run; unique within its run only.
 * @public
 */
export type TaskId = Brand<string, 'TaskId'>;

/**
 * Identifies a model in the {@link ModelCatalog} (the catalog id, not the provider's model name).
 * @public
 */
export type ModelId = Brand<string, 'ModelId'>;

/**
 * Identifies one budget reservation in a {@link BudgetLedger}.
 * @public
 */
export type ReservationId = Brand<string, 'ReservationId'>;

/**
 * Brands a string as a {@link RunId}.
 * @public
 */
export function asRunId(value: string): RunId {
  return value as RunId;
}

/**
 * Brands a string as a {@link TaskId}.
 * @public
 */
export function asTaskId(value: string): TaskId {
  return value as TaskId;
}

/**
 * Brands a string as a {@link ModelId}.
 * @public
 */
export function asModelId(value: string): ModelId {
  return value as ModelId;
}

/**
 * Brands a string as a {@link ReservationId}.
 * @public
 */
export function asReservationId(value: string): ReservationId {
  return value as ReservationId;
}

/**
 * The pattern every task id must match (HTTP-API: 1..128 of `[A-Za-z0-9._-]`).
 * @public
 */
export const TASK_ID_PATTERN: RegExp = /^[A-Za-z0-9._-]{1,128}$/;
