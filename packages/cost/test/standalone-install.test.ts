/**
 * `pnpm pack` of contracts + cost, installed with plain npm outside the workspace, runs the README
 * example (see scripts/standalone-install.mjs). Slow (a build and an npm install): ~30 s.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../scripts/standalone-install.mjs', import.meta.url));

describe('standalone install', () => {
  it('installs the packed tarballs with npm in an empty directory and runs the README example', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 170_000 });
    expect(stdout).toContain('Q3 costs fell 12%. $0.000009');
    expect(stdout).toContain('standalone install OK');
  }, 180_000);
});
