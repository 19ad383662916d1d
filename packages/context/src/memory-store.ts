/**
 * MemoryStore: run-scoped key/value memory with TTL and size limits, in memory.
 *
 * @remarks
 * Tasks read and write named entries of their run; the orchestration layer journals writes. Time
 * comes from an injected clock, so expiry is tested without sleeping. Expired entries are removed
 * lazily, on the next access to their run. Not durable: a restarted process starts empty (the
 * orchestrator's journal is the durable record).
 */
import {
  systemClock,
  ValidationError,
  type Clock,
  type MemoryEntry,
  type MemorySetOptions,
  type MemoryStore,
  type RunId,
} from '@runtime/contracts';
import { describeValue, isIntegerAtLeast, validationFailed, type Issue } from './internal/errors.js';

/**
 * Options of {@link createMemoryStore}.
 * @public
 */
export interface MemoryStoreOptions {
  /** Source of time for `updatedAt` and expiry. @defaultValue `systemClock` */
  readonly clock?: Clock;
  /** Longest key in UTF-8 bytes. @defaultValue 256 */
  readonly maxKeyBytes?: number;
  /** Largest value in UTF-8 bytes. @defaultValue 65536 */
  readonly maxValueBytes?: number;
  /** Largest total of keys and values of one run in UTF-8 bytes. @defaultValue 1048576 */
  readonly maxRunBytes?: number;
  /** Most live entries of one run. @defaultValue 1000 */
  readonly maxEntriesPerRun?: number;
}

const encoder = new TextEncoder();

function byteLength(text: string): number {
  return encoder.encode(text).length;
}

interface StoredEntry {
  readonly entry: MemoryEntry;
  readonly bytes: number;
}

function tooLarge(rule: string, limit: number, observed: number, runId: RunId, key: string): ValidationError {
  return new ValidationError({
    code: 'PAYLOAD_TOO_LARGE',
    message: `Memory write of ${JSON.stringify(key)} in run ${runId} exceeds ${rule}: ${observed} > ${limit}.`,
    details: { rule, limit, observed, runId, key },
  });
}

/**
 * Creates an in-memory {@link @runtime/contracts#MemoryStore}.
 *
 * @remarks
 * A write replaces the key's entry; limits are checked against the run as it would be after the
 * write (the replaced entry and expired entries do not count), and a refused write changes nothing.
 *
 * @throws {@link @runtime/contracts#ValidationError} (from `set`) `VALIDATION_FAILED` for an empty key, a non-string
 * value or a `ttlMs` that is not an integer ≥ 1; `PAYLOAD_TOO_LARGE` with `details.rule`
 * (`maxKeyBytes`, `maxValueBytes`, `maxRunBytes` or `maxEntriesPerRun`), `limit` and `observed`.
 * @example
 * ```ts
 * const memory = createMemoryStore({ maxValueBytes: 16_384 });
 * await memory.set(runId, 'glossary', text, { ttlMs: 60_000 });
 * ```
 * @public
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const clock = options.clock ?? systemClock;
  const maxKeyBytes = options.maxKeyBytes ?? 256;
  const maxValueBytes = options.maxValueBytes ?? 65_536;
  const maxRunBytes = options.maxRunBytes ?? 1_048_576;
  const maxEntriesPerRun = options.maxEntriesPerRun ?? 1_000;
  const limitIssues: Issue[] = [];
  for (const [name, value] of Object.entries({ maxKeyBytes, maxValueBytes, maxRunBytes, maxEntriesPerRun })) {
    if (!isIntegerAtLeast(value, 1)) limitIssues.push({ path: name, message: `must be an integer ≥ 1, got ${describeValue(value)}` });
  }
  if (limitIssues.length > 0) throw validationFailed('memory store options', limitIssues);

  const runs = new Map<string, Map<string, StoredEntry>>();

  /** The run's live entries, with expired ones removed. */
  function live(runId: RunId): Map<string, StoredEntry> | undefined {
    const entries = runs.get(runId);
    if (entries === undefined) return undefined;
    const now = clock.now();
    for (const [key, stored] of entries) {
      if (stored.entry.expiresAt !== undefined && stored.entry.expiresAt <= now) entries.delete(key);
    }
    if (entries.size === 0) runs.delete(runId);
    return entries.size === 0 ? undefined : entries;
  }

  return {
    get(runId, key) {
      return Promise.resolve(live(runId)?.get(key)?.entry);
    },

    set(runId: RunId, key: string, value: string, setOptions?: MemorySetOptions): Promise<MemoryEntry> {
      const issues: Issue[] = [];
      if (typeof key !== 'string' || key === '') issues.push({ path: 'key', message: `must be a non-empty string, got ${describeValue(key)}` });
      if (typeof value !== 'string') issues.push({ path: 'value', message: `must be a string, got ${describeValue(value)}` });
      const ttlMs = setOptions?.ttlMs;
      if (ttlMs !== undefined && !isIntegerAtLeast(ttlMs, 1)) issues.push({ path: 'ttlMs', message: `must be an integer ≥ 1, got ${describeValue(ttlMs)}` });
      if (issues.length > 0) return Promise.reject(validationFailed(`memory write in run ${runId}`, issues, { runId }));

      const keyBytes = byteLength(key);
      if (keyBytes > maxKeyBytes) return Promise.reject(tooLarge('maxKeyBytes', maxKeyBytes, keyBytes, runId, key));
      const valueBytes = byteLength(value);
      if (valueBytes > maxValueBytes) return Promise.reject(tooLarge('maxValueBytes', maxValueBytes, valueBytes, runId, key));
      const entries = live(runId);
      const previous = entries?.get(key);
      let runBytes = keyBytes + valueBytes;
      for (const stored of entries?.values() ?? []) runBytes += stored.bytes;
      runBytes -= previous?.bytes ?? 0;
      if (runBytes > maxRunBytes) return Promise.reject(tooLarge('maxRunBytes', maxRunBytes, runBytes, runId, key));
      const count = (entries?.size ?? 0) + (previous === undefined ? 1 : 0);
      if (count > maxEntriesPerRun) return Promise.reject(tooLarge('maxEntriesPerRun', maxEntriesPerRun, count, runId, key));

      const now = clock.now();
      const entry: MemoryEntry = Object.freeze(ttlMs === undefined ? { key, value, updatedAt: now } : { key, value, updatedAt: now, expiresAt: now + ttlMs });
      const target = entries ?? new Map<string, StoredEntry>();
      target.set(key, { entry, bytes: keyBytes + valueBytes });
      runs.set(runId, target);
      return Promise.resolve(entry);
    },

    delete(runId, key) {
      const entries = live(runId);
      const existed = entries?.delete(key) ?? false;
      if (entries !== undefined && entries.size === 0) runs.delete(runId);
      return Promise.resolve(existed);
    },

    list(runId) {
      const entries = [...(live(runId)?.values() ?? [])].map((stored) => stored.entry);
      return Promise.resolve(entries.sort((left, right) => (left.key < right.key ? -1 : left.key > right.key ? 1 : 0)));
    },

    clear(runId) {
      runs.delete(runId);
      return Promise.resolve();
    },
  };
}
