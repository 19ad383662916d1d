/**
 * Issue 19: requests sent to a replica that does not own the run reach its owner through the store
 * (the orchestrator's request inbox): abort and add-tasks on another `runtime serve` process of the
 * same PostgreSQL schema take effect on the owner well before its lease could expire; an approval
 * (with its message) answered on another in-process replica reaches the agent task waiting on the
 * owner.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Run } from '@runtime/contracts';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../src/config/load-config.js';
import type { HttpTaskView } from '../src/http/run-views.js';
import { startSidecar, type RunningSidecar } from '../src/start-sidecar.js';
import { agentConfigSections, startFakeAgentServers } from './support/fake-agent-servers.js';
import { createClient } from './support/http-client.js';
import { FLEET_KEY, useReplicaFleet } from './support/replica-fleet.js';
import { dropSchema, POSTGRES_URL, uniqueSchema } from './support/shared-services.js';

const KEY = FLEET_KEY;
const fleet = useReplicaFleet();

describe('requests reaching the owner through the store', () => {
  it('abort and add-tasks sent to a replica that does not own the run reach the owner', async () => {
    const [owner, other] = await fleet.start(2, 15_000);
    if (owner === undefined || other === undefined) throw new Error('replicas did not start');
    const ownerClient = createClient(owner.url);
    const otherClient = createClient(other.url);

    const toAbort = await ownerClient.request<Run>('POST', '/v1/runs', {
      key: KEY,
      body: { tasks: [{ id: 'slow', prompt: 'slow [task=abort.slow][delay=4000]', maxOutputTokens: 50 }, { id: 'next', prompt: 'next [task=abort.next]', maxOutputTokens: 50, deps: ['slow'] }] },
    });
    expect(toAbort.status, toAbort.text).toBe(201);
    await ownerClient.waitForRun(toAbort.body.id, KEY, (run) => run.tasks[0]?.state === 'running');
    const abortedAt = Date.now();
    const abort = await otherClient.request<Run>('POST', `/v1/runs/${toAbort.body.id}/abort`, { key: KEY });
    expect(abort.status, abort.text).toBe(202);
    const aborted = await otherClient.waitForRun(toAbort.body.id, KEY, undefined, 10_000);
    expect(aborted.state).toBe('aborted');
    // Well before the slow answer (4 s) and the lease TTL (15 s): the owner aborted it.
    expect(Date.now() - abortedAt).toBeLessThan(3_000);
    expect(aborted.tasks.map((task) => task.state)).toEqual(['failed', 'skipped']);
    expect(fleet.fake.callsOf('abort.next')).toHaveLength(0);

    const toExtend = await ownerClient.request<Run>('POST', '/v1/runs', {
      key: KEY,
      body: { tasks: [{ id: 'first', prompt: 'first [task=add.first][delay=1500]', maxOutputTokens: 50 }] },
    });
    expect(toExtend.status, toExtend.text).toBe(201);
    await ownerClient.waitForRun(toExtend.body.id, KEY, (run) => run.tasks[0]?.state === 'running');
    const added = await otherClient.request<Run>('POST', `/v1/runs/${toExtend.body.id}/tasks`, {
      key: KEY,
      body: { tasks: [{ id: 'extra', prompt: 'extra [task=add.extra]', maxOutputTokens: 50, deps: ['first'] }] },
    });
    expect(added.status, added.text).toBe(202);
    expect(added.body.tasks.map((task) => task.id)).toEqual(['first', 'extra']);
    const extended = await otherClient.waitForRun(toExtend.body.id, KEY, undefined, 10_000);
    expect(extended.state).toBe('completed');
    expect(extended.tasks.map((task) => task.state)).toEqual(['completed', 'completed']);
    expect(fleet.fake.callsOf('add.first')).toHaveLength(1);
    expect(fleet.fake.callsOf('add.extra')).toHaveLength(1);
    const events = await otherClient.events(`/v1/runs/${toExtend.body.id}/events`, KEY);
    expect(events.filter((event) => event.type === 'task.completed').map((event) => event.taskId)).toEqual(['first', 'extra']);
  }, 60_000);
});

describe('task input through a replica that does not own the run', () => {
  it('a task waiting for approval on one replica is approved through the other: the tool runs once on the owner and the task completes', async () => {
    const servers = await startFakeAgentServers();
    const directory = mkdtempSync(join(tmpdir(), 'sidecar-cross-input-'));
    const schema = uniqueSchema('input');
    const replicas: RunningSidecar[] = [];
    try {
      const path = join(directory, 'sidecar.yaml');
      writeFileSync(path, stringify({ store: { kind: 'postgres', url: POSTGRES_URL, schema }, ...agentConfigSections(servers) }));
      const env = { RUNTIME_CONFIG: path, RUNTIME_PORT: '0', RUNTIME_LOG_LEVEL: 'silent', WEATHER_TOOL_KEY: 'tool-secret', RUNTIME_LEASE_TTL_MS: '15000' };
      for (let index = 0; index < 2; index += 1) replicas.push(await startSidecar(loadConfig({ env }), { env, logger: pino({ level: 'silent' }) }));
      const [owner, other] = replicas.map((replica) => createClient(replica.url));
      if (owner === undefined || other === undefined) throw new Error('replicas did not start');
      const created = await owner.request<Run>('POST', '/v1/runs', {
        body: { tasks: [{ id: 'book', prompt: 'CALL book_table {"city":"Lyon"}', maxOutputTokens: 64, agent: { tools: ['book_table'], maxSteps: 4 } }] },
      });
      expect(created.status, created.text).toBe(201);
      const runId = created.body.id;
      let waiting: HttpTaskView | undefined;
      for (let attempt = 0; attempt < 400 && waiting === undefined; attempt += 1) {
        const task = await other.request<HttpTaskView>('GET', `/v1/runs/${runId}/tasks/book`);
        if (task.body.state === 'waiting' && task.body.waiting?.reason === 'input') waiting = task.body;
        else await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(waiting, 'the task never showed as waiting for input on the other replica').toBeDefined();
      const answered = await other.request<HttpTaskView>('POST', `/v1/runs/${runId}/tasks/book/input`, { body: { decision: 'approve', message: 'approved by the desk' } });
      expect(answered.status, answered.text).toBe(202);
      const run = await other.waitForRun(runId, '', undefined, 10_000);
      expect(run.state).toBe('completed');
      expect(servers.toolCalls.map((call) => call.url)).toEqual(['/book']);
      // The approver's message reached the model with the tool's result (the fake model echoes it).
      const task = await other.request<HttpTaskView>('GET', `/v1/runs/${runId}/tasks/book`);
      expect(task.body.output).toContain('approved by the desk');
    } finally {
      for (const replica of replicas) await replica.stop();
      await servers.close();
      await dropSchema(schema);
      rmSync(directory, { recursive: true, force: true });
    }
  }, 30_000);
});
