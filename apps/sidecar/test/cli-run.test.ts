/**
 * The `runtime` CLI as a real process without a terminal: `run --json`, `estimate`, `models` and
 * their exit codes.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeE2eConfig, type E2eConfig } from './support/e2e-config.js';
import { startFakeOpenAiServer, type FakeOpenAiServer } from './support/fake-openai-server.js';
import { runCliProcess } from './support/sidecar-process.js';

let fake: FakeOpenAiServer;
let config: E2eConfig;

beforeAll(async () => {
  fake = await startFakeOpenAiServer();
  config = writeE2eConfig(fake.baseUrl);
});

afterAll(async () => {
  await fake.close();
  rmSync(config.directory, { recursive: true, force: true });
});

function plan(name: string, body: unknown, extension = 'json'): string {
  const path = join(config.directory, `${name}.${extension}`);
  writeFileSync(path, typeof body === 'string' ? body : JSON.stringify(body));
  return path;
}

describe('runtime run --json', () => {
  it('exits 0 with the completed run and its billing for a good plan', async () => {
    const path = plan('good', {
      tasks: [
        { id: 'draft', prompt: 'draft [task=draft]', tier: 1 },
        { id: 'final', prompt: 'final [task=final]', tier: 3, deps: ['draft'] },
      ],
      policy: { budgetUsd: 1 },
    });
    const result = await runCliProcess(['run', path, '--json'], config.env);
    expect(result.code, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout) as {
      run: { state: string; tasks: { model: string }[]; usage: { costUsd: number } };
      billing: { totalUsd: number; flagshipModel: string; flagshipTotalUsd: number; tasks: unknown[] };
    };
    expect(output.run.state).toBe('completed');
    expect(output.run.tasks.map((task) => task.model)).toEqual(['fake-fast', 'fake-flagship']);
    expect(output.billing.totalUsd).toBeCloseTo(output.run.usage.costUsd, 9);
    expect(output.billing.flagshipModel).toBe('fake-flagship');
    expect(output.billing.flagshipTotalUsd).toBeGreaterThan(output.billing.totalUsd);
  }, 30_000);

  it('exits 1 when the run fails, still printing JSON', async () => {
    const path = plan('failing', { tasks: [{ id: 'boom', prompt: 'boom [task=boom][fail=400]' }] }, 'json');
    const result = await runCliProcess(['run', path, '--json'], config.env);
    expect(result.code).toBe(1);
    const output = JSON.parse(result.stdout) as { run: { state: string; tasks: { error?: { code: string } }[] } };
    expect(output.run.state).toBe('failed');
    expect(output.run.tasks[0]?.error?.code).toBe('PROVIDER_ERROR');
  }, 30_000);

  it('exits 2 with an error document for an invalid plan or an invalid DAG', async () => {
    const invalid = await runCliProcess(['run', plan('invalid', 'tasks:\n  - id: a\n    promt: typo\n', 'yaml'), '--json'], config.env);
    expect(invalid.code).toBe(2);
    expect(JSON.parse(invalid.stdout)).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    const cyclic = await runCliProcess(['run', plan('cyclic', { tasks: [{ id: 'a', prompt: 'x', deps: ['a'] }] }), '--json'], config.env);
    expect(cyclic.code).toBe(2);
    expect(JSON.parse(cyclic.stdout)).toMatchObject({ error: { code: 'DAG_CYCLE' } });
  }, 30_000);
});

describe('runtime estimate and models', () => {
  it('prints the worst case of a whole DAG and the catalog', async () => {
    const path = plan('estimate', {
      tasks: [
        { id: 'a', prompt: 'alpha', model: 'fake-fast', maxOutputTokens: 100 },
        { id: 'b', prompt: 'beta', model: 'fake-flagship', maxOutputTokens: 200, deps: ['a'] },
      ],
    });
    const estimate = await runCliProcess(['estimate', path, '--json'], config.env);
    expect(estimate.code, estimate.stderr).toBe(0);
    const output = JSON.parse(estimate.stdout) as { maxCostUsd: number; tasks: { id: string; inputTokens: number; maxCostUsd: number }[] };
    const [a, b] = output.tasks;
    expect((b?.inputTokens ?? 0) - 100).toBeGreaterThan(0);
    expect(output.maxCostUsd).toBeCloseTo((a?.maxCostUsd ?? 0) + (b?.maxCostUsd ?? 0), 12);
    expect(b?.maxCostUsd).toBeCloseTo(((b?.inputTokens ?? 0) * 15 + 200 * 75) / 1e6, 12);
    const models = await runCliProcess(['models', '--json'], config.env);
    expect(models.code).toBe(0);
    expect((JSON.parse(models.stdout) as { items: unknown[] }).items).toHaveLength(3);
    const usage = await runCliProcess(['frobnicate'], config.env);
    expect(usage.code).toBe(2);
  }, 30_000);
});

describe('runtime estimate validates like run, with the output cap run uses', () => {
  it('exits 2 for a cycle or an unknown dependency, like run', async () => {
    const cyclic = await runCliProcess(['estimate', plan('estimate-cyclic', { tasks: [{ id: 'a', prompt: 'x', deps: ['b'] }, { id: 'b', prompt: 'y', deps: ['a'] }] }), '--json'], config.env);
    expect(cyclic.code).toBe(2);
    expect(JSON.parse(cyclic.stdout)).toMatchObject({ error: { code: 'DAG_CYCLE' } });
    const unknown = await runCliProcess(['estimate', plan('estimate-unknown', { tasks: [{ id: 'a', prompt: 'x', deps: ['ghost'] }] })], config.env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('UNKNOWN_DEPENDENCY');
  }, 30_000);

  it('a task without maxOutputTokens is estimated at the default cap of 4096 the run sends, not the model maximum', async () => {
    // Zero config: the built-in catalog, whose default model allows far more than 4096 output tokens.
    const env = { HOME: config.directory };
    const plain = await runCliProcess(['estimate', plan('estimate-default-cap', { tasks: [{ id: 'a', prompt: 'alpha' }] }), '--json'], env);
    expect(plain.code, plain.stderr).toBe(0);
    expect((JSON.parse(plain.stdout) as { tasks: { maxOutputTokens: number }[] }).tasks[0]?.maxOutputTokens).toBe(4096);
    const explicit = await runCliProcess(['estimate', plan('estimate-explicit-cap', { tasks: [{ id: 'a', prompt: 'alpha', maxOutputTokens: 50 }] }), '--json'], env);
    expect((JSON.parse(explicit.stdout) as { tasks: { maxOutputTokens: number }[] }).tasks[0]?.maxOutputTokens).toBe(50);
  }, 30_000);
});

describe('runtime run on the mock provider', () => {
  it('says so on stderr when no provider is configured', async () => {
    const result = await runCliProcess(['run', plan('mock-run', { tasks: [{ id: 'a', prompt: 'hello' }] })], { HOME: config.directory });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/mock provider/);
    const configured = await runCliProcess(['run', plan('fake-run', { tasks: [{ id: 'a', prompt: 'hello [task=a]' }] }), '--json'], config.env);
    expect(configured.stderr).not.toMatch(/mock provider/);
  }, 30_000);
});

describe('runtime --version', () => {
  it('prints the app version and exits 0', async () => {
    const result = await runCliProcess(['--version'], {});
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^runtime \d+\.\d+\.\d+ \(node v\d+/);
  });
});
