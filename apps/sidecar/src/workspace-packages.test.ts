import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listWorkspacePackages } from './workspace-packages.js';

const workspaceRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('listWorkspacePackages', () => {
  it('finds the published packages and this app with their versions', () => {
    const packages = listWorkspacePackages(workspaceRoot);
    const names = packages.map((p) => p.name);
    expect(names).toContain('@runtime/contracts');
    expect(names).toContain('@runtime/sidecar');
    expect(packages.find((p) => p.name === '@runtime/sidecar')).toMatchObject({ private: true, directory: 'apps/sidecar' });
    for (const p of packages) expect(p.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});
