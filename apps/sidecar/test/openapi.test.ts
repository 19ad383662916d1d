/**
 * The OpenAPI document the real server serves: an operationId on every operation, servers, the
 * header parameters, the v1.1 endpoints, and a clean `redocly lint` (no error, no warning).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { startSidecar, type RunningSidecar } from '../src/start-sidecar.js';

const appRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
let directory: string;
let sidecar: RunningSidecar;
let document: { paths: Record<string, Record<string, { operationId?: string; parameters?: { name: string; in: string }[] }>>; servers?: unknown[] };

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'sidecar-openapi-'));
  const env = { RUNTIME_DB: 'memory', RUNTIME_PORT: '0' };
  sidecar = await startSidecar(loadConfig({ env }), { env, logger: pino({ level: 'silent' }) });
  document = (await (await fetch(`${sidecar.url}/openapi.json`)).json()) as typeof document;
});

afterAll(async () => {
  await sidecar.stop();
  rmSync(directory, { recursive: true, force: true });
});

describe('GET /openapi.json', () => {
  it('names every operation, lists servers and the header parameters, and has the v1.1 endpoints', () => {
    const operations = Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ path, method, operation })));
    expect(operations.length).toBeGreaterThanOrEqual(13);
    for (const { path, method, operation } of operations) expect(operation.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
    expect(new Set(operations.map(({ operation }) => operation.operationId)).size).toBe(operations.length);
    expect(document.servers?.length).toBeGreaterThan(0);
    expect(document.paths['/v1/runs']?.['post']?.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header' }));
    expect(document.paths['/v1/runs/{id}/events']?.['get']?.parameters).toContainEqual(expect.objectContaining({ name: 'Last-Event-ID', in: 'header' }));
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/v1/runs/{id}/tasks', '/v1/runs/{id}/tasks/{taskId}', '/v1/runs/{id}/tasks/{taskId}/input']));
    const input = document.paths['/v1/runs/{id}/tasks/{taskId}/input']?.['post'] as { responses?: Record<string, { description?: string }> } | undefined;
    expect(Object.keys(input?.responses ?? {})).toEqual(expect.arrayContaining(['202', '404', '409']));
    const createRun = document.paths['/v1/runs']?.['post'] as { responses?: Record<string, { description?: string }> } | undefined;
    expect(createRun?.responses?.['422']?.description).toContain('VALIDATION_FAILED for a task naming a tool');
  });

  it('passes redocly lint without errors or warnings', () => {
    const file = join(directory, 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    const redocly = join(appRoot, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
    const result = spawnSync(process.execPath, [redocly, 'lint', file, '--format=stylish'], {
      cwd: directory,
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '', HOME: directory, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      timeout: 60_000,
    });
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.status, output).toBe(0);
    // The summary line: "Woohoo! Your API description is valid." and no count of problems (a
    // Node 20 deprecation banner of the tool itself is not about the document).
    expect(output).toContain('Your API description is valid');
    expect(output).not.toMatch(/You have \d+ (warning|error)/);
  }, 90_000);
});
