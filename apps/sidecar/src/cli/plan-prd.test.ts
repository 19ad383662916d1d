/**
 * `runtime plan` in-process (`runCli` on the real runtime, mock provider, scripted planning
 * answers): the budget guarantee as a property, and the `--out` write replacing a file whole.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-program.js';
import { writeFileAtomically } from './plan-prd.js';

const fixtures = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'plan');
const prd = join(fixtures, 'notes-prd.md');
const script = join(fixtures, 'notes-script.json');
const directory = mkdtempSync(join(tmpdir(), 'runtime-plan-unit-'));

afterAll(() => rmSync(directory, { recursive: true, force: true }));

async function plan(args: readonly string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['plan', prd, '--script', script, '--json', ...args], { out: (line) => out.push(line), err: (line) => err.push(line), env: {} });
  return { code, out, err };
}

interface JsonPlan {
  plan: { estimate: { total: { worstCaseUsd: string } }; budget?: { worstCaseBeforeUsd: string; changes: unknown[] }; spec: { policy?: { budgetUsd?: number } } };
}

describe('runtime plan --budget', () => {
  it('any budget either yields a plan whose worst case fits it (changed only when needed) or exits 2 with BUDGET_EXCEEDED', async () => {
    const unbudgeted = JSON.parse((await plan([])).out[0] ?? '') as JsonPlan;
    const full = Number(unbudgeted.plan.estimate.total.worstCaseUsd);
    // Budgets in whole nano-USD (what a person types); over-precise amounts are refused below.
    // The first range straddles the all-tier-1 floor, the second spans the whole plan.
    const nanos = fc.oneof(fc.integer({ min: 1, max: 2_000_000 }), fc.integer({ min: 1, max: Math.ceil(full * 1.5 * 1e9) }));
    await fc.assert(
      fc.asyncProperty(nanos.map((value) => value / 1e9), async (budget) => {
        const result = await plan(['--budget', String(budget)]);
        const output = JSON.parse(result.out[0] ?? '') as JsonPlan & { error?: { code: string; details: { reason: string } } };
        if (result.code === 2) {
          expect(output.error?.code).toBe('BUDGET_EXCEEDED');
          expect(output.error?.details.reason).toBe('PLANNER_BUDGET_UNREACHABLE');
          expect(budget).toBeLessThan(full);
          return;
        }
        expect(result.code).toBe(0);
        expect(Number(output.plan.estimate.total.worstCaseUsd)).toBeLessThanOrEqual(budget);
        expect(output.plan.spec.policy?.budgetUsd).toBe(Number(String(budget)));
        expect((output.plan.budget?.changes.length ?? 0) > 0).toBe(full > budget);
      }),
      { numRuns: 25 },
    );
  }, 120_000);

  it('refuses a budget more precise than the money type with a typed error', async () => {
    const result = await plan(['--budget', '0.0000010000000000000002']);
    expect(result.code).toBe(2);
    const { error } = JSON.parse(result.out[0] ?? '') as { error: { code: string; message: string } };
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('more precise');
  });
});

describe('writeFileAtomically', () => {
  it('leaves the whole new text and no temporary file, whatever was there before', () => {
    fc.assert(
      fc.property(fc.option(fc.string()), fc.string(), (before, after) => {
        const path = join(directory, 'plan.json');
        rmSync(path, { force: true });
        if (before !== null) writeFileSync(path, before);
        writeFileAtomically(path, after);
        expect(readFileSync(path, 'utf8')).toBe(after);
        expect(readdirSync(directory).filter((name) => name.endsWith('.tmp'))).toEqual([]);
      }),
      { numRuns: 50 },
    );
  });

  it('throws a typed error and creates nothing when the directory does not exist', () => {
    const path = join(directory, 'absent', 'plan.json');
    expect(() => writeFileAtomically(path, '{}')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', details: { file: path } }));
    expect(existsSync(join(directory, 'absent'))).toBe(false);
  });
});
