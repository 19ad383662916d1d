import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Circuit, type Permit } from './circuit.js';

type Operation =
  | { readonly kind: 'acquire' }
  | { readonly kind: 'settle'; readonly outcome: 'succeed' | 'fail' | 'release'; readonly pick: number }
  | { readonly kind: 'wait'; readonly ms: number };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.constant({ kind: 'acquire' as const }),
  fc.record({ kind: fc.constant('settle' as const), outcome: fc.constantFrom('succeed' as const, 'fail' as const, 'release' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 150 }) }),
);

describe('Circuit (property)', () => {
  it('never has more than one half-open probe in flight, admits nobody else while it is out, and never refuses with retryAfterMs 0', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 120 }), (operations) => {
        let now = 0;
        const clock = { now: () => now };
        const circuit = new Circuit('p', 'm', { failureThreshold: 3, resetAfterMs: 100, probeTimeoutMs: 50, onTransition: () => undefined });
        const inFlight: Permit[] = [];
        for (const step of operations) {
          if (step.kind === 'wait') now += step.ms;
          else if (step.kind === 'acquire') {
            const probeOut = inFlight.some((held) => held);
            let permit: Permit | undefined;
            try {
              permit = circuit.acquire(clock);
            } catch (error) {
              expect(error).toMatchObject({ code: 'CIRCUIT_OPEN' });
              // A refusal always says how long to wait, never "now".
              expect((error as { details: { retryAfterMs: number } }).details.retryAfterMs).toBeGreaterThan(0);
              permit = undefined;
            }
            // While the probe is out, everybody else fails fast.
            if (probeOut) expect(permit).toBeUndefined();
            if (permit !== undefined) inFlight.push(permit);
          } else if (inFlight.length > 0) {
            const [permit] = inFlight.splice(step.pick % inFlight.length, 1);
            if (permit === undefined) continue;
            if (step.outcome === 'succeed') circuit.succeed(permit);
            else if (step.outcome === 'fail') circuit.fail(permit, now);
            else circuit.release(permit);
          }
          expect(inFlight.filter((held) => held).length).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 300 },
    );
  });
});
