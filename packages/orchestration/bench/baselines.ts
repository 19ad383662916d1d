/** Baseline schedulers measured next to the orchestrator in the same run. */
import type { TaskSpec } from '@runtime/contracts';
import pLimit from 'p-limit';

function depsOf(task: TaskSpec): string[] {
  return (task.deps ?? []).map((dep) => (typeof dep === 'string' ? dep : dep.id));
}

/** The minimal DAG scheduler: in-degree counting + p-limit, FIFO among ready tasks. */
export function minimalScheduler(tasks: readonly TaskSpec[], parallelism: number, call: (id: string) => Promise<unknown>): Promise<void> {
  const limit = pLimit(parallelism);
  const indegree = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const task of tasks) {
    const deps = depsOf(task);
    indegree.set(task.id, deps.length);
    for (const dep of deps) {
      const list = dependents.get(dep);
      if (list === undefined) dependents.set(dep, [task.id]);
      else list.push(task.id);
    }
  }
  return new Promise((resolve, reject) => {
    let remaining = tasks.length;
    const start = (id: string): void => {
      limit(() => call(id)).then(() => {
        remaining -= 1;
        for (const dependent of dependents.get(id) ?? []) {
          const left = (indegree.get(dependent) ?? 0) - 1;
          indegree.set(dependent, left);
          if (left === 0) start(dependent);
        }
        if (remaining === 0) resolve();
      }, reject);
    };
    for (const task of tasks) if (depsOf(task).length === 0) start(task.id);
  });
}

/**
 * The same DAG as a LangGraph.js StateGraph: one node per task, a join edge per dependent.
 * Imported lazily: @langchain/core turns on AsyncLocalStorage, which slows every promise in the
 * process — it must not be loaded while the other scenarios are measured.
 */
export async function langGraph(tasks: readonly TaskSpec[], parallelism: number, call: (id: string) => Promise<unknown>): Promise<void> {
  const { END, START, Annotation, StateGraph } = await import('@langchain/langgraph');
  const State = Annotation.Root({
    done: Annotation<number>({ reducer: (a, b) => a + b, default: () => 0 }),
  });
  // Node names are dynamic here, so the builder is used through a structural type.
  interface LooseGraph {
    addNode(name: string, node: () => Promise<{ done: number }>): LooseGraph;
    addEdge(from: string | string[], to: string): LooseGraph;
    compile(): { invoke(input: object, config: object): Promise<unknown> };
  }
  const graph = new StateGraph(State) as unknown as LooseGraph;
  const hasDependents = new Set<string>();
  for (const task of tasks) {
    graph.addNode(task.id, async () => {
      await call(task.id);
      return { done: 1 };
    });
    for (const dep of depsOf(task)) hasDependents.add(dep);
  }
  for (const task of tasks) {
    const deps = depsOf(task);
    graph.addEdge(deps.length === 0 ? START : deps.length === 1 ? (deps[0] as string) : deps, task.id);
    if (!hasDependents.has(task.id)) graph.addEdge(task.id, END);
  }
  await graph.compile().invoke({}, { recursionLimit: 1_000_000, maxConcurrency: parallelism });
}
