/**
 * The PostgreSQL `RunStore` (`@runtime/orchestration/postgres`): needs the optional peer `pg`.
 *
 * @packageDocumentation
 */

export { createPostgresRunStore, type PostgresRunStoreOptions } from './postgres-run-store.js';
