/**
 * Small fakes of the collaborators of the orchestrator, written against the contracts only (the
 * dependency rule forbids importing the real cost/context packages here). Integration tests with
 * the real implementations live in @runtime/stack.
 */
import {
  BudgetError,
  ContextError,
  ModelError,
  asModelId,
  asReservationId,
  moneyToUsd,
  type BudgetLedger,
  type BudgetSnapshot,
  type ContextBuilder,
  type ContextCompactor,
  type ContextRouter,
  type CostCalculator,
  type Message,
  type SettleOptions,
  type ModelCatalog,
  type ModelInfo,
  type Money,
  type Reservation,
  type ReservationId,
  type ReserveOptions,
  type Settlement,
  type TokenEstimator,
} from '@runtime/contracts';

export function model(id: string, role: ModelInfo['role'], maxInputTokens = 8000, maxOutputTokens = 1000): ModelInfo {
  return {
    id: asModelId(id),
    provider: 'scripted',
    providerModel: id,
    role,
    maxInputTokens,
    maxOutputTokens,
    pricing: { inputPerMTok: 1, outputPerMTok: 2 },
  };
}

export function fakeCatalog(models: readonly ModelInfo[] = [model('fast', 'fast'), model('balanced', 'balanced'), model('flagship', 'flagship')]): ModelCatalog {
  const byId = new Map(models.map((entry) => [entry.id as string, entry]));
  const first = models[0] as ModelInfo;
  const forRole = (role: ModelInfo['role']): ModelInfo => models.find((entry) => entry.role === role) ?? first;
  return {
    get(id) {
      const found = byId.get(id);
      if (found === undefined) throw new ModelError({ code: 'UNKNOWN_MODEL', message: `Unknown model ${id}`, details: { model: id, known: [...byId.keys()] } });
      return found;
    },
    find: (id) => byId.get(id),
    list: () => models,
    forRole,
    forTier: (tier) => forRole(tier === 1 ? 'fast' : tier === 2 ? 'balanced' : 'flagship'),
    defaultModel: () => first,
  };
}

export function fakeEstimator(): TokenEstimator {
  const countText = (text: string): number => (text.length === 0 ? 0 : Math.ceil(text.length / 4));
  const countMessage = (message: Message): number => 3 + countText(message.content) + (message.name === undefined ? 0 : 1);
  return {
    countText,
    countMessage,
    countTools: () => 0,
    countMessages: (messages) => messages.reduce((sum, message) => sum + countMessage(message), 3),
    isExact: () => false,
  };
}

/** Femto-dollars per token: 1 USD/MTok = 1e9 femto per token. */
const PER_TOKEN_IN = 1_000_000_000n;
const PER_TOKEN_OUT = 2_000_000_000n;

export function fakeCosts(): CostCalculator {
  const cost = (_model: string, usage: { inputTokens: number; outputTokens: number }): Money =>
    (BigInt(usage.inputTokens) * PER_TOKEN_IN + BigInt(usage.outputTokens) * PER_TOKEN_OUT) as Money;
  return {
    cost,
    breakdown: (modelId, usage) => {
      const total = cost(modelId, usage);
      const zero = 0n as Money;
      return { input: total, cacheRead: zero, cacheWrite: zero, output: zero, reasoning: zero, total };
    },
    worstCase: (modelId, inputTokens, maxOutputTokens) => cost(modelId, { inputTokens, outputTokens: maxOutputTokens }),
  };
}

interface Scope {
  limit: Money | null;
  spent: bigint;
  reserved: bigint;
}

interface OpenReservation {
  reservation: Reservation;
  state: 'open' | 'settled' | 'released';
  settlement?: Settlement;
}

export interface FakeLedger extends BudgetLedger {
  readonly open: () => number;
}

export function fakeLedger(): FakeLedger {
  const scopes = new Map<string, Scope>();
  const reservations = new Map<string, OpenReservation>();
  let next = 0;
  const scopeOf = (name: string): Scope => {
    const scope = scopes.get(name);
    if (scope === undefined) throw new BudgetError({ code: 'UNKNOWN_SCOPE', message: `Unknown scope ${name}`, details: { scope: name } });
    return scope;
  };
  const free = (entry: OpenReservation): void => {
    for (const name of entry.reservation.scopes) scopeOf(name).reserved -= entry.reservation.amount;
  };
  return {
    open: () => [...reservations.values()].filter((entry) => entry.state === 'open').length,
    setLimit(scope, limit) {
      const existing = scopes.get(scope);
      if (existing === undefined) scopes.set(scope, { limit, spent: 0n, reserved: 0n });
      else existing.limit = limit;
      return Promise.resolve();
    },
    reserve(names, amount, options: ReserveOptions = {}) {
      const id = options.id ?? asReservationId(`r${++next}`);
      const existing = reservations.get(id);
      if (existing !== undefined) return Promise.resolve(existing.reservation);
      try {
        for (const name of names) {
          const scope = scopeOf(name);
          if (scope.limit !== null && scope.spent + scope.reserved + amount > scope.limit) {
            throw new BudgetError({
              code: 'BUDGET_EXCEEDED',
              message: `Scope ${name} cannot fit the request.`,
              details: {
                scope: name,
                limitUsd: moneyToUsd(scope.limit),
                spentUsd: moneyToUsd(scope.spent as Money),
                reservedUsd: moneyToUsd(scope.reserved as Money),
                requestedUsd: moneyToUsd(amount),
              },
            });
          }
        }
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      for (const name of names) scopeOf(name).reserved += amount;
      const reservation: Reservation = {
        id,
        scopes: [...names],
        amount,
        expiresAt: Date.now() + (options.leaseMs ?? 600_000),
        ...(options.holder === undefined ? {} : { holder: options.holder }),
      };
      reservations.set(id, { reservation, state: 'open' });
      return Promise.resolve(reservation);
    },
    settle(id: ReservationId, actual: Money, settleOptions?: SettleOptions) {
      const entry = reservations.get(id);
      if (entry === undefined) return Promise.reject(new BudgetError({ code: 'RESERVATION_NOT_FOUND', message: 'no', details: { id } }));
      if (entry.settlement !== undefined) return Promise.resolve(entry.settlement);
      if (entry.state !== 'open') return Promise.reject(new BudgetError({ code: 'RESERVATION_CLOSED', message: 'closed', details: { id } }));
      free(entry);
      for (const name of entry.reservation.scopes) scopeOf(name).spent += actual;
      entry.state = 'settled';
      entry.settlement = { id, reserved: entry.reservation.amount, actual, ...(settleOptions?.usage === undefined ? {} : { usage: settleOptions.usage }) };
      return Promise.resolve(entry.settlement);
    },
    renew(id: ReservationId, leaseMs?: number) {
      const entry = reservations.get(id);
      if (entry === undefined) return Promise.reject(new BudgetError({ code: 'RESERVATION_NOT_FOUND', message: 'no', details: { id } }));
      if (entry.state !== 'open') return Promise.reject(new BudgetError({ code: 'RESERVATION_CLOSED', message: 'closed', details: { id, state: entry.state } }));
      entry.reservation = { ...entry.reservation, expiresAt: Date.now() + (leaseMs ?? 600_000) };
      return Promise.resolve(entry.reservation);
    },
    lookup(id: ReservationId) {
      const entry = reservations.get(id);
      if (entry === undefined) return Promise.resolve(undefined);
      return Promise.resolve(
        entry.settlement === undefined
          ? { state: entry.state, reservation: entry.reservation }
          : { state: entry.state, reservation: entry.reservation, settlement: entry.settlement },
      );
    },
    release(id) {
      const entry = reservations.get(id);
      if (entry === undefined) return Promise.reject(new BudgetError({ code: 'RESERVATION_NOT_FOUND', message: 'no', details: { id } }));
      if (entry.state === 'settled') return Promise.reject(new BudgetError({ code: 'RESERVATION_CLOSED', message: 'closed', details: { id } }));
      if (entry.state === 'open') {
        free(entry);
        entry.state = 'released';
      }
      return Promise.resolve();
    },
    releaseHolder(holder) {
      let count = 0;
      for (const entry of reservations.values()) {
        if (entry.state === 'open' && entry.reservation.holder === holder) {
          free(entry);
          entry.state = 'released';
          count += 1;
        }
      }
      return Promise.resolve(count);
    },
    snapshot(name): Promise<BudgetSnapshot> {
      try {
        const scope = scopeOf(name);
        return Promise.resolve({ scope: name, limit: scope.limit, spent: scope.spent as Money, reserved: scope.reserved as Money });
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
  };
}

export function fakeBuilder(estimator: TokenEstimator = fakeEstimator()): ContextBuilder {
  return {
    build(input) {
      const messages: Message[] = [];
      if (input.task.system !== undefined) messages.push({ role: 'system', content: input.task.system });
      for (const entry of input.memory ?? []) messages.push({ role: 'user', content: `[memory ${entry.key}] ${entry.value}` });
      for (const dep of input.dependencies) messages.push({ role: 'user', content: `[output of ${dep.dependencyId}]\n${dep.content}` });
      if (input.task.prompt !== undefined) messages.push({ role: 'user', content: input.task.prompt });
      else for (const message of input.task.messages) messages.push({ ...message });
      return { messages, tools: [], tokens: estimator.countMessages(messages, input.model) };
    },
  };
}

export function fakeCompactor(estimator: TokenEstimator = fakeEstimator()): ContextCompactor {
  return {
    compact(request) {
      const kept = [...request.messages];
      const dropped: number[] = [];
      const tokensBefore = estimator.countMessages(kept, request.model);
      let tokens = tokensBefore;
      let index = 0;
      while (tokens > request.maxTokens && kept.length > 1) {
        const removable = kept.findIndex((message) => message.role !== 'system' && message.pinned !== true);
        if (removable === -1 || removable === kept.length - 1) break;
        kept.splice(removable, 1);
        dropped.push(index++);
        tokens = estimator.countMessages(kept, request.model);
      }
      if (tokens > request.maxTokens) {
        return Promise.reject(
          new ContextError({ code: 'CONTEXT_TOO_LARGE', message: 'too large', details: { maxTokens: request.maxTokens, tokens, minimumTokens: tokens } }),
        );
      }
      return Promise.resolve({
        messages: kept,
        report: { strategy: request.strategy, tokensBefore, tokensAfter: tokens, dropped, summarized: [] },
      });
    },
  };
}

export function fakeRouter(estimator: TokenEstimator = fakeEstimator()): ContextRouter {
  return {
    route(input) {
      return { dependencyId: input.dependencyId, content: input.output, truncated: false, tokens: estimator.countText(input.output, input.model) };
    },
  };
}
