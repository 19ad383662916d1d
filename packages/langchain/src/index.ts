/**
 * LangChain.js adapter of agent-runtime: exact cost and hard budgets around any LangChain chat
 * model ({@link RuntimeCallbackHandler}), runtime clients from LangChain models
 * ({@link fromLangChain}) and LangChain models over runtime clients ({@link toLangChain}), and a
 * runnable that runs a DAG on the sidecar ({@link SidecarRunRunnable}).
 *
 * @remarks
 * `@langchain/core` is a peer dependency and turns on AsyncLocalStorage in the process: keep this
 * package out of code paths that do not use LangChain. Collaborators (ledger, calculator,
 * estimator, usage tracker) are the contracts' interfaces; `@runtime/cost` provides them.
 *
 * @packageDocumentation
 */
export { fromLangChain, type FromLangChainOptions, type LangChainLlmClient } from './from-lang-chain.js';
export { RuntimeCallbackHandler, type LangChainCallInfo, type RuntimeCallbackHandlerOptions } from './runtime-callback-handler.js';
export { RuntimeChatModel, toLangChain, type RuntimeChatModelCallOptions, type ToLangChainOptions } from './runtime-chat-model.js';
export { SidecarRunRunnable, type SidecarRunOutput, type SidecarRunRunnableOptions } from './sidecar-run-runnable.js';
