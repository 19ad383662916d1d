import type { Clock } from '@runtime/contracts';

/** A clock that only moves when told to. */
export interface FakeClock extends Clock {
  advance(ms: number): void;
}

export function createFakeClock(start = 1_700_000_000_000): FakeClock {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}
