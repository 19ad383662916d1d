/**
 * Reading tier overrides from a YAML (or JSON) tier policy file.
 */
import type { TierOverride } from '@runtime/contracts';
import { parseOrThrow, tierOverrideSchema } from '@runtime/contracts/schemas';
import { parse, YAMLParseError } from 'yaml';
import { invalid } from './internal/validate.js';

/**
 * Parses a tier policy file: a map of tier name → override, either at the top level or under
 * `tiers:` (the shape of the sidecar config's section). JSON is valid YAML.
 *
 * @remarks
 * Each override is validated now (negative or zero limits, unknown fields); whether each tier
 * exists is checked when the result is passed to {@link createTierResolver}.
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` for bad YAML or a bad override.
 * @example
 * ```ts
 * const overrides = parseTierOverrides(readFileSync('tiers.yaml', 'utf8'));
 * const resolver = createTierResolver({ overrides });
 * ```
 * @public
 */
export function parseTierOverrides(source: string, what = 'tier policy file'): Readonly<Record<string, TierOverride>> {
  let document: unknown;
  try {
    document = parse(source);
  } catch (error) {
    if (!(error instanceof YAMLParseError)) throw error;
    invalid(what, '', `not valid YAML (${error.message.split('\n')[0] ?? 'parse error'})`);
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== 'object' || Array.isArray(document)) invalid(what, '', 'must map tier names to overrides');
  const record = document as Record<string, unknown>;
  const keys = Object.keys(record);
  const tiers = keys.length === 1 && keys[0] === 'tiers' ? record['tiers'] : record;
  if (tiers === null || typeof tiers !== 'object' || Array.isArray(tiers)) invalid(what, 'tiers', 'must map tier names to overrides');
  const overrides: Record<string, TierOverride> = {};
  for (const [name, override] of Object.entries(tiers as Record<string, unknown>)) {
    overrides[name] = parseOrThrow(tierOverrideSchema, override, `${what}, tier "${name}"`);
  }
  return overrides;
}
