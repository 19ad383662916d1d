/**
 * The SQLite `RunStore` (`@runtime/orchestration/sqlite`): needs the optional peer
 * `better-sqlite3`.
 *
 * @packageDocumentation
 */

export { createSqliteRunStore, type SqliteRunStoreOptions } from './sqlite-run-store.js';
