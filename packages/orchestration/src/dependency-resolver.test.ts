import { DagError, ValidationError, type TaskSpec } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { createDependencyResolver } from './dependency-resolver.js';

const task = (id: string, deps: TaskSpec['deps'] = []): TaskSpec => ({ id, prompt: `do ${id}`, deps });

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('createDependencyResolver', () => {
  const resolver = createDependencyResolver();

  it('orders dependencies first, by critical path then id, and computes critical paths', () => {
    const dag = resolver.resolve([task('d', ['b', 'c']), task('c', ['a']), task('b', ['a']), task('a'), task('z')]);
    expect(dag.order).toEqual(['a', 'b', 'c', 'd', 'z']);
    expect(dag.roots).toEqual(['a', 'z']);
    expect(dag.nodes.get('a' as never)?.criticalPath).toBe(3);
    expect(dag.nodes.get('d' as never)?.criticalPath).toBe(1);
    expect(dag.nodes.get('a' as never)?.dependents).toEqual(['c', 'b']);
  });

  it('accepts dependency refs and ignores repeated deps', () => {
    const dag = resolver.resolve([task('a'), task('b', ['a', { id: 'a', select: '$.x' }])]);
    expect(dag.nodes.get('b' as never)?.deps).toEqual(['a']);
  });

  it('rejects a duplicate id with DUPLICATE_TASK_ID and the id', () => {
    const error = errorOf(() => resolver.resolve([task('a'), task('a')]));
    expect(DagError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'DUPLICATE_TASK_ID', details: { task: 'a' } });
  });

  it('rejects an unknown dependency with the task and the dependency', () => {
    const error = errorOf(() => resolver.resolve([task('a', ['ghost'])]));
    expect(error).toMatchObject({ code: 'UNKNOWN_DEPENDENCY', details: { task: 'a', dependency: 'ghost' } });
  });

  it('reports a self-dependency as the cycle [a, a]', () => {
    const error = errorOf(() => resolver.resolve([task('a', ['a'])]));
    expect(error).toMatchObject({ code: 'DAG_CYCLE', details: { cycle: ['a', 'a'] } });
  });

  it('reports a cycle as the ordered path, first id repeated last', () => {
    const error = errorOf(() => resolver.resolve([task('x'), task('a', ['b']), task('b', ['c']), task('c', ['a'])]));
    expect(error).toMatchObject({ code: 'DAG_CYCLE', details: { cycle: ['a', 'b', 'c', 'a'] } });
  });

  it('rejects malformed ids with VALIDATION_FAILED', () => {
    expect(ValidationError.isInstance(errorOf(() => resolver.resolve([task('has space')])))).toBe(true);
    expect(errorOf(() => resolver.resolve([task('a', ['bad id'])]))).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { task: 'a', dependency: 'bad id' },
    });
  });

  it('resolves a delta against an existing DAG, growing existing critical paths', () => {
    const first = resolver.resolve([task('a'), task('b', ['a'])]);
    const both = resolver.resolve([task('c', ['b']), task('d', ['a'])], first);
    expect(both.order).toEqual(['a', 'b', 'c', 'd']);
    expect(both.nodes.get('a' as never)?.criticalPath).toBe(3);
    expect(first.nodes.get('a' as never)?.criticalPath).toBe(2);
    expect(errorOf(() => resolver.resolve([task('a')], first))).toMatchObject({ code: 'DUPLICATE_TASK_ID' });
  });
});

describe('createDependencyResolver properties', () => {
  it('orders every dependency first and computes critical paths as 1 + the longest dependent', async () => {
    const { default: fc } = await import('fast-check');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 120 }), (size, edges) => {
        const deps = Array.from({ length: size }, () => new Set<string>());
        for (const [x, y] of edges) if (x % size < y % size) deps[y % size]?.add(`n${x % size}`);
        const tasks = deps.map((set, index) => ({ id: `n${index}`, prompt: 'x', deps: [...set] }));
        const dag = createDependencyResolver().resolve([...tasks].reverse());
        const at = new Map(dag.order.map((id, index) => [id as string, index]));
        expect(dag.order).toHaveLength(size);
        for (const node of dag.nodes.values()) {
          for (const dep of node.deps) expect(at.get(dep) ?? Infinity).toBeLessThan(at.get(node.id) ?? -1);
          const longest = Math.max(0, ...node.dependents.map((id) => dag.nodes.get(id)?.criticalPath ?? 0));
          expect(node.criticalPath).toBe(longest + 1);
        }
      }),
      { numRuns: 100 },
    );
  });
});
