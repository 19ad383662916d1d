/**
 * A streaming task's model call: the provider is read chunk by chunk and each text piece or
 * tool-call fragment becomes a live `task.delta` event; the `done` chunk's result is the call's
 * answer, billed like a `complete` answer.
 *
 * @remarks
 * Deltas are handed to the journal's live listeners only ({@link RunJournal.emit}), never written:
 * a replay from the store shows the journaled events and the final output, not the deltas. A delta
 * has no sequence number of its own; its `seq` is the run's latest journaled seq when it was emitted.
 * With no live listener a delta costs one size check. Not responsible for retries (the resilient
 * client retries only before the first chunk) nor for billing.
 */
import { ProviderError, type LlmCallOptions, type LlmRequest, type LlmResult, type LlmStreamChunk, type TaskDeltaEvent } from '@runtime/contracts';
import type { RunLoop } from './run-loop.js';
import type { TaskRuntime } from './task-runtime.js';

/** Whether a task streams: its own `stream`, else the run policy's, else not. */
export function wantsStream(loop: RunLoop, task: TaskRuntime): boolean {
  return task.spec.stream ?? loop.record.spec.policy?.stream ?? false;
}

/**
 * Reads one streamed call to its `done` chunk, emitting a `task.delta` per text piece and tool-call
 * fragment (`index` from 0 per attempt). Deltas stop the moment the call's signal aborts (an abort
 * or timeout): the stream itself then ends with the client's typed error.
 * @throws what the stream throws; `PROVIDER_ERROR` (`incomplete_stream`) for a stream that ended
 * without its `done` chunk.
 */
export async function streamAnswer(
  loop: RunLoop,
  task: TaskRuntime,
  stream: (request: LlmRequest, options?: LlmCallOptions) => AsyncIterable<LlmStreamChunk>,
  request: LlmRequest,
  options: LlmCallOptions,
): Promise<LlmResult> {
  const journal = loop.journal;
  const signal = options.signal;
  let attempt = task.attempts;
  let index = 0;
  for await (const chunk of stream(request, options)) {
    if (chunk.type === 'done') return chunk.result;
    if (chunk.type === 'tool-call' || (chunk.type === 'text' && chunk.text === '')) continue;
    // A client that retried after delivering would start a new attempt: its deltas count from 0.
    if (task.attempts !== attempt) {
      attempt = task.attempts;
      index = 0;
    }
    // Counted even when no one listens, so a late subscriber sees from `index` what it missed.
    if (journal.listeners.size === 0 || signal?.aborted === true) {
      index += 1;
      continue;
    }
    const delta: TaskDeltaEvent = {
      type: 'task.delta',
      runId: loop.id,
      seq: journal.seq,
      at: journal.now(),
      taskId: task.id,
      attempt,
      index,
      ...(chunk.type === 'text' ? { text: chunk.text } : { toolCall: chunk.delta }),
    };
    index += 1;
    journal.emit([delta]);
  }
  const delivered = index > 0;
  throw new ProviderError({
    code: 'PROVIDER_ERROR',
    message: `The stream of task ${task.id} ended without its final chunk.`,
    details: { task: task.id, model: task.model.id, reason: 'incomplete_stream', kind: delivered ? 'terminal' : 'transient', delivered },
    isRetryable: !delivered,
  });
}
