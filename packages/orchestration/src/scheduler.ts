/**
 * Event-driven scheduling of a DAG: which task runs next.
 *
 * @remarks
 * A task becomes ready the moment its last dependency completes — there is no wave or batch
 * barrier. Ready tasks leave by longest remaining critical path, then id, so the order is
 * deterministic and long chains start early. Not responsible for running anything: the caller
 * asks {@link @runtime/contracts#Scheduler.next} when it has a free slot.
 */
import { InternalError, type Dag, type DagNode, type Scheduler, type TaskId, type TaskState } from '@runtime/contracts';
import { Heap } from './internal/heap.js';

interface Entry {
  readonly id: TaskId;
  node: DagNode;
  state: TaskState;
  /** Dependencies not completed yet. */
  remaining: number;
  /** Critical path when it entered the ready heap (its heap key). */
  priority: number;
}

function emptyCounts(): Record<TaskState, number> {
  return { pending: 0, ready: 0, running: 0, waiting: 0, completed: 0, failed: 0, skipped: 0 };
}

/**
 * The scheduler behind {@link createScheduler}, with the extra operations the orchestrator needs
 * (stop a run, restore a journaled run). Private to this package.
 */
export class DagScheduler implements Scheduler {
  readonly #entries = new Map<TaskId, Entry>();
  readonly #ready = new Heap<Entry>((a, b) => (a.priority !== b.priority ? a.priority > b.priority : a.id < b.id));
  readonly #counts = emptyCounts();

  get counts(): Readonly<Record<TaskState, number>> {
    return this.#counts;
  }

  /** Tasks known. */
  get size(): number {
    return this.#entries.size;
  }

  /** True when every known task is completed, failed or skipped. */
  get done(): boolean {
    const counts = this.#counts;
    return counts.pending === 0 && counts.ready === 0 && counts.running === 0;
  }

  add(dag: Dag): void {
    for (const id of dag.order) {
      const node = dag.nodes.get(id) as DagNode;
      const entry = this.#entries.get(id);
      if (entry !== undefined) {
        entry.node = node;
        continue;
      }
      let remaining = 0;
      let blocked = false;
      for (const dep of node.deps) {
        const depState = this.#entries.get(dep)?.state;
        if (depState === 'failed' || depState === 'skipped') blocked = true;
        else if (depState !== 'completed') remaining += 1;
      }
      const created: Entry = { id, node, state: 'pending', remaining, priority: node.criticalPath };
      this.#entries.set(id, created);
      this.#counts.pending += 1;
      if (blocked) this.#move(created, 'skipped');
      else if (remaining === 0) this.#makeReady(created);
    }
  }

  next(): TaskId | undefined {
    for (let entry = this.#ready.pop(); entry !== undefined; entry = this.#ready.pop()) {
      if (entry.state !== 'ready') continue; // skipped while waiting
      this.#move(entry, 'running');
      return entry.id;
    }
    return undefined;
  }

  complete(id: TaskId): readonly TaskId[] {
    const entry = this.#running(id);
    this.#move(entry, 'completed');
    const ready: TaskId[] = [];
    for (const dependentId of entry.node.dependents) {
      const dependent = this.#entries.get(dependentId);
      if (dependent === undefined || dependent.state !== 'pending') continue;
      dependent.remaining -= 1;
      if (dependent.remaining === 0) {
        this.#makeReady(dependent);
        ready.push(dependentId);
      }
    }
    return ready;
  }

  fail(id: TaskId): readonly TaskId[] {
    const entry = this.#running(id);
    this.#move(entry, 'failed');
    return this.#skipDownstream(entry);
  }

  requeue(id: TaskId): void {
    this.#makeReady(this.#running(id));
  }

  state(id: TaskId): TaskState | undefined {
    return this.#entries.get(id)?.state;
  }

  /** Marks every pending or ready task skipped (the run stopped); returns them in DAG order. */
  skipNotStarted(): TaskId[] {
    const skipped: TaskId[] = [];
    for (const entry of this.#entries.values()) {
      if (entry.state === 'pending' || entry.state === 'ready') {
        this.#move(entry, 'skipped');
        skipped.push(entry.id);
      }
    }
    this.#ready.clear();
    return skipped;
  }

  /**
   * Restores a journaled terminal state without running the task (resume after a crash).
   * Returns the tasks that became ready (for `completed`) or unreachable (for the others).
   */
  restore(id: TaskId, state: 'completed' | 'failed' | 'skipped'): readonly TaskId[] {
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.state === state) return [];
    if (entry.state === 'ready' || entry.state === 'pending') {
      this.#move(entry, 'running');
    }
    if (state === 'completed') return this.complete(id);
    if (state === 'failed') return this.fail(id);
    this.#move(entry, 'skipped');
    return this.#skipDownstream(entry);
  }

  #skipDownstream(entry: Entry): TaskId[] {
    const skipped: TaskId[] = [];
    const stack: TaskId[] = [...entry.node.dependents];
    while (stack.length > 0) {
      const dependent = this.#entries.get(stack.pop() as TaskId);
      if (dependent === undefined || (dependent.state !== 'pending' && dependent.state !== 'ready')) continue;
      this.#move(dependent, 'skipped');
      skipped.push(dependent.id);
      stack.push(...dependent.node.dependents);
    }
    return skipped;
  }

  #running(id: TaskId): Entry {
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.state !== 'running') {
      throw new InternalError({
        code: 'INTERNAL',
        message: `Task "${id}" is ${entry === undefined ? 'unknown' : entry.state}, not running.`,
        details: { task: id, state: entry?.state ?? null },
      });
    }
    return entry;
  }

  #makeReady(entry: Entry): void {
    entry.priority = entry.node.criticalPath;
    this.#move(entry, 'ready');
    this.#ready.push(entry);
  }

  #move(entry: Entry, state: TaskState): void {
    this.#counts[entry.state] -= 1;
    this.#counts[state] += 1;
    entry.state = state;
  }
}

/**
 * Creates an event-driven {@link @runtime/contracts#Scheduler}.
 *
 * @remarks
 * Tasks added later (a delta resolved against the existing DAG) may depend on completed tasks:
 * they are ready at once. A task added downstream of a failed or skipped task is `skipped` at once.
 * Misuse (completing a task that is not running) throws {@link @runtime/contracts#InternalError} `INTERNAL`.
 *
 * @example
 * ```ts
 * const scheduler = createScheduler();
 * scheduler.add(createDependencyResolver().resolve(tasks));
 * for (let id = scheduler.next(); id !== undefined; id = scheduler.next()) start(id);
 * ```
 * @public
 */
export function createScheduler(): Scheduler {
  return new DagScheduler();
}
