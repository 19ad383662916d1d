/**
 * One attempt of an agent task (`TaskSpec.agent`): the orchestrator is the loop's
 * {@link @runtime/contracts#AgentHost}; the runner (`OrchestratorOptions.agents.runner`) owns the loop.
 *
 * @remarks
 * - `callModel`: each step goes the way of a plain task's call — policy admission, the step's worst
 *   case reserved (id `<attempt's reservation id>/s<step>`; nested loops `…/s<step>.d<depth>.n<k>`) and journaled as the task's hold before
 *   the call, the answer billed once (`billOnce`), `budget.*` events, the task's usage and cost
 *   accumulating every step. A refused reservation throws `BUDGET_EXCEEDED` before the call.
 * - `emit`: each agent event is one fenced journal commit, in order.
 * - `history`: the task's journaled `agent.step` / `tool.*` events, so a resumed loop continues from
 *   its last completed step without repeating completed tool calls.
 * - `awaitInput`: the task goes to `waiting` (reason `input`, details: the request) with
 *   `task.input_required`; {@link answerInput} (the orchestrator's `provideInput`) journals the reply
 *   as a `task.waiting` event whose details carry `response`, then the loop continues. A resumed loop
 *   asking the same question (same step and call) gets that journaled reply. Questions are asked one
 *   at a time per task (a step's calls run in parallel). The waiting task gives its parallelism
 *   slot back while a human takes their time ({@link RunLoop.giveSlot}); once answered it waits for a
 *   free slot (first answered, first served) before it goes on. The run neither ends nor declares a
 *   deadlock while a task waits. An approval's `message` is journaled with the reply.
 * - `compact`: the run's compactor fits the conversation into the model's prompt limit (a
 *   `summarize` policy compacts agent conversations by `truncate`: a summary call per step is not
 *   billed through the step's reservation).
 * - `admitTool`: each tool call, right before it runs, is checked by the policy enforcer as the run
 *   tenant's (`kind: 'tool'`: the tier's tool allowlist, tool calls per run, depth) — a refusal
 *   throws `POLICY_VIOLATION` — and a priced tool (`Tool.costUsd`) has exactly its price reserved
 *   (id `<attempt's reservation id>/s<step>/tool.<callId>`, nested loops add `.d<depth>.n<k>`),
 *   journaled as the task's hold: a price that does not fit throws `BUDGET_EXCEEDED` before the tool
 *   runs, so a tool never overspends. `end(true)` charges the price once (task cost, usage tracker,
 *   `budget.settled`), `end(false)` releases it (`budget.released`).
 * - The run's tool-call count (shared by all its agent loops) starts from the journaled
 *   `tool.called` events of every task and depth, so a resumed run keeps `maxToolCallsPerRun`.
 */
import {
  EMPTY_USAGE,
  ExecutionError,
  RunStateError,
  ValidationError,
  ZERO_MONEY,
  DEFAULT_AGENT_MAX_STEPS,
  addUsage,
  asReservationId,
  moneyToUsd,
  usd,
  type AgentEventInput,
  type AgentHost,
  type AgentInputRequest,
  type AgentInputResponse,
  type AgentLimits,
  type AgentModelAnswer,
  type AgentToolPermit,
  type AgentToolRequest,
  type LlmCallOptions,
  type LlmRequest,
  type LlmResult,
  type Message,
  type Money,
  type Reservation,
  type ReservationId,
  type RuntimeEvent,
  type RuntimeEventInput,
  type TaskId,
  type ToolCallTally,
} from '@runtime/contracts';
import { chargeOnce, type Bill } from './bill-once.js';
import { reservationIdOf, reserveWorstCase, StoppedWhileWaiting } from './budget-admission.js';
import { paidFailure } from './paid-failure.js';
import type { RunLoop } from './run-loop.js';
import { abortReason, admit, admitChecked, billAnswered, commitCompleted, compactedEvent, outputCap, prepare, promptLimit, recordBill } from './task-attempt.js';
import { taskRecord, type TaskRuntime } from './task-runtime.js';
import { toError } from './to-error.js';
import { usageViewUsd } from './views.js';

/** Thrown to an attempt waiting for input when its run stopped (the run's outcome is decided). */
class StoppedWhileAsking extends Error {}

/** A task of a live loop waiting for a human. */
interface PendingInput {
  readonly request: AgentInputRequest;
  readonly resolve: (response: AgentInputResponse) => void;
}

/** Per live loop: the tasks waiting for input, and the run's tool-call count (shared by its loops). */
interface AgentState {
  readonly pending: Map<TaskId, PendingInput>;
  /**
   * Every open hold of the loop's agent attempts (steps and priced tools, nested loops too): a task
   * names one hold only (`reservationId`), but its parallel tool calls and a tool's nested loop hold
   * several at once, and each must be renewed while it is open.
   */
  readonly holds: Set<ReservationId>;
  readonly tally: ToolCallTally;
  /** The tally counted the journaled calls of earlier loops of the run (once per loop). */
  counted?: Promise<void>;
}

const states = new WeakMap<RunLoop, AgentState>();

function stateOf(loop: RunLoop): AgentState {
  let state = states.get(loop);
  if (state === undefined) {
    let count = 0;
    const tally: ToolCallTally = {
      get count() {
        return count;
      },
      add(calls: number) {
        count += calls;
      },
    };
    state = { pending: new Map(), holds: new Set(), tally };
    states.set(loop, state);
  }
  return state;
}

const AGENT_EVENT_TYPES: ReadonlySet<string> = new Set(['agent.step', 'tool.called', 'tool.completed', 'tool.failed']);
const PAGE = 1000;

interface Journaled {
  readonly history: AgentEventInput[];
  /** Replies journaled by `provideInput`, by question key. */
  readonly replies: Map<string, AgentInputResponse>;
}

/**
 * What identifies a question: its step, kind and call, and what it asks — the tool and its exact
 * arguments. A nested loop re-run from scratch after a crash can ask the same call id with other
 * arguments; a reply recorded for the old arguments must not approve the new call.
 */
function questionKey(request: AgentInputRequest): string {
  return [request.step, request.kind, request.callId ?? '', request.tool ?? '', request.arguments ?? '', request.prompt ?? ''].join('\u0000');
}

function stripEnvelope(event: RuntimeEvent): RuntimeEventInput {
  const { runId: _runId, seq: _seq, at: _at, ...input } = event;
  return input;
}

/**
 * The run's tool-call count, with the calls journaled before this loop (a resumed run) counted
 * once, before any agent loop of this process adds to it.
 */
async function countedTally(loop: RunLoop): Promise<ToolCallTally> {
  const state = stateOf(loop);
  state.counted ??= countJournaledCalls(loop).then((calls) => state.tally.add(calls));
  await state.counted;
  return state.tally;
}

/** `tool.called` events of every task and depth in the run's journal. */
async function countJournaledCalls(loop: RunLoop): Promise<number> {
  let calls = 0;
  for (let after = 0; ; ) {
    const page = await loop.options.store.readEvents(loop.id, after, PAGE);
    for (const event of page) if (event.type === 'tool.called') calls += 1;
    if (page.length < PAGE) return calls;
    after = (page[page.length - 1] as RuntimeEvent).seq;
  }
}

/** The task's journaled agent events and input replies, from the store (resume). */
async function readJournaled(loop: RunLoop, task: TaskRuntime): Promise<Journaled> {
  const history: AgentEventInput[] = [];
  const replies = new Map<string, AgentInputResponse>();
  if (task.attempts === 0) return { history, replies };
  for (let after = 0; ; ) {
    const page = await loop.options.store.readEvents(loop.id, after, PAGE);
    for (const event of page) {
      if (!('taskId' in event) || event.taskId !== task.id) continue;
      if (AGENT_EVENT_TYPES.has(event.type)) history.push(stripEnvelope(event) as AgentEventInput);
      else if (event.type === 'task.waiting' && event.reason === 'input') {
        const { request, response } = event.details as { request?: AgentInputRequest; response?: AgentInputResponse };
        if (request !== undefined && response !== undefined) replies.set(questionKey(request), response);
      }
    }
    if (page.length < PAGE) break;
    after = (page[page.length - 1] as RuntimeEvent).seq;
  }
  return { history, replies };
}

/** The limits of a task's loop: the tier's, the task's `maxSteps` first. */
function limitsOf(loop: RunLoop, task: TaskRuntime): AgentLimits {
  const configured = loop.options.agents?.limits ?? {};
  return { ...configured, maxSteps: task.spec.agent?.maxSteps ?? configured.maxSteps ?? DEFAULT_AGENT_MAX_STEPS };
}

/**
 * Answers a task of a live loop waiting for input: checks the reply's kind, journals it (so it
 * survives a restart), then lets the loop go on.
 */
export async function answerInput(loop: RunLoop, taskId: TaskId, response: AgentInputResponse): Promise<void> {
  const task = loop.tasks.get(taskId);
  if (task === undefined) {
    throw new ValidationError({ code: 'VALIDATION_FAILED', message: `Run "${loop.id}" has no task "${taskId}".`, details: { runId: loop.id, task: taskId } });
  }
  const pending = stateOf(loop).pending.get(taskId);
  if (pending === undefined) {
    throw new RunStateError({
      code: 'RUN_NOT_RUNNING',
      message: `Task "${taskId}" is ${task.state} and does not wait for input.`,
      details: { runId: loop.id, task: taskId, state: task.state, ...(task.waiting === undefined ? {} : { waiting: task.waiting.reason }) },
    });
  }
  checkReplyText(taskId, response);
  const decision = (response as { decision?: unknown }).decision;
  const fits =
    pending.request.kind === 'approval'
      ? decision === 'approve' || decision === 'reject'
      : decision === 'answer' && typeof (response as { text?: unknown }).text === 'string';
  if (!fits) {
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message:
        pending.request.kind === 'approval'
          ? `Task "${taskId}" waits for an approval: answer with decision "approve" or "reject".`
          : `Task "${taskId}" waits for an answer: answer with decision "answer" and a text.`,
      details: { task: taskId, kind: pending.request.kind, decision: typeof decision === 'string' ? decision : null },
    });
  }
  stateOf(loop).pending.delete(taskId);
  task.state = 'running';
  task.waiting = undefined;
  await loop.journal.commit(undefined, [taskRecord(loop.id, task)], [
    { type: 'task.waiting', taskId, reason: 'input', details: { request: pending.request, response } },
  ]);
  pending.resolve(response);
}

/** An approval's `message` and a rejection's `reason` are text when given. */
function checkReplyText(taskId: TaskId, response: AgentInputResponse): void {
  for (const field of ['message', 'reason'] as const) {
    const value = (response as Partial<Record<typeof field, unknown>>)[field];
    if (value !== undefined && typeof value !== 'string') {
      throw new ValidationError({
        code: 'VALIDATION_FAILED',
        message: `The reply to task "${taskId}" has a ${field} that is not text.`,
        details: { task: taskId, field, type: typeof value },
      });
    }
  }
}

/** The open holds of the loop's agent attempts, for the lease keeper to renew with the tasks' own. */
export function openAgentHolds(loop: RunLoop): Iterable<ReservationId> {
  return states.get(loop)?.holds ?? [];
}

/** `reservation` is open: the task names it and the lease keeper renews it until {@link clearHold}. */
function nameHold(loop: RunLoop, task: TaskRuntime, reservation: Reservation): void {
  stateOf(loop).holds.add(reservation.id);
  task.reservationId = reservation.id;
  task.reserved = reservation.amount;
}

/** The task no longer names `reservation` as its open hold (unless a concurrent hold replaced it). */
function clearHold(loop: RunLoop, task: TaskRuntime, reservation: Reservation): void {
  stateOf(loop).holds.delete(reservation.id);
  if (task.reservationId !== undefined && task.reservationId !== reservation.id) return;
  task.reservationId = undefined;
  task.reserved = ZERO_MONEY;
}

/** Releases an open hold (a step never answered, a priced tool that did not run); journals the release. */
async function releaseStep(loop: RunLoop, task: TaskRuntime, reservation: Reservation): Promise<void> {
  await releaseUnjournaled(loop, task, reservation);
  await loop.journal.commit(undefined, [taskRecord(loop.id, task)], [
    { type: 'budget.released', taskId: task.id, reservationId: reservation.id, amountUsd: moneyToUsd(reservation.amount) },
  ]);
}

/** Charges an answered step once, into the task's usage and cost, and journals it. */
async function settleStep(loop: RunLoop, task: TaskRuntime, reservation: Reservation, result: LlmResult, permitId: string | undefined): Promise<Bill> {
  const bill = await billAnswered(loop, task, reservation, result);
  if (permitId !== undefined) {
    try {
      await loop.options.policy?.settle(permitId, bill.usage.inputTokens + bill.usage.outputTokens);
    } catch (settleError) {
      loop.options.onBackgroundError?.(settleError);
    }
  }
  task.usage = addUsage(task.usage, bill.usage);
  task.cost = (task.cost + bill.cost) as Money;
  clearHold(loop, task, reservation);
  loop.budgetFreed();
  const reservedUsd = moneyToUsd(reservation.amount);
  const events: RuntimeEventInput[] = [
    { type: 'budget.settled', taskId: task.id, reservationId: bill.settlement.id, costUsd: moneyToUsd(bill.settlement.actual), reservedUsd },
  ];
  if (bill.settlement.actual > reservation.amount) {
    events.push({ type: 'budget.overrun', taskId: task.id, reservationId: bill.settlement.id, reservedUsd, actualUsd: moneyToUsd(bill.settlement.actual) });
  }
  await loop.journal.commit(undefined, [taskRecord(loop.id, task)], events);
  recordBill(loop, task, bill); // once journaled (a resume recovers it otherwise)
  return bill;
}

/** The permit of a free tool: nothing held, nothing to settle. */
const FREE_TOOL: AgentToolPermit = { end: () => Promise.resolve() };

/** Whether the task is shown as waiting for a human (one of its calls asked). */
function waitsForInput(task: TaskRuntime): boolean {
  return task.state === 'waiting' && task.waiting?.reason === 'input';
}

/** Back to `running` after an admission that waited (rate limit, budget); a wait for a human stays. */
async function resumeRunning(loop: RunLoop, task: TaskRuntime): Promise<void> {
  if (task.state !== 'waiting' || waitsForInput(task)) return;
  task.state = 'running';
  task.waiting = undefined;
  await loop.journal.commit(undefined, [taskRecord(loop.id, task)], []);
}

/** Charges a priced tool that ran: its price once, into the task's cost and the usage tracker. */
async function chargeTool(loop: RunLoop, task: TaskRuntime, hold: Reservation, tool: string): Promise<void> {
  const price = hold.amount;
  let settledId: string = hold.id;
  try {
    settledId = (await chargeOnce(loop, hold, price, undefined)).id;
  } catch (error) {
    // The ledger refused for good: the tool ran and was paid for, its price still counts.
    loop.options.onBackgroundError?.(error);
  }
  task.cost = (task.cost + price) as Money;
  clearHold(loop, task, hold);
  loop.budgetFreed();
  const priceUsd = moneyToUsd(price);
  await loop.journal.commit(undefined, [taskRecord(loop.id, task)], [
    { type: 'budget.settled', taskId: task.id, reservationId: settledId, costUsd: priceUsd, reservedUsd: priceUsd },
  ]);
  // Once journaled (a resume recovers it from the ledger otherwise), as a model call's bill.
  loop.options.usage?.record({ runId: loop.id, taskId: task.id, tool, usage: EMPTY_USAGE, cost: price });
}

/**
 * The tool admissions of one attempt still in progress and the permits not ended yet. A runner
 * stopped by an abort does not wait for an admission in flight (it ends a late permit on its own
 * time): the attempt drains them before it ends, so every hold is settled or released (and
 * journaled) before the task's end and the run's end.
 */
class AttemptTools {
  readonly #work = new Set<Promise<unknown>>();
  readonly #open = new Set<AgentToolPermit>();

  /** Counts `work` until it settles. */
  track<T>(work: Promise<T>): Promise<T> {
    this.#work.add(work);
    const done = (): void => {
      this.#work.delete(work);
    };
    work.then(done, done);
    return work;
  }

  opened(permit: AgentToolPermit): void {
    this.#open.add(permit);
  }

  closed(permit: AgentToolPermit): void {
    this.#open.delete(permit);
  }

  /**
   * Waits for the admissions and ends in progress, then gives back every hold never ended — each
   * one, also when another's release could not be journaled (the first such error is rethrown).
   */
  async drain(): Promise<void> {
    while (this.#work.size > 0) await Promise.allSettled([...this.#work]);
    const ends = await Promise.allSettled([...this.#open].map((permit) => permit.end(false)));
    const failed = ends.find((end): end is PromiseRejectedResult => end.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }
}

/** Gives a hold back in the ledger only (its reservation was never journaled, or the caller journals the release). */
async function releaseUnjournaled(loop: RunLoop, task: TaskRuntime, hold: Reservation): Promise<void> {
  clearHold(loop, task, hold);
  try {
    await loop.options.ledger.release(hold.id);
  } catch (releaseError) {
    loop.options.onBackgroundError?.(releaseError); // the lease returns the amount later
  }
  loop.budgetFreed();
}

/**
 * Reserves a priced tool's price before it runs (waiting, like a step, while only other tasks'
 * holds keep it from fitting), journaled as the task's hold; the permit charges or releases it once.
 * @throws {@link BudgetError} `BUDGET_EXCEEDED` when the price does not fit.
 */
async function holdToolPrice(loop: RunLoop, task: TaskRuntime, attempt: number, request: AgentToolRequest, id: string, signal: AbortSignal, tools: AttemptTools): Promise<AgentToolPermit> {
  if (loop.controller.signal.aborted) throw abortReason(loop);
  const hold = await reserveWorstCase(loop, task, attempt, usd(request.costUsd), signal, asReservationId(id));
  if (task.state === 'waiting' && task.waiting?.reason === 'budget') {
    task.state = 'running';
    task.waiting = undefined;
  }
  nameHold(loop, task, hold);
  try {
    await loop.journal.commit(undefined, [taskRecord(loop.id, task)], [
      { type: 'budget.reserved', taskId: task.id, reservationId: hold.id, amountUsd: moneyToUsd(hold.amount) },
    ]);
  } catch (error) {
    await releaseUnjournaled(loop, task, hold);
    throw error;
  }
  let ended = false;
  const permit: AgentToolPermit = {
    end(charged: boolean): Promise<void> {
      if (ended) return Promise.resolve();
      ended = true;
      tools.closed(permit);
      return tools.track(charged ? chargeTool(loop, task, hold, request.tool) : releaseStep(loop, task, hold));
    },
  };
  tools.opened(permit);
  return permit;
}

function host(loop: RunLoop, task: TaskRuntime, attempt: number, signal: AbortSignal, journaled: Journaled, tools: AttemptTools): AgentHost {
  const options = loop.options;
  const cap = outputCap(loop, task);
  const attemptId = reservationIdOf(loop, task, attempt);
  const taskTimeoutMs = loop.record.spec.policy?.taskTimeoutMs;
  // Nested loops (a tool starting a sub-agent) number their steps from 1 too: their holds add the
  // depth and a per-attempt count, so no id is used twice (a closed id cannot be reserved again).
  let nested = 0;
  const holdId = (call: { readonly step: number; readonly depth: number }): string =>
    call.depth === 0 ? `${attemptId}/s${call.step}` : `${attemptId}/s${call.step}.d${call.depth}.n${(nested += 1)}`;
  const toolHoldId = (request: AgentToolRequest): string =>
    `${attemptId}/s${request.step}/tool.${request.callId}${request.depth === 0 ? '' : `.d${request.depth}.n${(nested += 1)}`}`;
  // Questions of the task's loop (and its nested loops), asked one at a time.
  let asking: Promise<void> = Promise.resolve();
  const ask = async (request: AgentInputRequest): Promise<AgentInputResponse> => {
    const recorded = journaled.replies.get(questionKey(request));
    if (recorded !== undefined) return recorded;
    if (signal.aborted) throw abortReason(loop);
    if (loop.stopping !== undefined) throw new StoppedWhileAsking();
    const reply = new Promise<AgentInputResponse>((resolve, reject) => {
      // A run stopped without an abort (another task's budget refusal) does not wait for a human.
      const stopListening = loop.onStop(() => {
        signal.removeEventListener('abort', onAbort);
        stateOf(loop).pending.delete(task.id);
        reject(new StoppedWhileAsking());
      });
      function onAbort(): void {
        stopListening();
        stateOf(loop).pending.delete(task.id);
        reject(toError(signal.reason ?? abortReason(loop)));
      }
      signal.addEventListener('abort', onAbort, { once: true });
      stateOf(loop).pending.set(task.id, {
        request,
        resolve: (response) => {
          signal.removeEventListener('abort', onAbort);
          stopListening();
          resolve(response);
        },
      });
    });
    // An abort while the question is journaled rejects `reply` before it is awaited: handled here,
    // so it is not an unhandled rejection (the await below still sees it).
    reply.catch(() => undefined);
    const details = { request };
    task.state = 'waiting';
    task.waiting = { reason: 'input', details };
    await loop.journal.commit(undefined, [taskRecord(loop.id, task)], [
      {
        type: 'task.input_required',
        taskId: task.id,
        kind: request.kind,
        ...(request.callId === undefined ? {} : { callId: request.callId }),
        ...(request.tool === undefined ? {} : { tool: request.tool }),
        ...(request.arguments === undefined ? {} : { arguments: request.arguments }),
        ...(request.prompt === undefined ? {} : { prompt: request.prompt }),
      },
      { type: 'task.waiting', taskId: task.id, reason: 'input', details },
    ]);
    // A human may take days: the slot goes to other ready tasks meanwhile.
    loop.giveSlot();
    let response: AgentInputResponse;
    try {
      response = await reply;
    } catch (error) {
      await loop.takeSlot(signal).catch(() => undefined); // aborted: taken back at once
      throw error;
    }
    await loop.takeSlot(signal);
    return response;
  };
  /** The tenant tier's check of one tool call, then its price held when it has one. */
  const admitOne = async (request: AgentToolRequest): Promise<AgentToolPermit> => {
    const callSignal = request.signal ?? signal;
    const permitId = await admitChecked(
      loop,
      task,
      { kind: 'tool', tenant: loop.record.tenant, runId: loop.id, taskId: task.id, depth: request.depth, tool: request.tool, toolCalls: request.toolCallsBefore },
      callSignal,
      { tool: request.tool, step: request.step, callId: request.callId, depth: request.depth },
    );
    // Tool checks take no rate capacity; a permit an enforcer gave anyway goes back at once.
    if (permitId !== undefined) await options.policy?.settle(permitId, 0).catch((settleError: unknown) => options.onBackgroundError?.(settleError));
    await resumeRunning(loop, task);
    if (!(request.costUsd > 0)) return FREE_TOOL;
    return holdToolPrice(loop, task, attempt, request, toolHoldId(request), callSignal, tools);
  };
  return {
    history: journaled.history,
    async callModel(request: LlmRequest, call): Promise<AgentModelAnswer> {
      const inputTokens = options.estimator.countMessages(request.messages, task.model.id, request.tools);
      const permitId = options.policy === undefined ? undefined : await admit(loop, task, inputTokens, cap, signal, call.depth);
      const worstCase = options.costs.worstCase(task.model.id, inputTokens, cap);
      let reservation: Reservation;
      try {
        if (loop.controller.signal.aborted) throw abortReason(loop);
        // The same admission as a task's call: waits (state `waiting`, reason `budget`) while only
        // other tasks' open reservations keep the step's worst case from fitting.
        reservation = await reserveWorstCase(loop, task, attempt, worstCase, signal, asReservationId(holdId(call)));
      } catch (error) {
        // The call never happens: the permit goes back (an abort right after admission too).
        if (permitId !== undefined) await options.policy?.settle(permitId, 0).catch((settleError: unknown) => options.onBackgroundError?.(settleError));
        throw error;
      }
      // The hold is journaled before the call: a crash leaves it named, and the resume finds its charge.
      // A sibling call's question keeps the task shown as waiting for input (a nested loop goes on meanwhile).
      if (!waitsForInput(task)) {
        task.state = 'running';
        task.waiting = undefined;
      }
      nameHold(loop, task, reservation);
      await loop.journal.commit(undefined, [taskRecord(loop.id, task)], [
        { type: 'budget.reserved', taskId: task.id, reservationId: reservation.id, amountUsd: moneyToUsd(reservation.amount) },
      ]);
      let answered: LlmResult | undefined;
      let result: LlmResult;
      try {
        result = await loop.executor.execute(
          (callSignal) => {
            const callOptions: LlmCallOptions = { signal: callSignal, context: { runId: loop.id, taskId: task.id, attempt } };
            return options.llm.complete({ ...request, providerModel: task.model.providerModel, maxOutputTokens: cap }, callOptions).then((answer) => {
              answered = answer;
              return answer;
            });
          },
          { signal, ...(taskTimeoutMs === undefined ? {} : { timeoutMs: taskTimeoutMs }) },
        );
      } catch (error) {
        // Answered as the call was abandoned, or failed after output: paid for, charged once.
        const paid = answered ?? paidFailure(error);
        if (paid !== undefined) await settleStep(loop, task, reservation, paid, permitId);
        else {
          if (permitId !== undefined) await options.policy?.settle(permitId, 0).catch((settleError: unknown) => options.onBackgroundError?.(settleError));
          await releaseStep(loop, task, reservation);
        }
        throw error;
      }
      const bill = await settleStep(loop, task, reservation, result, permitId);
      return { result, usage: bill.usage, costUsd: moneyToUsd(bill.cost) };
    },
    emit(event: AgentEventInput): Promise<void> {
      // Nested loops' events (with depth / parentCallId) are journaled as they come; a priced
      // tool's price was settled through its permit before its `tool.completed`.
      return loop.journal.commit(undefined, [], [event]);
    },
    admitTool(request: AgentToolRequest): Promise<AgentToolPermit> {
      return tools.track(admitOne(request));
    },
    awaitInput(request: AgentInputRequest): Promise<AgentInputResponse> {
      // One question at a time per task (a step's calls run in parallel): the next is asked once
      // the one before is answered, so none is overwritten while it waits.
      const turn = asking.then(() => ask(request));
      asking = turn.then(
        () => undefined,
        () => undefined,
      );
      return turn;
    },
    async compact({ messages, tools: offered }): Promise<readonly Message[]> {
      const limit = promptLimit(task.model, cap);
      const context = loop.record.spec.policy?.context;
      const maxTokens = context?.maxTokens === undefined ? limit : Math.min(context.maxTokens, limit);
      const tokens = options.estimator.countMessages(messages, task.model.id, offered);
      if (tokens <= maxTokens) return messages;
      const strategy = context?.strategy === undefined || context.strategy === 'summarize' ? 'truncate' : context.strategy;
      const compacted = await options.compactor.compact(
        { messages, tools: offered, model: task.model.id, maxTokens, strategy, ...(context?.keepLastN === undefined ? {} : { keepLastN: context.keepLastN }) },
        { signal, context: { runId: loop.id, taskId: task.id, attempt } },
      );
      await loop.journal.commit(undefined, [], [compactedEvent(task, compacted.report)]);
      return compacted.messages;
    },
  };
}

/** `run`'s outcome once the attempt's tool holds are all settled or released. */
async function drained<T>(tools: AttemptTools, run: Promise<T>): Promise<T> {
  try {
    return await run;
  } finally {
    await tools.drain();
  }
}

/**
 * Runs one attempt of an agent task to a terminal state (completed with the final answer as its
 * output, or failed with the loop's error). Never rejects except when the journal itself fails.
 */
export async function runAgentAttempt(loop: RunLoop, task: TaskRuntime, signal: AbortSignal): Promise<void> {
  const agents = loop.options.agents;
  const agent = task.spec.agent;
  const attempt = task.attempts + 1;
  try {
    if (agents === undefined || agent === undefined) {
      // Refused at submission; reached only by a run journaled under a configuration that had them.
      throw new ValidationError({
        code: 'VALIDATION_FAILED',
        message: `Task "${task.id}" is an agent task, but this runtime has no agent runner configured.`,
        details: { task: task.id, field: 'agent' },
      });
    }
    const journaled = await readJournaled(loop, task);
    const preparing = prepare(loop, task, attempt, signal);
    const prepared = preparing instanceof Promise ? await preparing : preparing;
    if (loop.controller.signal.aborted) throw abortReason(loop);
    task.state = 'running';
    task.waiting = undefined;
    task.attempts = attempt;
    task.startedAt ??= loop.journal.now();
    await loop.journal.commit(undefined, [taskRecord(loop.id, task)], [
      ...prepared.events,
      { type: 'task.started', taskId: task.id, attempt, model: task.model.id },
    ]);
    const tools = new AttemptTools();
    const result = await drained(tools, agents.runner.run({
      runId: loop.id,
      taskId: task.id,
      attempt,
      model: task.model.id,
      maxOutputTokens: outputCap(loop, task),
      messages: prepared.messages,
      tools: agent.tools,
      toolChoice: agent.toolChoice ?? 'auto',
      limits: limitsOf(loop, task),
      toolCalls: await countedTally(loop),
      host: host(loop, task, attempt, signal, journaled, tools),
      signal,
    }));
    task.state = 'completed';
    task.output = result.output;
    task.routed = undefined;
    task.waiting = undefined;
    task.endedAt = loop.journal.now();
    const costUsd = moneyToUsd(task.cost);
    const events: RuntimeEventInput[] = [
      {
        type: 'task.completed',
        taskId: task.id,
        attempt,
        usage: usageViewUsd(task.usage, costUsd),
        costUsd,
      },
    ];
    await commitCompleted(loop, task, events);
  } catch (error) {
    stateOf(loop).pending.delete(task.id);
    if (loop.scheduler.state(task.id) !== 'running') throw error; // a bug after completion: surface it
    task.waiting = undefined;
    if (task.attempts < attempt) task.attempts = attempt;
    const failure =
      error instanceof StoppedWhileWaiting || (error instanceof StoppedWhileAsking && !signal.aborted)
        ? new ExecutionError({
            code: 'RUN_ABORTED',
            message: `The run stopped while agent task "${task.id}" waited for ${error instanceof StoppedWhileAsking ? 'input' : 'budget'}.`,
            details: { reason: 'runStopped', task: task.id },
          })
        : signal.aborted && !(error instanceof ExecutionError) && loop.controller.signal.aborted
          ? abortReason(loop)
          : error;
    await loop.failTask(task, failure, attempt, []);
  }
}
