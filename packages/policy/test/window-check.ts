/**
 * The oracle of the sliding-window property: the most events found in any window of `windowMs`.
 *
 * Windows are half-open, `[start, start + windowMs)`; the worst window always starts at an event,
 * so checking the windows that start at each event covers every window.
 */
export function maxInAnyWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let worst = 0;
  let end = 0;
  for (let start = 0; start < sorted.length; start += 1) {
    const from = sorted[start] ?? 0;
    while (end < sorted.length && (sorted[end] ?? 0) < from + windowMs) end += 1;
    worst = Math.max(worst, end - start);
  }
  return worst;
}

/** Same for weighted events (tokens): the largest sum in any window. */
export function maxWeightInAnyWindow(events: readonly { time: number; weight: number }[], windowMs: number): number {
  const sorted = [...events].sort((a, b) => a.time - b.time);
  let worst = 0;
  let end = 0;
  let sum = 0;
  for (let start = 0; start < sorted.length; start += 1) {
    const from = sorted[start]?.time ?? 0;
    while (end < sorted.length && (sorted[end]?.time ?? 0) < from + windowMs) {
      sum += sorted[end]?.weight ?? 0;
      end += 1;
    }
    worst = Math.max(worst, sum);
    sum -= sorted[start]?.weight ?? 0;
  }
  return worst;
}
