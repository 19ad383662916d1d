/**
 * Adapts a {@link @runtime/contracts#ContextCompactor} to {@link @runtime/contracts#AgentHost.compact}.
 */
import type { AgentHost, CompactionReport, CompactionStrategy, ContextCompactor } from '@runtime/contracts';

/**
 * Options of {@link compactWith}.
 * @public
 */
export interface CompactWithOptions {
  /** Model for token counts. */
  readonly model: string;
  /** The prompt must fit this many tokens (the model's prompt limit minus what else is sent). */
  readonly maxTokens: number;
  /** Compaction strategy. @defaultValue `'truncate'` */
  readonly strategy?: CompactionStrategy;
  /** For `keepLastN`. */
  readonly keepLastN?: number;
  /** Called with each compaction's report (for `context.compacted` events, billing a summary). */
  readonly onCompacted?: (report: CompactionReport) => void;
}

/**
 * A `compact` function for an agent host: fits the conversation before each step with the compactor,
 * which never splits a tool call from its result.
 * @public
 */
export function compactWith(compactor: ContextCompactor, options: CompactWithOptions): NonNullable<AgentHost['compact']> {
  return async ({ messages, tools }) => {
    const { messages: compacted, report } = await compactor.compact({
      messages,
      tools,
      model: options.model,
      maxTokens: options.maxTokens,
      strategy: options.strategy ?? 'truncate',
      ...(options.keepLastN === undefined ? {} : { keepLastN: options.keepLastN }),
    });
    options.onCompacted?.(report);
    return compacted;
  };
}
