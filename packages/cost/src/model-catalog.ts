/**
 * The model catalog: which models exist, what they cost, which one serves a role.
 *
 * @remarks
 * Starts from {@link BUILTIN_MODELS} (unless `builtin: false`) and merges catalog files and
 * objects in order; a later model with the same id replaces the earlier one in place. Not
 * responsible for talking to providers.
 */
import { ROLE_BY_TIER, ValidationError, asModelId } from '@runtime/contracts';
import type { ModelCatalog, ModelCatalogFile, ModelConfig, ModelInfo, ModelRole, TaskTier } from '@runtime/contracts';
import { BUILTIN_DEFAULT_MODEL, BUILTIN_MODELS } from './builtin-models.js';
import { loadModelCatalogFile, validateModelCatalogFile } from './catalog-file.js';
import { invalid, unknownModel } from './internal/errors.js';

/**
 * Options of {@link createModelCatalog}.
 * @public
 */
export interface ModelCatalogOptions {
  /** Start from the built-in catalog. @defaultValue true */
  readonly builtin?: boolean;
  /** Catalog files (JSON or YAML) merged in order after the built-in models. */
  readonly files?: readonly string[];
  /** Catalog objects merged in order after the files. */
  readonly catalogs?: readonly ModelCatalogFile[];
  /** Explicit role → model mapping; wins over the files' `roles`. */
  readonly roles?: Readonly<Partial<Record<ModelRole, string>>>;
  /** The default model; wins over the files' `defaultModel`. @defaultValue the built-in default, else the first model */
  readonly defaultModel?: string;
}

const STRONGER: Readonly<Record<ModelRole, readonly ModelRole[]>> = {
  fast: ['fast', 'balanced', 'flagship'],
  balanced: ['balanced', 'flagship'],
  flagship: ['flagship'],
};

function toModelInfo(config: ModelConfig): ModelInfo {
  return Object.freeze({
    id: asModelId(config.id),
    provider: config.provider,
    providerModel: config.providerModel ?? config.id,
    role: config.role ?? 'balanced',
    maxInputTokens: config.maxInputTokens,
    ...(config.contextWindow === undefined ? {} : { contextWindow: config.contextWindow }),
    maxOutputTokens: config.maxOutputTokens,
    pricing: Object.freeze({ ...config.pricing }),
    ...(config.encoding === undefined ? {} : { encoding: config.encoding }),
    ...(config.capabilities === undefined ? {} : { capabilities: Object.freeze({ ...config.capabilities }) }),
  });
}

function unknownReference(field: string, id: string, known: readonly string[]): ValidationError {
  return new ValidationError({
    code: 'VALIDATION_FAILED',
    message: `Model catalog ${field} names unknown model ${JSON.stringify(id)}.`,
    details: { field, model: id, known: [...known], issues: [{ path: field, message: 'unknown model' }] },
  });
}

/**
 * Creates a {@link @runtime/contracts#ModelCatalog}.
 *
 * @example
 * ```ts
 * const catalog = createModelCatalog({ files: ['models.yaml'], roles: { fast: 'gpt-4.1-nano' } });
 * catalog.forTier(1).id; // 'gpt-4.1-nano'
 * ```
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` for a bad file or object (naming the field and
 * model), or a role / default that names an unknown model.
 * @public
 */
export function createModelCatalog(options: ModelCatalogOptions = {}): ModelCatalog {
  const byId = new Map<string, ModelInfo>();
  if (options.builtin ?? true) for (const model of BUILTIN_MODELS) byId.set(model.id, model);
  let roles: Partial<Record<ModelRole, string>> = {};
  let defaultId: string | undefined = (options.builtin ?? true) ? BUILTIN_DEFAULT_MODEL : undefined;

  const sources: ModelCatalogFile[] = [
    ...(options.files ?? []).map((path) => loadModelCatalogFile(path)),
    ...(options.catalogs ?? []).map((catalog, index) => validateModelCatalogFile(catalog, `catalogs[${index}]`)),
  ];
  for (const source of sources) {
    for (const config of source.models ?? []) byId.set(config.id, toModelInfo(config));
    roles = { ...roles, ...source.roles };
    if (source.defaultModel !== undefined) defaultId = source.defaultModel;
  }
  roles = { ...roles, ...options.roles };
  if (options.defaultModel !== undefined) defaultId = options.defaultModel;

  const models: readonly ModelInfo[] = Object.freeze([...byId.values()]);
  const known = models.map((model) => model.id as string);
  if (models.length === 0) {
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message: 'Model catalog is empty.',
      details: { field: 'models', issues: [{ path: 'models', message: 'no models' }] },
    });
  }
  for (const [role, id] of Object.entries(roles)) {
    if (id !== undefined && !byId.has(id)) throw unknownReference(`roles.${role}`, id, known);
  }
  if (defaultId !== undefined && !byId.has(defaultId)) throw unknownReference('defaultModel', defaultId, known);
  const fallback = defaultId === undefined ? models[0] : byId.get(defaultId);

  const get = (id: string): ModelInfo => {
    const model = byId.get(id);
    if (model === undefined) throw unknownModel(id, known);
    return model;
  };
  const defaultModel = (): ModelInfo => fallback ?? get(String(defaultId));
  const forRole = (role: ModelRole): ModelInfo => {
    const order = STRONGER[role] as readonly ModelRole[] | undefined;
    if (order === undefined) throw invalid('role', 'must be fast, balanced or flagship', { value: String(role) });
    for (const candidate of order) {
      const explicit = roles[candidate];
      if (explicit !== undefined) return get(explicit);
      const first = models.find((model) => model.role === candidate);
      if (first !== undefined) return first;
    }
    return defaultModel();
  };

  return {
    get,
    find: (id) => byId.get(id),
    list: () => models,
    forRole,
    forTier: (tier: TaskTier) => {
      const role = ROLE_BY_TIER[tier] as ModelRole | undefined;
      if (role === undefined) throw invalid('tier', 'must be 1, 2 or 3', { value: String(tier) });
      return forRole(role);
    },
    defaultModel,
  };
}
