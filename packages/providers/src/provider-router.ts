/**
 * An {@link @runtime/contracts#LlmClient} that sends each request to the client of its model's
 * provider, as named by the {@link @runtime/contracts#ModelCatalog}.
 *
 * @remarks
 * It fills `providerModel` from the catalog when the request has none, so adapters always send the
 * provider's own model name, and hands the model's catalog entry to the adapter
 * (`LlmCallOptions.modelInfo`), so it can read capabilities such as `outputTokensParam`. It does
 * not retry: wrap the router (or each client) with
 * {@link createResilientClient}; the resilient client asks the router for the real provider and
 * provider model of a request so breakers stay per provider + provider model.
 */
import {
  ProviderError,
  type LlmClient,
  type LlmRequest,
  type LlmCallOptions,
  type ModelCatalog,
  type ModelInfo,
} from '@runtime/contracts';
import type { StreamingLlmClient } from './streaming-llm-client.js';

/**
 * Options of {@link createProviderRouter}.
 * @public
 */
export interface ProviderRouterOptions {
  /** Resolves a request's model to its provider and provider model name. */
  readonly catalog: ModelCatalog;
  /** One client per provider name used in the catalog (`openai`, `anthropic`, `mock`, …). */
  readonly clients: Readonly<Record<string, LlmClient>>;
  /** This router's own name. @defaultValue `'router'` */
  readonly provider?: string;
}

/**
 * The router: a client plus the provider lookup. It streams through the provider's client, or
 * yields one `done` chunk when that client cannot stream.
 * @public
 */
export interface ProviderRouter extends StreamingLlmClient {
  /**
   * The provider name that serves a model.
   * @throws {@link @runtime/contracts#ModelError} `UNKNOWN_MODEL`.
   */
  providerFor(model: string): string;
  /**
   * The provider's own name of a model (the catalog's `providerModel`).
   * @throws {@link @runtime/contracts#ModelError} `UNKNOWN_MODEL`.
   */
  providerModelFor(model: string): string;
}

/**
 * Creates a {@link ProviderRouter}.
 *
 * @throws {@link @runtime/contracts#ModelError} `UNKNOWN_MODEL` (from the catalog) for a model it
 * does not know; {@link @runtime/contracts#ProviderError} `PROVIDER_ERROR` (terminal,
 * `details.reason: 'no_client'`) when no client is registered for the model's provider.
 *
 * @example
 * ```ts
 * const llm = createProviderRouter({ catalog, clients: { openai, anthropic, mock: createMockLlmClient() } });
 * ```
 * @public
 */
export function createProviderRouter(options: ProviderRouterOptions): ProviderRouter {
  const { catalog, clients } = options;

  function route(request: LlmRequest): { client: LlmClient; request: LlmRequest; info: ModelInfo } {
    const info = catalog.get(request.model);
    const client = Object.hasOwn(clients, info.provider) ? clients[info.provider] : undefined;
    if (client === undefined) {
      throw new ProviderError({
        code: 'PROVIDER_ERROR',
        message: `No client is registered for provider "${info.provider}" (model ${request.model}).`,
        details: {
          provider: info.provider,
          model: request.model,
          kind: 'terminal',
          reason: 'no_client',
          known: Object.keys(clients),
        },
        isRetryable: false,
      });
    }
    return {
      client,
      request: request.providerModel === undefined ? { ...request, providerModel: info.providerModel } : request,
      info,
    };
  }

  return {
    provider: options.provider ?? 'router',
    providerFor(model) {
      return catalog.get(model).provider;
    },
    providerModelFor(model) {
      return catalog.get(model).providerModel;
    },
    async complete(request, callOptions) {
      const target = route(request);
      return target.client.complete(target.request, withModelInfo(callOptions, target.info));
    },
    async *stream(request, callOptions) {
      const target = route(request);
      const options = withModelInfo(callOptions, target.info);
      if (target.client.stream === undefined) {
        yield { type: 'done', result: await target.client.complete(target.request, options) };
        return;
      }
      yield* target.client.stream(target.request, options);
    },
  };
}

/** The caller's options plus the model's catalog entry, for adapters that read its capabilities. */
function withModelInfo(callOptions: LlmCallOptions | undefined, modelInfo: ModelInfo): LlmCallOptions {
  return callOptions === undefined ? { modelInfo } : { ...callOptions, modelInfo };
}
