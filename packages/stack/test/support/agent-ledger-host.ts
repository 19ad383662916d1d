/**
 * An agent host for the stack's agent tests: each step's model call goes through a real provider
 * adapter under `withBudget` on a real ledger (worst case reserved before the call, the provider's
 * usage settled after), events journal into an array, and a fake provider server speaks the real
 * OpenAI / Anthropic tool-call wire formats.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withBudget } from '@runtime/cost';
import { moneyToUsd } from '@runtime/contracts';
import type {
  AgentEventInput,
  AgentHost,
  BudgetLedger,
  CostCalculator,
  LlmClient,
  LlmResult,
  LlmStreamChunk,
  RunId,
  TaskId,
  TokenEstimator,
  ToolCallDelta,
} from '@runtime/contracts';

export interface LedgerHostOptions {
  readonly client: LlmClient;
  readonly ledger: BudgetLedger;
  readonly calculator: CostCalculator;
  readonly estimator: TokenEstimator;
  readonly scopes: readonly string[];
  readonly runId: RunId;
  readonly taskId: TaskId;
  /** Call the adapter's `stream` and rebuild the result from its chunks. */
  readonly stream?: boolean;
  readonly history?: readonly AgentEventInput[];
  readonly compact?: AgentHost['compact'];
  /** The process "dies" right after this many events are durable: that emit throws {@link HostCrash}. */
  readonly crashAfter?: number;
}

export class HostCrash extends Error {
  constructor(readonly afterEvents: number) {
    super(`host crashed after event ${afterEvents}`);
  }
}

export interface LedgerHost extends AgentHost {
  readonly journal: AgentEventInput[];
  /** Tool-call fragments the adapter streamed, per step. */
  readonly deltas: ToolCallDelta[][];
}

async function collect(stream: AsyncIterable<LlmStreamChunk>, deltas: ToolCallDelta[]): Promise<LlmResult> {
  let result: LlmResult | undefined;
  for await (const chunk of stream) {
    if (chunk.type === 'tool-call-delta') deltas.push(chunk.delta);
    if (chunk.type === 'done') result = chunk.result;
  }
  if (result === undefined) throw new Error('stream ended without a done chunk');
  return result;
}

export function ledgerHost(options: LedgerHostOptions): LedgerHost {
  const journal: AgentEventInput[] = [];
  const deltas: ToolCallDelta[][] = [];
  const { client } = options;
  return {
    journal,
    deltas,
    ...(options.history === undefined ? {} : { history: options.history }),
    ...(options.compact === undefined ? {} : { compact: options.compact }),
    async callModel(request, call) {
      const budgeted = await withBudget(
        {
          ledger: options.ledger,
          calculator: options.calculator,
          estimator: options.estimator,
          model: request.model,
          scopes: options.scopes,
          messages: request.messages,
          ...(request.tools === undefined ? {} : { tools: request.tools }),
          maxOutputTokens: request.maxOutputTokens,
          usage: (result: LlmResult) => result.usage,
          runId: options.runId,
          taskId: options.taskId,
        },
        () => {
          const callOptions = { ...(call.signal === undefined ? {} : { signal: call.signal }), context: { runId: options.runId, taskId: options.taskId } };
          if (options.stream === true && client.stream !== undefined) {
            const stepDeltas: ToolCallDelta[] = [];
            deltas.push(stepDeltas);
            return collect(client.stream(request, callOptions), stepDeltas);
          }
          return client.complete(request, callOptions);
        },
      );
      return { result: budgeted.result, usage: budgeted.usage, costUsd: moneyToUsd(budgeted.cost) };
    },
    emit(event) {
      journal.push(event);
      if (journal.length === options.crashAfter) return Promise.reject(new HostCrash(journal.length));
      return Promise.resolve();
    },
  };
}

export interface RecordedCall {
  readonly url: string;
  readonly body: Record<string, unknown>;
}

export interface FakeServer {
  readonly url: string;
  readonly calls: RecordedCall[];
  close(): Promise<void>;
}

/** A local HTTP server answering each request with `answer(body, index)`. */
export async function fakeServer(answer: (call: RecordedCall, index: number, response: ServerResponse) => void): Promise<FakeServer> {
  const calls: RecordedCall[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const call = { url: request.url ?? '', body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
      calls.push(call);
      answer(call, calls.length - 1, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

export function json(response: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

export function sse(response: ServerResponse, events: readonly { readonly event?: string; readonly data: unknown }[]): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const { event, data } of events) response.write(`${event === undefined ? '' : `event: ${event}\n`}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  response.end();
}
