/**
 * The scripted LLM of the child-process tests: each task answers after a seeded random latency
 * (fixed per task id, so a retried call takes as long) and every call appends its task id to
 * `callsPath`, so the parent can count calls across a kill.
 */
import { appendFileSync } from 'node:fs';
import { createScriptedLlm, type ScriptedLlm } from '../../src/testing.js';
import { seededRandom } from './layered-dag.js';

/** Latencies are `minMs + [0, spreadMs)` ms, drawn from `seed`. */
export function recordingLlm(callsPath: string, seed: number, minMs: number, spreadMs: number): ScriptedLlm {
  const random = seededRandom(seed);
  const latency = new Map<string, number>();
  return createScriptedLlm({
    latency: (id) => {
      const known = latency.get(id);
      if (known !== undefined) return known;
      const value = minMs + Math.floor(random() * spreadMs);
      latency.set(id, value);
      return value;
    },
    onCall: (id) => appendFileSync(callsPath, `${id}\n`),
  });
}
