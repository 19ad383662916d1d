/**
 * The models of the offline default: served by the deterministic mock provider, priced like
 * small real models so that budgets and reports behave realistically in demos and tests.
 */
import type { ModelCatalogFile } from '@runtime/contracts';

/**
 * Catalog of the offline default (provider `mock`): `mock-fast`, `mock-balanced` (default) and
 * `mock-flagship`, one per role.
 * @public
 */
export const OFFLINE_CATALOG: ModelCatalogFile = {
  models: [
    {
      id: 'mock-fast',
      provider: 'mock',
      role: 'fast',
      maxInputTokens: 128_000,
      maxOutputTokens: 16_384,
      encoding: 'o200k_base',
      pricing: { inputPerMTok: 0.1, outputPerMTok: 0.4 },
    },
    {
      id: 'mock-balanced',
      provider: 'mock',
      role: 'balanced',
      maxInputTokens: 128_000,
      maxOutputTokens: 16_384,
      encoding: 'o200k_base',
      pricing: { inputPerMTok: 0.4, outputPerMTok: 1.6 },
    },
    {
      id: 'mock-flagship',
      provider: 'mock',
      role: 'flagship',
      maxInputTokens: 200_000,
      maxOutputTokens: 32_000,
      encoding: 'o200k_base',
      pricing: { inputPerMTok: 2, outputPerMTok: 8 },
    },
  ],
  defaultModel: 'mock-balanced',
};
