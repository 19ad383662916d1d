import { describe, expect, it } from 'vitest';
import { DagError, ValidationError } from '@runtime/contracts';
import { validateProjectPlan } from './validate-project-plan.js';

const task = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  title: `Task ${id}`,
  tier: 1,
  role: 'Engineer',
  task: 'Do it.',
  deliverable: 'done',
  successCriteria: ['works'],
  ...extra,
});

const plan = (tasks: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'p',
  summary: 's',
  architectureContext: 'a',
  contracts: [{ name: 'C', text: 'interface C {}' }],
  businessRules: [{ id: 'r1', text: 'rule' }],
  securityRules: [],
  tasks,
  ...extra,
});

function thrown(value: unknown): unknown {
  try {
    validateProjectPlan(value);
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('validateProjectPlan', () => {
  it('accepts a valid plan and returns it', () => {
    const value = plan([task('a', { contracts: ['C'] }), task('b', { deps: ['a', { id: 'a', select: '$.summary', maxTokens: 10 }], businessRules: ['r1'] })]);
    expect(validateProjectPlan(value)).toBe(value);
  });

  it('collects every shape problem into one VALIDATION_FAILED with paths', () => {
    const error = thrown(plan([task('a', { tier: 4, contracts: ['Missing'], businessRules: ['r9'], extra: true, deps: [{ id: 'x', select: 'summary' }] })], { name: '' }));
    expect(ValidationError.isInstance(error) && error.code).toBe('VALIDATION_FAILED');
    expect(ValidationError.isInstance(error) && error.message).toBe('Invalid project plan at name: must be a non-empty string, got "".');
    expect(ValidationError.isInstance(error) && error.details['issues']).toEqual([
      { path: 'name', message: 'must be a non-empty string, got ""' },
      { path: 'tasks[0].extra', message: 'unknown field' },
      { path: 'tasks[0].tier', message: 'must be 1, 2 or 3, got 4' },
      { path: 'tasks[0].contracts[0]', message: 'unknown contract "Missing"' },
      { path: 'tasks[0].businessRules[0]', message: 'unknown business rule "r9"' },
      { path: 'tasks[0].deps[0].select', message: 'must be a path such as $.summary or $.items[0].name, got "summary"' },
    ]);
  });

  it('rejects non-objects, empty task lists, bad ids and duplicate contract names', () => {
    expect(ValidationError.isInstance(thrown(null))).toBe(true);
    expect(thrown(plan([])) instanceof Error && (thrown(plan([])) as Error).message).toMatch(/at tasks: needs at least 1 item/);
    expect((thrown(plan([task('bad id')])) as Error).message).toMatch(/tasks\[0\]\.id: must be 1\.\.128 characters/);
    const duplicate = thrown(plan([task('a')], { contracts: [{ name: 'C', text: 'x' }, { name: 'C', text: 'y' }] }));
    expect((duplicate as Error).message).toMatch(/contracts\[1\]\.name: duplicate name "C"/);
  });

  it('reports graph problems with the DAG error codes', () => {
    const duplicate = thrown(plan([task('a'), task('a')]));
    expect(DagError.isInstance(duplicate) && duplicate.code).toBe('DUPLICATE_TASK_ID');
    const unknown = thrown(plan([task('a', { deps: ['ghost'] })]));
    expect(DagError.isInstance(unknown) && unknown.details).toEqual({ task: 'a', dependency: 'ghost' });
    const cycle = thrown(plan([task('a', { deps: ['c'] }), task('b', { deps: ['a'] }), task('c', { deps: ['b'] })]));
    expect(DagError.isInstance(cycle) && cycle.code).toBe('DAG_CYCLE');
    expect(DagError.isInstance(cycle) && cycle.details['cycle']).toEqual(['a', 'c', 'b', 'a']);
  });
});
