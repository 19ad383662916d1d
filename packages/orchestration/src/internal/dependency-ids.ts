/** Helpers to read a task spec's dependencies. */
import type { TaskDependency, TaskSpec } from '@runtime/contracts';

/** The id a dependency names. */
export function dependencyId(dependency: TaskDependency): string {
  return typeof dependency === 'string' ? dependency : dependency.id;
}

/** The distinct dependency ids of a task, in declaration order. */
export function dependencyIds(task: TaskSpec): string[] {
  const deps = task.deps;
  if (deps === undefined || deps.length === 0) return [];
  if (deps.length === 1) return [dependencyId(deps[0] as TaskDependency)];
  return [...new Set(deps.map(dependencyId))];
}
