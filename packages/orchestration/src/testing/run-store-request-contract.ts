/**
 * The request inbox half of the RunStore contract: requests posted for a run's owner by another
 * process round-trip exactly, are claimed by the run's lease owner only, once, oldest first, even
 * under concurrent claimers; the first answer stays; a withdrawal wins only over no claim; old
 * requests are dropped after the retention. With `location`, the races run on two instances of the
 * same data (two connections or pools, as two replicas have).
 */
import { asRunId, asTaskId, type RunRequest, type RunRequestBody, type RunStore, type TaskSpec } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { REQUEST_RETENTION_MS } from '../internal/run-request-checks.js';
import { run } from './run-store-fixtures.js';

type Open = () => RunStore | Promise<RunStore>;

const NOW = 1_700_000_000_000;
const TTL = 60_000;

function request(runId: string, id: string, body: RunRequestBody = { kind: 'abort', reason: id }, postedAt = NOW): RunRequest {
  return { id, runId: asRunId(runId), body, postedAt };
}

/** Two runs leased by `owner-a` and `owner-b`, and one without a lease. */
async function leasedRuns(store: RunStore, prefix: string): Promise<void> {
  for (const [suffix, owner] of [['a', 'owner-a'], ['b', 'owner-b'], ['free', undefined]] as const) {
    const runId = `${prefix}-${suffix}`;
    await store.createRun(run(runId), []);
    if (owner !== undefined) await store.acquireLease(asRunId(runId), owner, TTL, NOW);
  }
}

/** Claims everything `owner` can, in pages of `limit`, until a claim returns nothing. */
async function drain(store: RunStore, owner: string, limit: number): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const claimed = await store.claimRequests(owner, limit);
    if (claimed.length === 0) return ids;
    for (const item of claimed) ids.push(item.id);
  }
}

const TASK: TaskSpec = {
  id: 'added',
  deps: ['b', { id: 'a', select: 'summary' }],
  model: 'm-1',
  maxOutputTokens: 64,
  system: 'Be brief — «exact» ✓',
  metadata: { owner: 'team "a"', empty: '' },
  memory: ['k'],
  agent: { tools: ['search'], maxSteps: 3, toolChoice: 'required' },
  prompt: 'line one\nline "two"',
};

export function requestContract(name: string, open: Open, location?: () => Open): void {
  describe(`${name} (RunStore request inbox contract)`, () => {
    it('posts and reads a request back exactly (TaskSpec and AgentInputResponse included)', async () => {
      const store = await open();
      await store.createRun(run('q1'), []);
      const bodies: RunRequestBody[] = [
        { kind: 'abort', reason: 'stop ✓' },
        { kind: 'abort' },
        { kind: 'addTasks', tasks: [TASK, { id: 'plain', messages: [{ role: 'user', content: 'hi' }] } as unknown as TaskSpec] },
        { kind: 'provideInput', taskId: asTaskId('a'), response: { decision: 'approve', message: 'go' } },
        { kind: 'provideInput', taskId: asTaskId('a'), response: { decision: 'reject', reason: 'no' } },
        { kind: 'provideInput', taskId: asTaskId('a'), response: { decision: 'answer', text: 'forty-two' } },
      ];
      for (const [index, body] of bodies.entries()) await store.postRequest(request('q1', `r${index}`, body, NOW + index));
      for (const [index, body] of bodies.entries()) {
        expect(await store.getRequest(asRunId('q1'), `r${index}`)).toEqual({ request: { id: `r${index}`, runId: 'q1', body, postedAt: NOW + index } });
      }
      expect(await store.getRequest(asRunId('q1'), 'nope')).toBeUndefined();
      expect(await store.getRequest(asRunId('nope'), 'r0')).toBeUndefined();
      await store.close();
    });

    it('refuses a request for an unknown run (RUN_NOT_FOUND), a reused id and a malformed one (VALIDATION_FAILED)', async () => {
      const store = await open();
      await store.createRun(run('q2'), []);
      await store.createRun(run('q2-other'), []);
      await expect(store.postRequest(request('missing', 'x'))).rejects.toMatchObject({ code: 'RUN_NOT_FOUND', details: { runId: 'missing' } });
      await store.postRequest(request('q2', 'x'));
      await expect(store.postRequest(request('q2', 'x', { kind: 'abort', reason: 'again' }))).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { runId: 'q2', requestId: 'x' },
      });
      // Ids are per run.
      await store.postRequest(request('q2-other', 'x'));
      await expect(store.postRequest(request('q2', ''))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(store.postRequest({ ...request('q2', 'y'), body: { kind: 'reboot' } as unknown as RunRequestBody })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      expect((await store.getRequest(asRunId('q2'), 'x'))?.request.body).toEqual({ kind: 'abort', reason: 'x' });
      await store.close();
    });

    it('hands a request to the lease owner of its run only, once, oldest first, within the limit', async () => {
      const store = await open();
      await leasedRuns(store, 'q3');
      await store.postRequest(request('q3-a', 'a2', undefined, NOW + 2));
      await store.postRequest(request('q3-b', 'b1', undefined, NOW + 1));
      await store.postRequest(request('q3-a', 'a1', undefined, NOW + 3));
      await store.postRequest(request('q3-free', 'f1', undefined, NOW + 4));
      await store.postRequest(request('q3-a', 'a3', undefined, NOW + 5));
      expect(await store.claimRequests('nobody')).toEqual([]);
      const first = await store.claimRequests('owner-a', 2);
      expect(first.map((item) => item.id)).toEqual(['a2', 'a1']);
      expect(first[0]).toEqual(request('q3-a', 'a2', undefined, NOW + 2));
      expect((await store.claimRequests('owner-a')).map((item) => item.id)).toEqual(['a3']);
      expect(await store.claimRequests('owner-a')).toEqual([]);
      expect((await store.claimRequests('owner-b')).map((item) => item.id)).toEqual(['b1']);
      expect(await store.getRequest(asRunId('q3-a'), 'a1')).toMatchObject({ claimedBy: 'owner-a' });
      expect(await store.getRequest(asRunId('q3-a'), 'a1')).not.toHaveProperty('outcome');
      // The run without a lease keeps its request until someone leases it.
      expect(await store.getRequest(asRunId('q3-free'), 'f1')).not.toHaveProperty('claimedBy');
      await store.acquireLease(asRunId('q3-free'), 'owner-b', TTL, NOW);
      expect((await store.claimRequests('owner-b')).map((item) => item.id)).toEqual(['f1']);
      await store.close();
    });

    it('keeps the first answer; withdraws only what no owner claimed', async () => {
      const store = await open();
      await leasedRuns(store, 'q4');
      await store.postRequest(request('q4-a', 'claimed'));
      await store.postRequest(request('q4-a', 'open', undefined, NOW + 1));
      expect((await store.claimRequests('owner-a', 1)).map((item) => item.id)).toEqual(['claimed']);
      expect(await store.withdrawRequest(asRunId('q4-a'), 'claimed')).toBe(false);
      const value = { id: 'q4-a', state: 'aborted', nested: [1, { ok: true }] };
      expect(await store.answerRequest(asRunId('q4-a'), 'claimed', { status: 'ok', value })).toBe(true);
      expect(await store.answerRequest(asRunId('q4-a'), 'claimed', { status: 'error', error: { code: 'INTERNAL', message: 'late', details: {} } })).toBe(false);
      expect(await store.getRequest(asRunId('q4-a'), 'claimed')).toEqual({
        request: request('q4-a', 'claimed'),
        claimedBy: 'owner-a',
        outcome: { status: 'ok', value },
      });
      expect(await store.withdrawRequest(asRunId('q4-a'), 'open')).toBe(true);
      expect(await store.withdrawRequest(asRunId('q4-a'), 'open')).toBe(false);
      expect(await store.claimRequests('owner-a')).toEqual([]);
      expect(await store.answerRequest(asRunId('q4-a'), 'open', { status: 'ok', value: null })).toBe(false);
      expect((await store.getRequest(asRunId('q4-a'), 'open'))?.outcome).toEqual({ status: 'withdrawn' });
      expect(await store.withdrawRequest(asRunId('q4-a'), 'missing')).toBe(false);
      expect(await store.answerRequest(asRunId('q4-a'), 'missing', { status: 'ok', value: 1 })).toBe(false);
      const error = { code: 'RUN_NOT_RUNNING' as const, message: 'Run is completed.', details: { runId: 'q4-a', state: 'completed' } };
      await store.postRequest(request('q4-a', 'failing', undefined, NOW + 2));
      await store.claimRequests('owner-a');
      expect(await store.answerRequest(asRunId('q4-a'), 'failing', { status: 'error', error })).toBe(true);
      expect((await store.getRequest(asRunId('q4-a'), 'failing'))?.outcome).toEqual({ status: 'error', error });
      await store.close();
    });

    it('drops requests posted longer ago than the retention when a new one is posted', async () => {
      const store = await open();
      await leasedRuns(store, 'q5');
      await store.postRequest(request('q5-a', 'old'));
      await store.postRequest(request('q5-a', 'answered', undefined, NOW + 1));
      await store.claimRequests('owner-a');
      await store.answerRequest(asRunId('q5-a'), 'answered', { status: 'ok', value: 1 });
      await store.postRequest(request('q5-b', 'recent', undefined, NOW + REQUEST_RETENTION_MS));
      await store.postRequest(request('q5-b', 'new', undefined, NOW + REQUEST_RETENTION_MS + 2));
      expect(await store.getRequest(asRunId('q5-a'), 'old')).toBeUndefined();
      expect(await store.getRequest(asRunId('q5-a'), 'answered')).toBeUndefined();
      expect(await store.getRequest(asRunId('q5-b'), 'recent')).toBeDefined();
      expect((await store.claimRequests('owner-b')).map((item) => item.id)).toEqual(['recent', 'new']);
      await store.close();
    });

    it('concurrent claimers never get the same request; a withdrawal and a claim never both win', async () => {
      const store = await open();
      await leasedRuns(store, 'q6');
      await raceClaims(store, store, 'q6-a');
      await store.close();
    });

    if (location !== undefined) {
      it('two instances on the same data: concurrent claimers never share a request; withdraw vs claim has one winner', async () => {
        const at = location();
        const first = await at();
        const second = await at();
        await leasedRuns(first, 'q7');
        await raceClaims(first, second, 'q7-a');
        await first.close();
        await second.close();
      });
    }
  });
}

/** 60 requests drained by four claimers at once, then 30 withdraw/claim duels. */
async function raceClaims(first: RunStore, second: RunStore, runId: string): Promise<void> {
  const ids = Array.from({ length: 60 }, (_, index) => `c${index}`);
  for (const [index, id] of ids.entries()) await first.postRequest(request(runId, id, undefined, NOW + index));
  const claims = await Promise.all([drain(first, 'owner-a', 3), drain(second, 'owner-a', 5), drain(first, 'owner-a', 7), drain(second, 'owner-a', 2)]);
  const claimed = claims.flat();
  expect(new Set(claimed).size).toBe(claimed.length);
  expect([...claimed].sort()).toEqual([...ids].sort());
  for (let index = 0; index < 30; index += 1) {
    const id = `d${index}`;
    await first.postRequest(request(runId, id, undefined, NOW + 100 + index));
    const [withdrawn, taken] = await Promise.all([first.withdrawRequest(asRunId(runId), id), second.claimRequests('owner-a')]);
    const wasClaimed = taken.some((item) => item.id === id);
    expect(withdrawn !== wasClaimed).toBe(true);
    const state = await second.getRequest(asRunId(runId), id);
    if (withdrawn) expect(state?.outcome).toEqual({ status: 'withdrawn' });
    else expect(state).toMatchObject({ claimedBy: 'owner-a' });
  }
}
