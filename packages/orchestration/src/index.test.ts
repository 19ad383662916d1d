import { describe, expect, it } from 'vitest';
import { PACKAGE_NAME } from './index.js';

describe('@runtime/orchestration', () => {
  it('exports its package name', () => {
    expect(PACKAGE_NAME).toBe('@runtime/orchestration');
  });

  it('resolves @runtime/contracts to its TypeScript source through the @runtime/source condition', async () => {
    // No build needed: the workspace dependency resolves to src/index.ts, not dist/.
    expect(import.meta.resolve('@runtime/contracts')).toMatch(/\/packages\/contracts\/src\/index\.ts$/);
    const contracts: unknown = await import('@runtime/contracts');
    expect(contracts).toBeTypeOf('object');
  });
});
