/**
 * A dependency-free runtime validator of {@link ProjectPlan}, with typed errors.
 */
import { DagError, TASK_ID_PATTERN } from '@runtime/contracts';
import { describeValue, isIntegerAtLeast, validationFailed, type Issue } from './internal/errors.js';
import { parseJsonPath } from './internal/json-path.js';
import type { ProjectPlan, ProjectTask } from './project-plan.js';

type Shape = Record<string, unknown>;

function isShape(value: unknown): value is Shape {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Checker {
  readonly issues: Issue[] = [];

  string(value: unknown, path: string, optional = false): void {
    if (optional && value === undefined) return;
    if (typeof value !== 'string' || value.trim() === '') this.issues.push({ path, message: `must be a non-empty string, got ${describeValue(value)}` });
  }

  strings(value: unknown, path: string, optional: boolean, minimum = 0): void {
    if (optional && value === undefined) return;
    if (!Array.isArray(value)) {
      this.issues.push({ path, message: `must be an array of strings, got ${describeValue(value)}` });
      return;
    }
    if (value.length < minimum) this.issues.push({ path, message: `needs at least ${minimum} item${minimum === 1 ? '' : 's'}` });
    value.forEach((item: unknown, index) => this.string(item, `${path}[${index}]`));
  }

  array(value: unknown, path: string, minimum: number): readonly unknown[] {
    if (!Array.isArray(value)) {
      this.issues.push({ path, message: `must be an array, got ${describeValue(value)}` });
      return [];
    }
    if (value.length < minimum) this.issues.push({ path, message: `needs at least ${minimum} item${minimum === 1 ? '' : 's'}` });
    return value;
  }

  unknownFields(value: Shape, allowed: readonly string[], path: string): void {
    for (const key of Object.keys(value)) if (!allowed.includes(key)) this.issues.push({ path: path === '' ? key : `${path}.${key}`, message: 'unknown field' });
  }

  namedList(value: unknown, path: string, key: 'name' | 'id', fields: readonly string[]): Set<string> {
    const names = new Set<string>();
    this.array(value, path, 0).forEach((item, index) => {
      const at = `${path}[${index}]`;
      if (!isShape(item)) {
        this.issues.push({ path: at, message: `must be an object, got ${describeValue(item)}` });
        return;
      }
      this.unknownFields(item, fields, at);
      this.string(item[key], `${at}.${key}`);
      this.string(item['text'], `${at}.text`);
      if (fields.includes('description')) this.string(item['description'], `${at}.description`, true);
      const name = item[key];
      if (typeof name === 'string') {
        if (names.has(name)) this.issues.push({ path: `${at}.${key}`, message: `duplicate ${key} ${describeValue(name)}` });
        names.add(name);
      }
    });
    return names;
  }

  references(value: unknown, path: string, known: ReadonlySet<string>, what: string): void {
    this.strings(value, path, true);
    if (!Array.isArray(value)) return;
    value.forEach((name: unknown, index) => {
      if (typeof name === 'string' && !known.has(name)) this.issues.push({ path: `${path}[${index}]`, message: `unknown ${what} ${describeValue(name)}` });
    });
  }

  dependency(value: unknown, path: string): void {
    if (typeof value === 'string') return;
    if (!isShape(value)) {
      this.issues.push({ path, message: `must be a task id or { id, select?, maxTokens? }, got ${describeValue(value)}` });
      return;
    }
    this.unknownFields(value, ['id', 'select', 'maxTokens'], path);
    this.string(value['id'], `${path}.id`);
    const select = value['select'];
    if (select !== undefined && (typeof select !== 'string' || parseJsonPath(select) === undefined)) {
      this.issues.push({ path: `${path}.select`, message: `must be a path such as $.summary or $.items[0].name, got ${describeValue(select)}` });
    }
    if (value['maxTokens'] !== undefined && !isIntegerAtLeast(value['maxTokens'], 1)) {
      this.issues.push({ path: `${path}.maxTokens`, message: `must be an integer ≥ 1, got ${describeValue(value['maxTokens'])}` });
    }
  }
}

const TASK_FIELDS = [
  'id',
  'title',
  'tier',
  'role',
  'task',
  'deliverable',
  'successCriteria',
  'pattern',
  'contracts',
  'deps',
  'businessRules',
  'edgeCases',
  'security',
  'thinkingInstruction',
  'maxOutputTokens',
] as const;

function checkTask(checker: Checker, task: unknown, at: string, known: { contracts: Set<string>; rules: Set<string>; security: Set<string> }): void {
  if (!isShape(task)) {
    checker.issues.push({ path: at, message: `must be an object, got ${describeValue(task)}` });
    return;
  }
  checker.unknownFields(task, TASK_FIELDS, at);
  const id = task['id'];
  if (typeof id !== 'string' || !TASK_ID_PATTERN.test(id)) checker.issues.push({ path: `${at}.id`, message: `must be 1..128 characters of A-Z a-z 0-9 . _ -, got ${describeValue(id)}` });
  for (const field of ['title', 'role', 'task', 'deliverable'] as const) checker.string(task[field], `${at}.${field}`);
  for (const field of ['pattern', 'thinkingInstruction'] as const) checker.string(task[field], `${at}.${field}`, true);
  if (task['tier'] !== 1 && task['tier'] !== 2 && task['tier'] !== 3) checker.issues.push({ path: `${at}.tier`, message: `must be 1, 2 or 3, got ${describeValue(task['tier'])}` });
  checker.strings(task['successCriteria'], `${at}.successCriteria`, false, 1);
  checker.strings(task['edgeCases'], `${at}.edgeCases`, true);
  checker.references(task['contracts'], `${at}.contracts`, known.contracts, 'contract');
  checker.references(task['businessRules'], `${at}.businessRules`, known.rules, 'business rule');
  checker.references(task['security'], `${at}.security`, known.security, 'security rule');
  if (task['maxOutputTokens'] !== undefined && !isIntegerAtLeast(task['maxOutputTokens'], 1)) {
    checker.issues.push({ path: `${at}.maxOutputTokens`, message: `must be an integer ≥ 1, got ${describeValue(task['maxOutputTokens'])}` });
  }
  if (task['deps'] !== undefined) checker.array(task['deps'], `${at}.deps`, 0).forEach((dependency, index) => checker.dependency(dependency, `${at}.deps[${index}]`));
}

function dependencyIds(task: ProjectTask): string[] {
  return (task.deps ?? []).map((dependency) => (typeof dependency === 'string' ? dependency : dependency.id));
}

function checkGraph(tasks: readonly ProjectTask[]): void {
  const byId = new Map<string, ProjectTask>();
  for (const task of tasks) {
    if (byId.has(task.id)) throw new DagError({ code: 'DUPLICATE_TASK_ID', message: `Task id ${task.id} is used twice.`, details: { task: task.id } });
    byId.set(task.id, task);
  }
  for (const task of tasks) {
    for (const dependency of dependencyIds(task)) {
      if (!byId.has(dependency)) {
        throw new DagError({ code: 'UNKNOWN_DEPENDENCY', message: `Task ${task.id} depends on unknown task ${dependency}.`, details: { task: task.id, dependency } });
      }
    }
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(id)), id];
      throw new DagError({ code: 'DAG_CYCLE', message: `Tasks form a cycle: ${cycle.join(' → ')}.`, details: { cycle } });
    }
    state.set(id, 'visiting');
    stack.push(id);
    const task = byId.get(id);
    for (const dependency of task === undefined ? [] : dependencyIds(task)) visit(dependency);
    stack.pop();
    state.set(id, 'done');
  };
  for (const task of tasks) visit(task.id);
}

/**
 * Checks that a value is a {@link ProjectPlan} and returns it typed.
 *
 * @remarks
 * Needs no schema library. Every shape problem is collected first (unknown fields included), then
 * the task graph is checked.
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` naming the first problem, with every problem
 * in `details.issues` (`{ path, message }`) — including names of contracts or rules that do not
 * exist; {@link @runtime/contracts#DagError} `DUPLICATE_TASK_ID`, `UNKNOWN_DEPENDENCY` or `DAG_CYCLE`
 * (`details.cycle`).
 * @public
 */
export function validateProjectPlan(value: unknown): ProjectPlan {
  const checker = new Checker();
  if (!isShape(value)) throw validationFailed('project plan', [{ path: '', message: `must be an object, got ${describeValue(value)}` }]);
  checker.unknownFields(value, ['name', 'summary', 'system', 'architectureContext', 'contracts', 'businessRules', 'securityRules', 'tasks'], '');
  checker.string(value['name'], 'name');
  checker.string(value['summary'], 'summary');
  checker.string(value['system'], 'system', true);
  checker.string(value['architectureContext'], 'architectureContext');
  const known = {
    contracts: checker.namedList(value['contracts'], 'contracts', 'name', ['name', 'description', 'text']),
    rules: checker.namedList(value['businessRules'], 'businessRules', 'id', ['id', 'text']),
    security: checker.namedList(value['securityRules'], 'securityRules', 'id', ['id', 'text']),
  };
  checker.array(value['tasks'], 'tasks', 1).forEach((task, index) => checkTask(checker, task, `tasks[${index}]`, known));
  if (checker.issues.length > 0) throw validationFailed('project plan', checker.issues);
  const plan = value as unknown as ProjectPlan;
  checkGraph(plan.tasks);
  return plan;
}
