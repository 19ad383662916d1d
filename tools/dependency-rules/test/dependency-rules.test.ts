import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkDependencyRules } from '../src/check-dependency-rules.js';

const here = dirname(fileURLToPath(import.meta.url));
const workspaceRoot = join(here, '..', '..', '..');

describe('dependency rule: domain packages depend on @runtime/contracts only', () => {
  it('holds for this workspace, and really scans its files', () => {
    const report = checkDependencyRules(workspaceRoot);
    // A prior checker scanned zero files and passed; make "nothing scanned" a failure.
    expect(report.domainPackages).toEqual(
      expect.arrayContaining(['@runtime/cost', '@runtime/context', '@runtime/orchestration', '@runtime/providers', '@runtime/policy']),
    );
    expect(report.domainPackages).not.toContain('@runtime/contracts');
    expect(report.manifestsScanned).toBe(report.domainPackages.length);
    expect(report.sourceFilesScanned).toBeGreaterThanOrEqual(report.domainPackages.length);
    expect(report.importsScanned).toBeGreaterThan(0);
    expect(report.violations).toEqual([]);
  });

  it('detects violations in manifests and in imports (negative self-test on a fixture)', () => {
    const report = checkDependencyRules(join(here, '__fixtures__', 'violating-workspace'));
    expect(report.domainPackages.slice().sort()).toEqual(['@runtime/context', '@runtime/cost', '@runtime/langchain', '@runtime/policy']);
    expect(report.sourceFilesScanned).toBe(6);
    const found = report.violations.map((v) => `${v.file} -> ${v.specifier}`).sort();
    expect(found).toEqual([
      'packages/context/src/deep-import.ts -> ../../cost/src/index.js',
      'packages/cost/package.json -> @runtime/context',
      'packages/cost/package.json -> @runtime/policy',
      'packages/cost/src/index.ts -> @runtime/context',
      'packages/cost/src/index.ts -> @runtime/policy/redis',
      // The adapter exception covers @runtime/cost in benchmarks, tests and devDependencies only.
      'packages/langchain/bench/overhead.bench.ts -> @runtime/policy',
      'packages/langchain/package.json -> @runtime/cost',
      'packages/langchain/package.json -> @runtime/stack',
      'packages/langchain/src/index.ts -> @runtime/cost',
    ]);
    // The composition root, the apps and the clean policy package raise nothing.
    expect(report.violations.some((v) => v.packageFolder === 'policy')).toBe(false);
    expect(report.violations.every((v) => v.reason.includes('@runtime/contracts only'))).toBe(true);
  });
});
