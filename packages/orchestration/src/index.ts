/**
 * DAG scheduling, bounded parallel execution, run loop and durable run store (`@runtime/orchestration`).
 *
 * @remarks
 * This package is a shell: its components (DependencyResolver, Scheduler, QueueManager, ParallelExecutor, Orchestrator (the run loop), RunStore (journal, resume) and events) land in later issues.
 * It depends on `@runtime/contracts` only and receives collaborators through contract interfaces;
 * it never imports another domain package.
 *
 * @packageDocumentation
 */

/**
 * The npm name of this package.
 *
 * @public
 */
export const PACKAGE_NAME = '@runtime/orchestration';
