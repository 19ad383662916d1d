/**
 * The SQL of the PostgreSQL run store, qualified by its schema. Every write is one statement, so
 * one implicit transaction and one round trip: a commit's fence (lease owner and epoch), owner rule
 * and sequence check sit in the WHERE clause of the run row's UPDATE, and the task upserts and the
 * event inserts are data-modifying CTEs that read that UPDATE's result — when it changed no row,
 * they write nothing. The UPDATE takes the run row's lock, so two writers of one run serialise and
 * the second re-checks the fence against the first one's result.
 */
import { quoteIdentifier, UNFINISHED } from './postgres-schema.js';

/** Every column of a run's row; the spec is read apart (`run_specs`), and cached, being immutable. */
const RUN_COLUMNS = `r.position, r.id, r.tenant, r.state, r.created_at, r.updated_at, r.error, r.owner, r.lease_owner,
  r.lease_epoch, r.lease_expires_at, r.idempotency_key, r.last_seq, r.fixed`;

/** Inserts the tasks `$taskIds`, `$taskIndexes`, `$taskRecords` (parallel arrays) of the run in CTE `r`. */
function upsertTasks(schema: string, ids: number): string {
  return `INSERT INTO ${schema}.tasks (run_id, id, idx, record)
    SELECT r.id, u.id, u.idx, u.record FROM r, unnest($${ids}::text[], $${ids + 1}::integer[], $${ids + 2}::text[]) AS u (id, idx, record)
    ON CONFLICT (run_id, id) DO UPDATE SET idx = excluded.idx, record = excluded.record`;
}

function insertEvents(schema: string, seqs: number): string {
  return `INSERT INTO ${schema}.events (run_id, seq, event)
    SELECT r.id, u.seq, u.event FROM r, unnest($${seqs}::bigint[], $${seqs + 1}::text[]) AS u (seq, event)`;
}

export function postgresStatements(schemaName: string) {
  const s = quoteIdentifier(schemaName);
  const selectRun = `SELECT ${RUN_COLUMNS} FROM ${s}.runs r`;
  return {
    byId: `${selectRun} WHERE r.id = $1`,
    specOf: `SELECT spec FROM ${s}.run_specs WHERE position = $1`,
    specsOf: `SELECT position, spec FROM ${s}.run_specs WHERE position = ANY($1::bigint[])`,
    byKey: `${selectRun} WHERE r.tenant = $1 AND r.idempotency_key = $2`,
    keyOwner: `SELECT id FROM ${s}.runs WHERE tenant = $1 AND idempotency_key = $2`,
    leaseOf: `SELECT last_seq, lease_owner, lease_epoch, lease_expires_at FROM ${s}.runs WHERE id = $1`,
    /** $1..$13 the run row, $14 the spec, $15..$17 tasks, $18..$19 events; returns the new position. */
    create: `WITH r AS (
        INSERT INTO ${s}.runs (id, tenant, state, created_at, updated_at, error, owner, lease_owner, lease_epoch, lease_expires_at, idempotency_key, last_seq, fixed)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
        RETURNING position, id
      ), s AS (
        INSERT INTO ${s}.run_specs (position, spec) SELECT r.position, $14 FROM r
      ), t AS (${upsertTasks(s, 15)}
      ), e AS (${insertEvents(s, 18)}
      )
      SELECT position FROM r`,
    /**
     * $1 id, $2 state, $3 updatedAt, $4 setError, $5 error, $6 owner, $7 lastSeq, $8 ends,
     * $9/$10 fence, $11 previousSeq, $12..$14 tasks, $15..$16 events; returns one row when applied.
     */
    commit: `WITH r AS (
        UPDATE ${s}.runs SET
          state = coalesce($2::text, state),
          updated_at = coalesce($3::text, updated_at),
          error = CASE WHEN $4::boolean THEN $5::text ELSE error END,
          owner = coalesce($6::text, owner),
          last_seq = coalesce($7::bigint, last_seq),
          lease_owner = CASE WHEN $8::boolean THEN NULL ELSE lease_owner END,
          lease_expires_at = CASE WHEN $8::boolean THEN 0 ELSE lease_expires_at END
        WHERE id = $1::text
          AND ($9::text IS NULL OR (lease_owner = $9::text AND lease_epoch = $10::bigint))
          AND ($6::text IS NULL OR lease_owner IS NULL OR lease_owner = $6::text)
          AND ($11::bigint IS NULL OR last_seq = $11::bigint)
        RETURNING id
      ), t AS (${upsertTasks(s, 12)}
      ), e AS (${insertEvents(s, 15)}
      )
      SELECT id FROM r`,
    acquire: `UPDATE ${s}.runs SET
        lease_epoch = CASE WHEN lease_owner = $2 THEN lease_epoch ELSE lease_epoch + 1 END,
        lease_owner = $2, owner = $2, lease_expires_at = $4
      WHERE id = $1 AND (lease_owner IS NULL OR lease_owner = $2 OR lease_expires_at <= $3)
      RETURNING lease_epoch AS epoch`,
    exists: `SELECT 1 FROM ${s}.runs WHERE id = $1`,
    renew: `UPDATE ${s}.runs SET lease_expires_at = $1 WHERE id = $2 AND lease_owner = $3 AND lease_epoch = $4 RETURNING 1`,
    release: `UPDATE ${s}.runs SET lease_owner = NULL, lease_expires_at = 0 WHERE id = $1 AND lease_owner = $2 AND lease_epoch = $3`,
    getTasks: `SELECT record FROM ${s}.tasks WHERE run_id = $1 ORDER BY idx`,
    readEvents: `SELECT event FROM ${s}.events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
    list: `${selectRun} WHERE r.tenant = $1 AND r.position < $2 ORDER BY r.position DESC LIMIT $3`,
    listByState: `${selectRun} WHERE r.tenant = $1 AND r.state = $2 AND r.position < $3 ORDER BY r.position DESC LIMIT $4`,
    byState: `${selectRun} WHERE r.state = $1 ORDER BY r.position`,
    /** Served by the partial index `runs_resumable` (unfinished runs only), so finished history is never read. */
    resumable: `${selectRun} WHERE r.${UNFINISHED} AND r.lease_expires_at <= $1 ORDER BY r.position LIMIT $2`,
    /**
     * $1 run id, $2 request id, $3 body, $4 postedAt, $5 retention cutoff, $6 notification channel:
     * inserts only when the run exists (no row returned otherwise), deletes the requests posted
     * before the cutoff and notifies the run's lease owner (payload: the owner; delivered at commit).
     * The notify sits in the final SELECT: an unreferenced SELECT CTE would not run.
     */
    postRequest: `WITH old AS (
        DELETE FROM ${s}.run_requests WHERE posted_at < $5::double precision
      ), i AS (
        INSERT INTO ${s}.run_requests (run_id, id, body, posted_at)
        SELECT r.id, $2::text, $3::text, $4::double precision FROM ${s}.runs r WHERE r.id = $1::text
        RETURNING run_id
      )
      SELECT i.run_id, pg_notify($6::text, coalesce(r.lease_owner, '')) FROM i JOIN ${s}.runs r ON r.id = i.run_id`,
    /**
     * $1 owner, $2 limit. One statement: the pending requests (partial index) of the runs `owner`
     * leases, oldest first; SKIP LOCKED lets concurrent claimers take disjoint requests. The pick is
     * a materialized CTE, not `IN (subquery)`: a subquery can be run again by the plan and exceed
     * the limit.
     */
    claimRequests: `WITH picked AS MATERIALIZED (
        SELECT q.seq FROM ${s}.run_requests q JOIN ${s}.runs r ON r.id = q.run_id
        WHERE q.claimed_by IS NULL AND q.outcome IS NULL AND r.lease_owner = $1::text
        ORDER BY q.seq LIMIT $2 FOR UPDATE OF q SKIP LOCKED
      )
      UPDATE ${s}.run_requests u SET claimed_by = $1::text FROM picked
      WHERE u.seq = picked.seq AND u.claimed_by IS NULL AND u.outcome IS NULL
      RETURNING u.seq, u.run_id, u.id, u.body, u.posted_at`,
    answerRequest: `UPDATE ${s}.run_requests SET outcome = $3 WHERE run_id = $1 AND id = $2 AND outcome IS NULL RETURNING 1`,
    withdrawRequest: `UPDATE ${s}.run_requests SET outcome = $3 WHERE run_id = $1 AND id = $2 AND claimed_by IS NULL AND outcome IS NULL RETURNING 1`,
    getRequest: `SELECT run_id, id, body, posted_at, claimed_by, outcome FROM ${s}.run_requests WHERE run_id = $1 AND id = $2`,
    probe: `INSERT INTO ${s}.store_probe (id, written_at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET written_at = excluded.written_at`,
  };
}

export type PostgresStatements = ReturnType<typeof postgresStatements>;
