/**
 * `runtime plan` through the built bin, offline (the mock provider runs the tasks; the planning
 * calls are answered by the `--script` fixture): the summary, the `--out` document, a degraded plan
 * under a tight budget, the typed error below the all-tier-1 floor, `--run`.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { writeE2eConfig } from './support/e2e-config.js';
import { runCliProcess } from './support/sidecar-process.js';

const fixtures = join(import.meta.dirname, 'fixtures', 'plan');
const prd = join(fixtures, 'notes-prd.md');
const script = join(fixtures, 'notes-script.json');
const directory = mkdtempSync(join(tmpdir(), 'runtime-plan-'));
/** Offline: no RUNTIME_CONFIG, so every provider is the mock. */
const env: Record<string, string> = {};

afterAll(() => rmSync(directory, { recursive: true, force: true }));

interface PlanDocument {
  path: string;
  gate: { initial: unknown[]; repaired: boolean; afterRepair: unknown[] };
  estimate: { total: { tasks: number; worstCaseUsd: string; expectedUsd: string }; byTier: Record<string, { tasks: number }> };
  budget?: { budgetUsd: number; worstCaseBeforeUsd: string; changes: { kind: string; task: string; from: unknown; to: unknown }[] };
  contracts: Record<string, string>;
  tasks: { id: string; state: string; tier: number }[];
  spec: { tasks: { id: string; tier: number }[]; policy?: { budgetUsd?: number } };
}

describe('runtime plan', () => {
  it('plans the PRD offline, prints the summary and writes a valid --out document', async () => {
    const out = join(directory, 'plan.yaml');
    const result = await runCliProcess(['plan', prd, '--script', script, '--out', out], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('path: contract-first');
    expect(result.stdout).toContain('gate: passed');
    expect(result.stdout).toMatch(/users\s+R1/);
    expect(result.stdout).toMatch(/notes\s+R2, R3/);
    expect(result.stdout).toMatch(/tier 3:\s+2 /);
    expect(result.stdout).toMatch(/cost: worst case \$0\.\d+, expected \$0\.\d+/);
    expect(result.stdout).toContain(`wrote ${out}`);
    const text = readFileSync(out, 'utf8');
    const document = parseYaml(text) as PlanDocument;
    expect(document).toEqual(JSON.parse(text));
    expect(document.path).toBe('contract-first');
    expect(Object.keys(document.contracts).sort()).toEqual(['notes', 'users']);
    const pending = document.tasks.filter((task) => task.state === 'pending');
    expect(document.spec.tasks.map((task) => task.id).sort()).toEqual(pending.map((task) => task.id).sort());
    expect(document.estimate.total.tasks).toBe(pending.length);
    expect(document.budget).toBeUndefined();
    expect(readdirSync(directory).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  }, 30_000);

  it('degrades the plan to fit a budget too small for its flagship tasks and reports every change', async () => {
    const out = join(directory, 'degraded.json');
    const result = await runCliProcess(['plan', prd, '--script', script, '--budget', '0.05', '--out', out], env);
    expect(result.code, result.stderr).toBe(0);
    const document = JSON.parse(readFileSync(out, 'utf8')) as PlanDocument;
    expect(document.budget?.budgetUsd).toBe(0.05);
    expect(Number(document.budget?.worstCaseBeforeUsd)).toBeGreaterThan(0.05);
    expect(Number(document.estimate.total.worstCaseUsd)).toBeLessThanOrEqual(0.05);
    expect(document.spec.policy?.budgetUsd).toBe(0.05);
    const changes = document.budget?.changes ?? [];
    expect(changes.length).toBeGreaterThan(0);
    expect(result.stdout).toContain(`budget $0.05: degraded from worst case $${document.budget?.worstCaseBeforeUsd} to $${document.estimate.total.worstCaseUsd} with ${changes.length} change(s):`);
    for (const change of changes) expect(result.stdout).toContain(`  - ${change.task}: `);
    expect(document.tasks.some((task) => task.state === 'pending' && task.tier === 3)).toBe(false);
  }, 30_000);

  it('exits 2 with BUDGET_EXCEEDED below the all-tier-1 floor and writes nothing', async () => {
    const out = join(directory, 'unreachable.json');
    const human = await runCliProcess(['plan', prd, '--script', script, '--budget', '0.00001', '--out', out], env);
    expect(human.code).toBe(2);
    expect(human.stderr).toContain('error BUDGET_EXCEEDED:');
    expect(existsSync(out)).toBe(false);
    const json = await runCliProcess(['plan', prd, '--script', script, '--budget', '0.00001', '--json'], env);
    expect(json.code).toBe(2);
    const { error } = JSON.parse(json.stdout) as { error: { code: string; details: { reason: string; budgetUsd: number; minimumWorstCaseUsd: string } } };
    expect(error.code).toBe('BUDGET_EXCEEDED');
    expect(error.details.reason).toBe('PLANNER_BUDGET_UNREACHABLE');
    expect(error.details.budgetUsd).toBe(0.00001);
    expect(Number(error.details.minimumWorstCaseUsd)).toBeGreaterThan(0.00001);
  }, 30_000);

  it('--run runs the plan to completion within the budget', async () => {
    const result = await runCliProcess(['plan', prd, '--script', script, '--budget', '0.05', '--run', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout) as {
      plan: PlanDocument;
      run: { state: string; tasks: { id: string; state: string }[]; usage: { costUsd: number } };
      billing: { totalUsd: number };
    };
    expect(output.run.state).toBe('completed');
    expect(output.run.tasks.map((task) => task.id).sort()).toEqual(output.plan.spec.tasks.map((task) => task.id).sort());
    expect(output.run.tasks.every((task) => task.state === 'completed')).toBe(true);
    expect(output.run.usage.costUsd).toBeGreaterThan(0);
    expect(output.run.usage.costUsd).toBeLessThanOrEqual(0.05);
    expect(output.billing.totalUsd).toBeCloseTo(output.run.usage.costUsd, 9);
  }, 60_000);

  it('--run prints the plan summary, then progress and the billing table', async () => {
    const result = await runCliProcess(['plan', prd, '--script', script, '--run'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.indexOf('path: contract-first')).toBeLessThan(result.stdout.indexOf('Tier routing cost'));
    expect(result.stdout).toContain('integrate');
  }, 60_000);

  it('on the mock provider without --script the planning answers are invalid: exit 2, typed error, a hint', async () => {
    const result = await runCliProcess(['plan', prd, '--json'], env);
    expect(result.code).toBe(2);
    const { error } = JSON.parse(result.stdout) as { error: { code: string; details: { reason: string; stage: string } } };
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details.reason).toBe('PLANNER_INVALID_ANSWER');
    expect(error.details.stage).toBe('requirements');
    expect(result.stderr).toContain('--script <file>');
  }, 30_000);

  it('exits 2 for an unreadable PRD, a script without the asked stage and an unknown --model', async () => {
    const missing = await runCliProcess(['plan', join(directory, 'absent.md'), '--script', script], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('error VALIDATION_FAILED: Cannot read PRD');
    const partialScript = join(directory, 'partial.json');
    const { requirements } = JSON.parse(readFileSync(script, 'utf8')) as { requirements: unknown };
    writeFileSync(partialScript, JSON.stringify({ requirements }));
    const partial = await runCliProcess(['plan', prd, '--script', partialScript], env);
    expect(partial.code).toBe(2);
    expect(partial.stderr).toContain(`error VALIDATION_FAILED: Planner script ${partialScript} has no answer for stage "domains".`);
    const notAnObject = await runCliProcess(['plan', prd, '--script', prd], env);
    expect(notAnObject.code).toBe(2);
    expect(notAnObject.stderr).toContain('error VALIDATION_FAILED: Planner script');
    const model = await runCliProcess(['plan', prd, '--script', script, '--model', 'no-such-model'], env);
    expect(model.code).toBe(2);
    expect(model.stderr).toMatch(/error \w+:/);
  }, 30_000);
});

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += (chunk as Buffer).toString('utf8');
  return body;
}

describe('runtime plan on a configured provider', () => {
  it('plans through the resilient provider chain (a 503 is retried) on the flagship model, then runs on the same provider', async () => {
    const answers = JSON.parse(readFileSync(script, 'utf8')) as Record<string, unknown>;
    const calls: { model: string; stage: string | undefined }[] = [];
    let failedOnce = false;
    const server = createServer((request, response) => {
      void readBody(request).then((text) => {
        const body = JSON.parse(text) as { model: string; messages: { content: string }[] };
        const stage = /^\[planner:([^\]]+)\]/.exec(body.messages.at(-1)?.content ?? '')?.[1];
        calls.push({ model: body.model, stage });
        if (stage === 'requirements' && !failedOnce) {
          failedOnce = true;
          response.writeHead(503, { 'content-type': 'application/json', 'retry-after-ms': '20' });
          response.end(JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } }));
          return;
        }
        const content = stage === undefined ? 'done' : JSON.stringify(answers[stage]);
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            id: `chatcmpl-${calls.length}`,
            object: 'chat.completion',
            model: body.model,
            choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70 },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const config = writeE2eConfig(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`);
    // The planner's tier output caps (1024/2048/4096) exceed the e2e models' 1000/2000, which a run refuses: raise them.
    const file = parseYaml(readFileSync(config.configPath, 'utf8')) as { models: { maxOutputTokens: number }[] };
    for (const model of file.models) model.maxOutputTokens = 16_000;
    writeFileSync(config.configPath, stringifyYaml(file));
    try {
      const result = await runCliProcess(['plan', prd, '--run', '--json'], config.env);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stderr).not.toContain('mock provider');
      const output = JSON.parse(result.stdout) as { plan: PlanDocument; run: { state: string; tasks: { model: string }[] } };
      expect(output.plan.path).toBe('contract-first');
      expect(output.run.state).toBe('completed');
      const planning = calls.filter((call) => call.stage !== undefined);
      expect(planning.slice(0, 3).map((call) => call.stage)).toEqual(['requirements', 'requirements', 'domains']);
      expect(planning.slice(3).map((call) => call.stage).sort()).toEqual(['contract:notes', 'contract:users']);
      expect(new Set(planning.map((call) => call.model))).toEqual(new Set(['flagship-1']));
      expect(calls.filter((call) => call.stage === undefined)).toHaveLength(output.plan.spec.tasks.length);
      for (const task of output.run.tasks) expect(['fake-fast', 'fake-balanced', 'fake-flagship']).toContain(task.model);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(config.directory, { recursive: true, force: true });
    }
  }, 60_000);
});
