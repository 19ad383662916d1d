/**
 * DAG scheduling, bounded parallel execution, the run loop and the durable run store
 * (`@runtime/orchestration`).
 *
 * @remarks
 * Depends on `@runtime/contracts` only: cost, context, providers and policy come in through their
 * contract interfaces (see {@link OrchestratorOptions}). The SQLite store lives in the
 * `@runtime/orchestration/sqlite` subpath (optional peer `better-sqlite3`).
 *
 * @packageDocumentation
 */

export { createDependencyResolver } from './dependency-resolver.js';
export { createScheduler } from './scheduler.js';
export { createTaskQueue, type TaskQueueOptions } from './task-queue.js';
export { createParallelExecutor, type ParallelExecutorOptions } from './parallel-executor.js';
export { createOrchestrator } from './orchestrator.js';
export {
  type AgentOptions,
  type DurableOrchestrator,
  type OrchestratorOptions,
  type ResumeReport,
  type RunRequestNotifier,
  type StoreHealth,
  type StoreRetryOptions,
} from './orchestrator-options.js';
export { createMemoryRunStore } from './memory-run-store.js';
