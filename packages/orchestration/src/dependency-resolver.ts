/**
 * Validates task graphs and resolves them into a {@link @runtime/contracts#Dag}.
 *
 * @remarks
 * Checks, in this order, for every task in submission order: a malformed id, a duplicate id, a
 * dependency on an unknown id; then looks for a cycle. The first problem found is thrown, so the
 * same input always gives the same error. Not responsible for models, prompts or budgets.
 */
import {
  asTaskId,
  DagError,
  TASK_ID_PATTERN,
  ValidationError,
  type Dag,
  type DagNode,
  type DependencyResolver,
  type TaskId,
  type TaskSpec,
} from '@runtime/contracts';
import { dependencyIds } from './internal/dependency-ids.js';
import { Heap } from './internal/heap.js';

interface MutableNode {
  readonly id: TaskId;
  readonly deps: TaskId[];
  readonly dependents: TaskId[];
  criticalPath: number;
  /** Scratch counter of the sweeps in `finish`. */
  pending: number;
}

function checkId(value: unknown, task: string | undefined): asserts value is string {
  if (typeof value === 'string' && TASK_ID_PATTERN.test(value)) return;
  throw new ValidationError({
    code: 'VALIDATION_FAILED',
    message: `Task id ${JSON.stringify(value)} must be 1..128 characters of [A-Za-z0-9._-].`,
    details: task === undefined ? { value: String(value) } : { task, dependency: String(value) },
  });
}

/** Finds one cycle reachable from `start` following dependency edges, as `[a, b, …, a]`. */
function findCycle(nodes: ReadonlyMap<TaskId, MutableNode>, order: readonly TaskId[]): TaskId[] | undefined {
  const color = new Map<TaskId, 1 | 2>(); // 1 on the stack, 2 done
  for (const start of order) {
    if (color.has(start)) continue;
    const path: TaskId[] = [start];
    const cursor: number[] = [0];
    color.set(start, 1);
    while (path.length > 0) {
      const top = path.length - 1;
      const id = path[top] as TaskId;
      const node = nodes.get(id) as MutableNode;
      const index = cursor[top] as number;
      if (index >= node.deps.length) {
        color.set(id, 2);
        path.pop();
        cursor.pop();
        continue;
      }
      cursor[top] = index + 1;
      const next = node.deps[index] as TaskId;
      const state = color.get(next);
      if (state === 1) {
        const cycle = path.slice(path.indexOf(next));
        cycle.push(next);
        return cycle;
      }
      if (state === undefined) {
        color.set(next, 1);
        path.push(next);
        cursor.push(0);
      }
    }
  }
  return undefined;
}

function before(a: MutableNode, b: MutableNode): boolean {
  return a.criticalPath !== b.criticalPath ? a.criticalPath > b.criticalPath : a.id < b.id;
}

/**
 * Resolves tasks into a DAG (the implementation behind {@link createDependencyResolver}).
 * @throws {@link @runtime/contracts#DagError} `DUPLICATE_TASK_ID`, `UNKNOWN_DEPENDENCY`, `DAG_CYCLE`; {@link @runtime/contracts#ValidationError}.
 */
function resolve(tasks: readonly TaskSpec[], existing?: Dag): Dag {
  const nodes = new Map<TaskId, MutableNode>();
  const submitted: TaskId[] = [];
  if (existing !== undefined) {
    for (const id of existing.order) {
      const node = existing.nodes.get(id) as DagNode;
      nodes.set(id, { id, deps: [...node.deps], dependents: [...node.dependents], criticalPath: node.criticalPath, pending: 0 });
      submitted.push(id);
    }
  }
  const added: TaskId[] = [];
  for (const task of tasks) {
    checkId(task.id, undefined);
    const id = asTaskId(task.id);
    if (nodes.has(id)) {
      throw new DagError({ code: 'DUPLICATE_TASK_ID', message: `Task id "${id}" is used twice.`, details: { task: id } });
    }
    nodes.set(id, { id, deps: [], dependents: [], criticalPath: 1, pending: 0 });
    added.push(id);
  }
  tasks.forEach((task, position) => {
    const node = nodes.get(added[position] as TaskId) as MutableNode;
    for (const dep of dependencyIds(task)) {
      checkId(dep, task.id);
      const depId = asTaskId(dep);
      if (depId === node.id) {
        throw new DagError({
          code: 'DAG_CYCLE',
          message: `Task "${node.id}" depends on itself.`,
          details: { cycle: [node.id, node.id] },
        });
      }
      if (!nodes.has(depId)) {
        throw new DagError({
          code: 'UNKNOWN_DEPENDENCY',
          message: `Task "${node.id}" depends on unknown task "${depId}".`,
          details: { task: node.id, dependency: depId },
        });
      }
      node.deps.push(depId);
    }
  });
  for (const id of added) {
    const node = nodes.get(id) as MutableNode;
    for (const dep of node.deps) (nodes.get(dep) as MutableNode).dependents.push(id);
  }
  const cycle = findCycle(nodes, added);
  if (cycle !== undefined) {
    throw new DagError({
      code: 'DAG_CYCLE',
      message: `Tasks form a cycle: ${cycle.join(' → ')}.`,
      details: { cycle },
    });
  }
  submitted.push(...added);
  return finish(nodes, submitted);
}

/** Computes critical paths (reverse topological sweep) and the deterministic order. */
function finish(nodes: Map<TaskId, MutableNode>, submitted: readonly TaskId[]): Dag {
  // Sinks first: a node's critical path is known once all its dependents' are.
  const sinks: MutableNode[] = [];
  for (const id of submitted) {
    const node = nodes.get(id) as MutableNode;
    node.pending = node.dependents.length;
    if (node.pending === 0) sinks.push(node);
  }
  for (let node = sinks.pop(); node !== undefined; node = sinks.pop()) {
    let longest = 0;
    for (const dependent of node.dependents) {
      const path = (nodes.get(dependent) as MutableNode).criticalPath;
      if (path > longest) longest = path;
    }
    node.criticalPath = longest + 1;
    for (const dep of node.deps) {
      const depNode = nodes.get(dep) as MutableNode;
      depNode.pending -= 1;
      if (depNode.pending === 0) sinks.push(depNode);
    }
  }
  // Then Kahn's algorithm with a heap for the deterministic order.
  const ready = new Heap<MutableNode>(before);
  const roots: TaskId[] = [];
  for (const id of submitted) {
    const node = nodes.get(id) as MutableNode;
    node.pending = node.deps.length;
    if (node.pending === 0) {
      ready.push(node);
      roots.push(id);
    }
  }
  const order: TaskId[] = [];
  for (let node = ready.pop(); node !== undefined; node = ready.pop()) {
    order.push(node.id);
    for (const dependent of node.dependents) {
      const dependentNode = nodes.get(dependent) as MutableNode;
      dependentNode.pending -= 1;
      if (dependentNode.pending === 0) ready.push(dependentNode);
    }
  }
  // The nodes are handed out as they are: nothing mutates them after this point (a later
  // resolve against this DAG copies them first).
  return { nodes: nodes, order, roots };
}

/**
 * Creates a {@link @runtime/contracts#DependencyResolver}.
 *
 * @remarks
 * Resolving `tasks` against an `existing` DAG (tasks added to a running run) returns a DAG of both;
 * new tasks may depend on existing ones, and existing tasks' critical paths grow accordingly.
 * Linear in tasks + edges, plus a heap for the deterministic order.
 *
 * @example
 * ```ts
 * const dag = createDependencyResolver().resolve([{ id: 'a', prompt: 'x' }, { id: 'b', prompt: 'y', deps: ['a'] }]);
 * dag.order; // ['a', 'b']
 * ```
 * @public
 */
export function createDependencyResolver(): DependencyResolver {
  return { resolve };
}
