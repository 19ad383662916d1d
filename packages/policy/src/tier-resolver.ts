/**
 * Tenant/user → tier resolution over the built-in tiers plus configured overrides.
 *
 * @remarks
 * Use it to turn "who is calling" into a {@link @runtime/contracts#TierPolicy}. All configuration
 * is validated when the resolver is created, so a typo in a tier name or a negative limit fails at
 * start-up rather than on the first request. It does not enforce anything: see
 * {@link createPolicyEnforcer}.
 */
import type { TierOverride, TierPolicy } from '@runtime/contracts';
import { parseOrThrow, tierOverrideSchema, tierPolicySchema } from '@runtime/contracts/schemas';
import { DEFAULT_TIERS } from './default-tiers.js';
import { invalid } from './internal/validate.js';

/**
 * Who is calling.
 * @public
 */
export interface TierSubject {
  /** Owner tenant. */
  readonly tenant: string;
  /** End user, when known. */
  readonly user?: string;
}

/**
 * Why {@link TierResolver.resolve} used the fallback tier.
 * @public
 */
export interface TierFallbackEvent {
  /** The subject being resolved. */
  readonly subject: TierSubject;
  /** `lookup-failed`: the lookup threw; `unknown-tier`: it named no configured tier; `unassigned`: nobody assigned a tier. */
  readonly reason: 'lookup-failed' | 'unknown-tier' | 'unassigned';
  /** The tier name the lookup returned (`unknown-tier`). */
  readonly tierName?: string;
  /** What the lookup threw (`lookup-failed`). */
  readonly error?: unknown;
  /** The tier used instead. */
  readonly fallback: string;
}

/**
 * Finds a subject's tier name; `undefined` when it has none.
 * @public
 */
export type TierLookup = (subject: TierSubject) => string | undefined | Promise<string | undefined>;

/**
 * Options of {@link createTierResolver}.
 * @public
 */
export interface TierResolverOptions {
  /** The base tiers by name (each validated as a complete tier). @defaultValue {@link DEFAULT_TIERS} */
  readonly tiers?: Readonly<Record<string, TierPolicy>>;
  /** Per-tier overrides, e.g. the sidecar config's `tiers` section; each must name a base tier. */
  readonly overrides?: Readonly<Record<string, TierOverride>>;
  /** Static tenant → tier name assignments, consulted when `lookup` returns `undefined`. */
  readonly assignments?: Readonly<Record<string, string>>;
  /** Dynamic lookup (a database, a billing API), consulted first. */
  readonly lookup?: TierLookup;
  /** The tier used when nothing (or something broken) names one. @defaultValue `'free'` */
  readonly fallback?: string;
  /** Told every time the fallback is used, so a broken lookup is visible rather than silent. */
  readonly onFallback?: (event: TierFallbackEvent) => void;
}

/**
 * Resolves tier policies.
 * @public
 */
export interface TierResolver {
  /** Every configured tier (overrides applied), by name. */
  readonly tiers: Readonly<Record<string, TierPolicy>>;
  /** The fallback tier's name. */
  readonly fallback: string;
  /**
   * The tier with this name.
   * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` for an unknown name.
   */
  get(name: string): TierPolicy;
  /** The subject's tier: `lookup`, then `assignments`, then the fallback. Never rejects. */
  resolve(subject: TierSubject): Promise<TierPolicy>;
}

function mergeTiers(
  base: Readonly<Record<string, TierPolicy>>,
  overrides: Readonly<Record<string, TierOverride>>,
): Readonly<Record<string, TierPolicy>> {
  const merged: Record<string, TierPolicy> = {};
  for (const [name, tier] of Object.entries(base)) {
    const parsed = parseOrThrow(tierPolicySchema, tier, `tier "${name}"`);
    if (parsed.name !== name) invalid(`tier "${name}"`, 'name', `must equal its key "${name}", got "${parsed.name}"`);
    merged[name] = parsed;
  }
  for (const [name, override] of Object.entries(overrides)) {
    const current =
      merged[name] ?? invalid('tier overrides', name, `unknown tier (known: ${Object.keys(merged).join(', ')})`, { tier: name, known: Object.keys(merged) });
    const parsed = parseOrThrow(tierOverrideSchema, override, `override of tier "${name}"`);
    merged[name] = Object.freeze({ ...current, ...parsed });
  }
  return Object.freeze(merged);
}

/**
 * Creates a {@link TierResolver}; validates every tier, override, assignment and the fallback now.
 *
 * @remarks
 * Resolution order: `lookup(subject)` → `assignments[tenant]` → `fallback`. The fallback defaults
 * to `free`, the most restrictive built-in tier: when the lookup is down or returns garbage the
 * platform keeps serving, but never grants more than the cheapest plan (fail safe, not fail open).
 * Every fallback is reported to `onFallback`.
 *
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` for a malformed tier or
 * override (e.g. a negative limit), an override or assignment naming an unknown tier, or an
 * unknown fallback.
 * @example
 * ```ts
 * const resolver = createTierResolver({
 *   overrides: { pro: { rpm: 60 } },
 *   assignments: { acme: 'enterprise' },
 *   lookup: async ({ tenant }) => billing.planOf(tenant),
 * });
 * const tier = await resolver.resolve({ tenant: 'acme' });
 * ```
 * @public
 */
export function createTierResolver(options: TierResolverOptions = {}): TierResolver {
  const tiers = mergeTiers(options.tiers ?? DEFAULT_TIERS, options.overrides ?? {});
  const fallback = options.fallback ?? 'free';
  const fallbackTier: TierPolicy =
    tiers[fallback] ?? invalid('tier resolver options', 'fallback', `unknown tier "${fallback}"`, { tier: fallback, known: Object.keys(tiers) });
  const assignments = new Map<string, TierPolicy>();
  for (const [tenant, name] of Object.entries(options.assignments ?? {})) {
    const tier = tiers[name] ?? invalid('tier assignments', tenant, `unknown tier "${name}"`, { tier: name, known: Object.keys(tiers) });
    assignments.set(tenant, tier);
  }
  const { lookup, onFallback } = options;

  function useFallback(event: Omit<TierFallbackEvent, 'fallback'>): TierPolicy {
    onFallback?.({ ...event, fallback });
    return fallbackTier;
  }

  return {
    tiers,
    fallback,
    get(name) {
      return tiers[name] ?? invalid('tier name', '', `unknown tier "${name}"`, { tier: name, known: Object.keys(tiers) });
    },
    async resolve(subject) {
      if (lookup !== undefined) {
        let name: string | undefined;
        try {
          name = await lookup(subject);
        } catch (error) {
          return useFallback({ subject, reason: 'lookup-failed', error });
        }
        if (name !== undefined) {
          const tier = tiers[name];
          return tier ?? useFallback({ subject, reason: 'unknown-tier', tierName: name });
        }
      }
      return assignments.get(subject.tenant) ?? useFallback({ subject, reason: 'unassigned' });
    },
  };
}
