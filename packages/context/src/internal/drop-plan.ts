/**
 * Which units each strategy removes, computed by subtraction from counts taken once.
 */
import type { Message } from '@runtime/contracts';
import type { AnalyzedConversation, ConversationUnit } from './conversation.js';

/** Units chosen for removal and the prompt tokens that remain. */
export interface DropPlan {
  /** Removed units, in conversation order. */
  readonly removed: readonly ConversationUnit[];
  /** Prompt tokens after the removal. */
  readonly tokensAfter: number;
}

function removeInOrder(candidates: readonly ConversationUnit[], startTokens: number, limit: number, already: ConversationUnit[]): number {
  let tokens = startTokens;
  for (const unit of candidates) {
    if (tokens <= limit) break;
    already.push(unit);
    tokens -= unit.tokens;
  }
  return tokens;
}

function finish(removed: ConversationUnit[], tokensAfter: number): DropPlan {
  removed.sort((left, right) => left.first - right.first);
  return { removed, tokensAfter };
}

/** Drops the oldest unprotected units until the prompt fits `limit` (or none is left). */
export function planTruncate(conversation: AnalyzedConversation, limit: number): DropPlan {
  const removed: ConversationUnit[] = [];
  let tokens = conversation.totalTokens;
  for (const unit of conversation.units) {
    if (tokens <= limit) break;
    if (unit.isProtected) continue;
    removed.push(unit);
    tokens -= unit.tokens;
  }
  // Already in conversation order.
  return { removed, tokensAfter: tokens };
}

/** Drops the lowest-priority unprotected units first (oldest first among equals). */
export function planPriority(conversation: AnalyzedConversation, limit: number): DropPlan {
  const removed: ConversationUnit[] = [];
  const droppable = conversation.units
    .filter((unit) => !unit.isProtected)
    .sort((left, right) => left.priority - right.priority || left.first - right.first);
  return finish(removed, removeInOrder(droppable, conversation.totalTokens, limit, removed));
}

/**
 * Keeps at most `keep` unprotected messages — the newest whole units that fit that count — then
 * drops the oldest of those too while the prompt is over `limit`.
 */
export function planKeepLastN(conversation: AnalyzedConversation, limit: number, keep: number): DropPlan {
  const droppable = conversation.units.filter((unit) => !unit.isProtected);
  let kept = 0;
  let boundary = droppable.length;
  while (boundary > 0) {
    const unit = droppable[boundary - 1] as ConversationUnit;
    if (kept + unit.indices.length > keep) break;
    kept += unit.indices.length;
    boundary -= 1;
  }
  const removed: ConversationUnit[] = [];
  let tokens = conversation.totalTokens;
  for (let index = 0; index < boundary; index += 1) {
    const unit = droppable[index] as ConversationUnit;
    removed.push(unit);
    tokens -= unit.tokens;
  }
  return finish(removed, removeInOrder(droppable.slice(boundary), tokens, limit, removed));
}

/** Input indices of some units, ascending. */
export function indicesOf(units: readonly ConversationUnit[]): number[] {
  const indices: number[] = [];
  let sorted = true;
  for (const unit of units) {
    for (const index of unit.indices) {
      if (sorted && indices.length > 0 && (indices[indices.length - 1] as number) > index) sorted = false;
      indices.push(index);
    }
  }
  return sorted ? indices : indices.sort((left, right) => left - right);
}

/** The messages whose indices are not in `removed`, in order (the same objects). */
export function without(messages: readonly Message[], removed: readonly number[]): Message[] {
  const skip = new Uint8Array(messages.length);
  for (const index of removed) skip[index] = 1;
  const kept: Message[] = [];
  for (let index = 0; index < messages.length; index += 1) if (skip[index] === 0) kept.push(messages[index] as Message);
  return kept;
}
