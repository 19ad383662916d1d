/**
 * The real sidecar, started in this process on 127.0.0.1 with a free port and an in-memory run
 * store; every model of its catalog is served by one LangChain model through `fromLangChain`.
 */
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { LlmClient } from '@runtime/contracts';
import { fromLangChain } from '@runtime/langchain';
import { loadConfig } from '../../sidecar/src/config/load-config.js';
import { startSidecar, type RunningSidecar } from '../../sidecar/src/start-sidecar.js';

export async function startLoopbackSidecar(model: BaseChatModel): Promise<RunningSidecar> {
  const env = { RUNTIME_HOST: '127.0.0.1', RUNTIME_PORT: '0', RUNTIME_DB: 'memory', RUNTIME_LOG_LEVEL: 'silent' };
  return startSidecar(loadConfig({ env }), {
    env,
    overrides: {
      clients: ({ catalog }) => {
        const clients: Record<string, LlmClient> = {};
        for (const entry of catalog.list()) clients[entry.provider] = fromLangChain(model, { provider: entry.provider });
        return clients;
      },
    },
  });
}
