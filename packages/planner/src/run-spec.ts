/**
 * A plan → a contracts `RunSpec`.
 */
import type { ModelCatalog, RunPolicy, RunSpec, TaskDependency, TaskSpec } from '@runtime/contracts';
import type { Plan } from './plan.js';

/**
 * Turns a plan into a `RunSpec`: one run task per pending task, with its tier, output cap and
 * dependencies on other pending tasks (capped by `dependencyMaxTokens` when set). Done design tasks
 * do not run: the contracts a task depends on are inlined in its prompt instead. Given a catalog, each
 * output cap is clamped to its tier model's maximum (a spec asking for more is refused at start).
 * @public
 */
export function planRunSpec(plan: Plan, policy?: RunPolicy, catalog?: Pick<ModelCatalog, 'forTier'>): RunSpec {
  const byId = new Map(plan.tasks.map((task) => [task.id, task]));
  const tasks: TaskSpec[] = plan.tasks
    .filter((task) => task.state === 'pending')
    .map((task) => {
      const contracts = task.deps.map((id) => byId.get(id)).filter((dep) => dep?.state === 'done' && dep.output !== undefined);
      const deps: TaskDependency[] = task.deps
        .filter((id) => byId.get(id)?.state === 'pending')
        .map((id) => (task.dependencyMaxTokens === undefined ? id : { id, maxTokens: task.dependencyMaxTokens }));
      const prompt = [
        task.prompt,
        ...contracts.map((dep) => `\n<contract domain="${dep?.domain ?? ''}">\n${dep?.output ?? ''}</contract>`),
      ].join('\n');
      return {
        id: task.id,
        tier: task.tier,
        maxOutputTokens: catalog === undefined ? task.maxOutputTokens : Math.min(task.maxOutputTokens, catalog.forTier(task.tier).maxOutputTokens),
        ...(deps.length === 0 ? {} : { deps }),
        metadata: { kind: task.kind, title: task.title, ...(task.domain === undefined ? {} : { domain: task.domain }) },
        prompt,
      };
    });
  return { tasks, ...(policy === undefined ? {} : { policy }), metadata: { planner: plan.path } };
}
