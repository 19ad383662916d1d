/**
 * Bounded run views (HTTP-API.md v1.1 "Bounded responses"): run answers without task outputs and
 * with at most {@link RUN_VIEW_TASK_LIMIT} tasks; outputs through the paged task endpoints.
 *
 * @remarks
 * Sizes are computed from the parts before anything is serialized, so a run whose outputs add up
 * to more than a string can hold answers 413 instead of throwing `RangeError` in `JSON.stringify`.
 */
import type { Run, Task } from '@runtime/contracts';
import { HttpError } from './http-error.js';

/**
 * Most tasks a run view lists before `tasksTruncated`.
 * @public
 */
export const RUN_VIEW_TASK_LIMIT = 100;

/**
 * Why a task waits (v1.1 `TaskView.waiting`).
 * @public
 */
export interface TaskWaiting {
  /** `rateLimit`, `budget` or `input`. */
  readonly reason: 'budget' | 'rateLimit' | 'input';
  /** ISO-8601 time the wait is expected to end. */
  readonly until?: string;
  /** The rule, limit and wait. */
  readonly details: Readonly<Record<string, unknown>>;
}

/**
 * A task as the HTTP API shows it: v1 plus `waiting`.
 * @public
 */
export type HttpTaskView = Omit<Task, 'state'> & { readonly state: Task['state'] | 'waiting'; readonly waiting?: TaskWaiting };

/**
 * A run as the HTTP API shows it by default.
 * @public
 */
export type HttpRunView = Omit<Run, 'tasks'> & {
  readonly tasks: readonly HttpTaskView[];
  /** Present (true) when `tasks` lists only the first {@link RUN_VIEW_TASK_LIMIT}. */
  readonly tasksTruncated?: true;
  /** Number of tasks of the run, when `tasksTruncated`. */
  readonly taskCount?: number;
};

/** Decorates a task view with what this process knows about its waiting. */
export type TaskDecorator = (runId: string, task: Task) => HttpTaskView;

const plain: TaskDecorator = (_runId, task) => task;

function withoutOutput(task: HttpTaskView): HttpTaskView {
  if (task.output === undefined) return task;
  const { output: _output, ...rest } = task;
  return rest;
}

/**
 * The default view: outputs left out, tasks past the first {@link RUN_VIEW_TASK_LIMIT} left out.
 * @public
 */
export function boundedRunView(run: Run, decorate: TaskDecorator = plain): HttpRunView {
  const truncated = run.tasks.length > RUN_VIEW_TASK_LIMIT;
  const tasks = (truncated ? run.tasks.slice(0, RUN_VIEW_TASK_LIMIT) : run.tasks).map((task) => withoutOutput(decorate(run.id, task)));
  return truncated ? { ...run, tasks, tasksTruncated: true, taskCount: run.tasks.length } : { ...run, tasks };
}

/** Characters a task's output adds to its JSON (escapes ignored: a lower bound is enough to refuse early). */
function outputChars(task: Task): number {
  return task.output?.length ?? 0;
}

/**
 * The v1 view with every output, as JSON, if it fits `limitBytes`.
 * @throws {@link HttpError} 413 `PAYLOAD_TOO_LARGE` naming the paged task endpoint.
 * @public
 */
export function fullRunJson(run: Run, limitBytes: number, decorate: TaskDecorator = plain): string {
  const tooLarge = (): HttpError =>
    new HttpError(413, 'PAYLOAD_TOO_LARGE', `Run ${run.id} with outputs is larger than the response limit of ${limitBytes} bytes; page through GET /v1/runs/${run.id}/tasks instead.`, {
      runId: run.id,
      limitBytes,
      endpoint: `/v1/runs/${run.id}/tasks`,
    });
  if (run.tasks.reduce((sum, task) => sum + outputChars(task), 0) > limitBytes) throw tooLarge();
  const json = JSON.stringify({ ...run, tasks: run.tasks.map((task) => decorate(run.id, task)) });
  if (Buffer.byteLength(json, 'utf8') > limitBytes) throw tooLarge();
  return json;
}

/**
 * A page of a run's tasks in spec order, with outputs.
 * @public
 */
export interface TaskPage {
  /** The tasks. */
  readonly items: readonly HttpTaskView[];
  /** Cursor of the next page, or null. */
  readonly nextCursor: string | null;
}

/**
 * Query of {@link pageTasks}.
 * @public
 */
export interface TaskPageQuery {
  /** Only tasks in this state. */
  readonly state?: HttpTaskView['state'];
  /** Page size, 1..500. @defaultValue 100 */
  readonly limit?: number;
  /** Cursor of the previous page. */
  readonly cursor?: string;
}

function encodeCursor(index: number): string {
  return Buffer.from(`t:${index}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^t:(\d{1,9})$/.exec(text);
  if (match?.[1] === undefined) {
    throw new HttpError(400, 'VALIDATION_FAILED', 'Invalid cursor.', { issues: [{ path: 'cursor', message: 'not a cursor of this endpoint' }] });
  }
  return Number(match[1]);
}

/**
 * A page of `run`'s tasks: at most `limit` items and at most `limitBytes` of JSON (a page holds
 * at least one task; the cursor continues after the last one listed).
 * @throws {@link HttpError} 400 `VALIDATION_FAILED` for a cursor not made by this endpoint.
 * @public
 */
export function pageTasks(run: Run, query: TaskPageQuery, limitBytes: number, decorate: TaskDecorator = plain): TaskPage {
  const limit = query.limit ?? 100;
  const start = query.cursor === undefined ? 0 : decodeCursor(query.cursor);
  const items: HttpTaskView[] = [];
  let bytes = 0;
  let index = start;
  for (; index < run.tasks.length && items.length < limit; index += 1) {
    const task = decorate(run.id, run.tasks[index] as Task);
    if (query.state !== undefined && task.state !== query.state) continue;
    const size = Buffer.byteLength(JSON.stringify(task), 'utf8');
    if (items.length > 0 && bytes + size > limitBytes) break;
    if (size > limitBytes) {
      throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `Task ${task.id} with its output is larger than the response limit of ${limitBytes} bytes.`, {
        runId: run.id,
        taskId: task.id,
        limitBytes,
      });
    }
    items.push(task);
    bytes += size;
  }
  return { items, nextCursor: index < run.tasks.length ? encodeCursor(index) : null };
}
