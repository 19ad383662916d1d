/**
 * A research agent inside a DAG, offline: task `research` is an agent with two tools — `search_notes`
 * (free) and `read_note` (a priced document API) — whose cited answer is routed to task `brief`, a
 * plain call that condenses it. The model is the deterministic mock provider playing a researcher
 * (search, read the two best notes in parallel, answer with sources), so the run is the same on every
 * machine; swap `clients` for a real provider and the rest does not change.
 *
 * @remarks
 * Everything a real deployment relies on is on: each agent step reserves its worst case before the
 * call and is billed exactly, the priced tool's price is charged to the run, the run has a hard budget
 * (a run that cannot afford the next step fails with `BUDGET_EXCEEDED` before it calls), and every
 * step and tool call is journaled as an event.
 */
import { defineTool } from '@runtime/agent';
import { moneyToUsd, type LlmRequest, type Message, type Run, type RuntimeEvent, type ToolCall } from '@runtime/contracts';
import { createModelCatalog, createTokenEstimator } from '@runtime/cost';
import { createMockLlmClient, type MockStep } from '@runtime/providers';
import { createRuntime, OFFLINE_CATALOG } from '@runtime/stack';
import { z } from 'zod';

/** One note of the research corpus. */
export interface Note {
  readonly id: string;
  readonly title: string;
  readonly text: string;
}

/** The corpus the agent searches: short notes on rate limiting LLM traffic. */
export const NOTES: readonly Note[] = [
  {
    id: 'token-bucket',
    title: 'Token bucket rate limiting',
    text: 'A token bucket absorbs bursts up to its capacity and refills at a steady rate, which suits bursty LLM traffic. It is cheap to run in Redis with one Lua script per request.',
  },
  {
    id: 'sliding-window',
    title: 'Sliding window counters',
    text: 'A sliding window counter limits requests per rolling minute without the burst at window edges of fixed windows. Providers publish their limits per minute, so it matches them exactly.',
  },
  {
    id: 'tokens-per-minute',
    title: 'Limiting tokens per minute',
    text: 'LLM providers limit tokens per minute as well as requests, so a limiter must reserve the prompt estimate plus the output cap before the call and settle the actual count after it.',
  },
  {
    id: 'retry-after',
    title: 'Honouring Retry-After',
    text: 'A 429 answer carries Retry-After; retrying earlier wastes the quota and risks a longer ban. Jittered exponential backoff is the fallback when the header is missing.',
  },
];

/** Price of one `read_note` call in USD (a paid document API). */
export const READ_NOTE_PRICE_USD = 0.0002;

const words = (text: string): string[] => text.toLowerCase().match(/[a-z]{3,}/g) ?? [];

/** Notes ranked by how many words of the query they contain, best first (ties by corpus order). */
export function searchNotes(query: string, limit = 3): { id: string; title: string; score: number }[] {
  const wanted = new Set(words(query));
  return NOTES.map((note) => ({ id: note.id, title: note.title, score: words(`${note.title} ${note.text}`).filter((word) => wanted.has(word)).length }))
    .filter((hit) => hit.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, limit);
}

/** The agent's tools: `search_notes` and the priced `read_note`; `reads` records each note read. */
export function researchTools(reads: string[] = []) {
  return [
    defineTool({
      name: 'search_notes',
      description: 'Searches the research notes; returns the best matches as JSON [{id, title, score}].',
      input: z.object({ query: z.string().min(1).describe('What to look for.') }),
      execute: ({ query }) => Promise.resolve(JSON.stringify(searchNotes(query))),
    }),
    defineTool({
      name: 'read_note',
      description: 'Returns the full text of one note by id.',
      input: z.object({ id: z.string().min(1) }),
      costUsd: READ_NOTE_PRICE_USD,
      execute: ({ id }) => {
        const note = NOTES.find((candidate) => candidate.id === id);
        if (note === undefined) return Promise.reject(new Error(`no note ${id}`));
        reads.push(id);
        return Promise.resolve(`${note.title}: ${note.text}`);
      },
    }),
  ];
}

const firstSentence = (text: string): string => text.split(/(?<=\.)\s/)[0] ?? text;

/** The last assistant turn that asked for tools, and the results that answered it. */
function lastToolTurn(messages: readonly Message[]): { calls: readonly ToolCall[]; results: string[] } | undefined {
  const index = messages.findLastIndex((message) => message.role === 'assistant' && (message.toolCalls?.length ?? 0) > 0);
  if (index < 0) return undefined;
  const turn = messages[index] as Message;
  return { calls: turn.toolCalls ?? [], results: messages.slice(index + 1).filter((message) => message.role === 'tool').map((message) => message.content) };
}

/**
 * The scripted researcher: with tools and nothing looked up yet it searches; after a search it
 * reads the two best notes in parallel; after reading it answers with sources. Without tools (the
 * brief) it condenses the routed answer to its first sentence.
 */
export function researcher(request: LlmRequest): MockStep {
  const question = request.messages.findLast((message) => message.role === 'user')?.content ?? '';
  if ((request.tools?.length ?? 0) === 0) {
    // The brief: the research answer reaches it routed into its context, ahead of its own prompt.
    const routed = request.messages.map((message) => message.content).find((content) => content.includes('Answer: ')) ?? '';
    return { output: routed === '' ? 'Brief: no research answer was given.' : `Brief: ${firstSentence(routed.slice(routed.indexOf('Answer: ') + 8))}` };
  }
  const turn = lastToolTurn(request.messages);
  if (turn === undefined) {
    return { toolCalls: [{ id: 'call_search', name: 'search_notes', arguments: JSON.stringify({ query: question }) }] };
  }
  if (turn.calls[0]?.name === 'search_notes') {
    const hits = JSON.parse(turn.results[0] ?? '[]') as { id: string }[];
    return { toolCalls: hits.slice(0, 2).map((hit, index) => ({ id: `call_read_${index + 1}`, name: 'read_note', arguments: JSON.stringify({ id: hit.id }) })) };
  }
  const sources = turn.calls.map((call) => (JSON.parse(call.arguments) as { id: string }).id);
  const findings = turn.results.map((text) => firstSentence(text.slice(text.indexOf(': ') + 2)));
  return { output: `Answer: ${findings.join(' ')} Sources: ${sources.map((id) => `[${id}]`).join(', ')}.` };
}

/** Options of {@link runResearchAgent}. */
export interface ResearchOptions {
  /** The research question. */
  readonly question?: string;
  /** Hard budget of the run in USD. @defaultValue 0.05 */
  readonly budgetUsd?: number;
  /** Told of every journaled event, in order. */
  readonly onEvent?: (event: RuntimeEvent) => void;
}

/** What the run came to. */
export interface ResearchResult {
  /** The final run view. */
  readonly run: Run;
  /** Tool calls in the order they were journaled (`tool.called`). */
  readonly toolCalls: readonly string[];
  /** Notes `read_note` actually read. */
  readonly reads: readonly string[];
  /** What the budget ledger charged the run, in USD (model calls and tool prices). */
  readonly ledgerSpentUsd: number;
}

/** The default question. */
export const QUESTION = 'Which rate limiting approach suits bursty LLM traffic with tokens per minute limits?';

/** Runs the two-task DAG (`research` agent → `brief`) offline and returns what happened. */
export async function runResearchAgent(options: ResearchOptions = {}): Promise<ResearchResult> {
  const reads: string[] = [];
  // The offline models, served by a mock that plays the researcher and counts tokens like o200k.
  const catalog = createModelCatalog({ builtin: false, catalogs: [OFFLINE_CATALOG] });
  const estimator = createTokenEstimator({ catalog });
  const runtime = createRuntime({
    catalog,
    estimator,
    clients: { mock: createMockLlmClient({ respond: researcher, latencyMs: 5, estimator }) },
    tools: researchTools(reads),
    agentLimits: { maxToolCallsPerRun: 8 },
  });
  try {
    const started = await runtime.start({
      tasks: [
        {
          id: 'research',
          prompt: options.question ?? QUESTION,
          model: 'mock-balanced',
          maxOutputTokens: 400,
          agent: { tools: ['search_notes', 'read_note'], maxSteps: 6 },
        },
        { id: 'brief', prompt: 'Condense the research answer into one sentence.', deps: ['research'], model: 'mock-fast', maxOutputTokens: 120 },
      ],
      policy: { budgetUsd: options.budgetUsd ?? 0.05 },
    });
    const toolCalls: string[] = [];
    for await (const event of runtime.orchestrator.events(started.id)) {
      if (event.type === 'tool.called') toolCalls.push(event.tool);
      options.onEvent?.(event);
    }
    const run = await runtime.orchestrator.wait(started.id);
    const snapshot = await runtime.ledger.snapshot(`run:${run.id}`);
    return { run, toolCalls, reads, ledgerSpentUsd: moneyToUsd(snapshot.spent) };
  } finally {
    await runtime.orchestrator.close();
  }
}
