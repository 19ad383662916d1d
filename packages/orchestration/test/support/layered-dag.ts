/** A seeded random layered DAG, shared by the crash test and the benchmarks. */
import type { TaskSpec } from '@runtime/contracts';

/** A small deterministic PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `tasks` tasks in `layers` layers; each task after the first layer depends on 1–3 tasks of earlier layers. */
export function layeredDag(tasks: number, layers: number, seed: number): TaskSpec[] {
  const random = seededRandom(seed);
  const perLayer = Math.ceil(tasks / layers);
  const specs: TaskSpec[] = [];
  for (let index = 0; index < tasks; index += 1) {
    const layer = Math.floor(index / perLayer);
    const deps = new Set<string>();
    if (layer > 0) {
      const count = 1 + Math.floor(random() * 3);
      const earlier = layer * perLayer;
      for (let k = 0; k < count; k += 1) {
        // Mostly the previous layer, so the graph really has `layers` levels.
        const from = random() < 0.7 ? (layer - 1) * perLayer + Math.floor(random() * perLayer) : Math.floor(random() * earlier);
        deps.add(`t${Math.min(from, earlier - 1)}`);
      }
    }
    specs.push({ id: `t${index}`, prompt: `Task ${index}: summarise the inputs.`, deps: [...deps] });
  }
  return specs;
}
