/**
 * Event-driven simulation of list scheduling on `p` slots with known task durations: no timers,
 * no scheduling overhead — what an ordering policy can reach on a workload at best.
 */
import type { TaskSpec } from '@runtime/contracts';

function depsOf(task: TaskSpec): string[] {
  return (task.deps ?? []).map((dep) => (typeof dep === 'string' ? dep : dep.id));
}

/** Ready-task order: a lower key runs first. */
export type Priority = (id: string, readyAt: number, index: number) => readonly number[];

/** Makespan of greedy list scheduling: whenever a slot is free, the best-keyed ready task starts. */
export function simulate(tasks: readonly TaskSpec[], parallelism: number, duration: (id: string) => number, priority: Priority): number {
  const indegree = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  const index = new Map<string, number>();
  tasks.forEach((task, position) => {
    index.set(task.id, position);
    indegree.set(task.id, depsOf(task).length);
    for (const dep of depsOf(task)) dependents.set(dep, [...(dependents.get(dep) ?? []), task.id]);
  });
  const ready: { id: string; key: readonly number[] }[] = [];
  const push = (id: string, at: number): void => {
    ready.push({ id, key: priority(id, at, index.get(id) ?? 0) });
  };
  for (const task of tasks) if (depsOf(task).length === 0) push(task.id, 0);
  const running: { id: string; end: number }[] = [];
  let now = 0;
  let left = tasks.length;
  while (left > 0) {
    ready.sort((a, b) => {
      for (let k = 0; k < a.key.length; k += 1) {
        const diff = (a.key[k] ?? 0) - (b.key[k] ?? 0);
        if (diff !== 0) return diff;
      }
      return 0;
    });
    while (running.length < parallelism && ready.length > 0) {
      const next = ready.shift();
      if (next !== undefined) running.push({ id: next.id, end: now + duration(next.id) });
    }
    running.sort((a, b) => a.end - b.end);
    const done = running.shift();
    if (done === undefined) throw new Error('deadlock in simulation');
    now = done.end;
    left -= 1;
    for (const dependent of dependents.get(done.id) ?? []) {
      const remaining = (indegree.get(dependent) ?? 0) - 1;
      indegree.set(dependent, remaining);
      if (remaining === 0) push(dependent, now);
    }
  }
  return now;
}

/** Longest path from each task to a sink, counting each task by `weight` (bottom level). */
export function bottomLevels(tasks: readonly TaskSpec[], weight: (id: string) => number): Map<string, number> {
  const dependents = new Map<string, string[]>();
  for (const task of tasks) for (const dep of depsOf(task)) dependents.set(dep, [...(dependents.get(dep) ?? []), task.id]);
  const level = new Map<string, number>();
  // Specs are in topological order (a layered DAG): sweep from the sinks back.
  for (let position = tasks.length - 1; position >= 0; position -= 1) {
    const id = (tasks[position] as TaskSpec).id;
    let longest = 0;
    for (const dependent of dependents.get(id) ?? []) longest = Math.max(longest, level.get(dependent) ?? 0);
    level.set(id, longest + weight(id));
  }
  return level;
}

/** Lower bound on the makespan: max(latency-weighted critical path, total work / p). */
export function makespanBound(tasks: readonly TaskSpec[], parallelism: number, duration: (id: string) => number): { bound: number; critical: number; work: number } {
  const critical = Math.max(...bottomLevels(tasks, duration).values());
  const work = tasks.reduce((sum, task) => sum + duration(task.id), 0) / parallelism;
  return { bound: Math.max(critical, work), critical, work };
}
