import { asModelId, ModelError, type ModelCatalog, type ModelInfo } from '@runtime/contracts';

function model(id: string, maxInputTokens: number, maxOutputTokens: number): ModelInfo {
  return {
    id: asModelId(id),
    provider: 'mock',
    providerModel: id,
    role: 'balanced',
    maxInputTokens,
    maxOutputTokens,
    pricing: { inputPerMTok: 1, outputPerMTok: 2 },
  };
}

/** `small`: 4 000-token window, 1 000 output; `big`: 200 000-token window, 8 000 output. */
export function createFakeCatalog(): ModelCatalog {
  const models = [model('small', 4_000, 1_000), model('big', 200_000, 8_000)];
  const find = (id: string) => models.find((entry) => entry.id === id);
  const first = models[0] as ModelInfo;
  return {
    find,
    get(id) {
      const found = find(id);
      if (found === undefined) throw new ModelError({ code: 'UNKNOWN_MODEL', message: `Unknown model ${id}.`, details: { model: id, known: models.map((entry) => entry.id) } });
      return found;
    },
    list: () => models,
    forRole: () => first,
    forTier: () => first,
    defaultModel: () => first,
  };
}
