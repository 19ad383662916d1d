/**
 * Fakes for testing LangChain code against the runtime: a chat model that reports usage (cache and
 * reasoning tokens), calls tools and streams.
 *
 * @packageDocumentation
 */
export { ScriptedChatModel, type ScriptedAnswer, type ScriptedChatModelCallOptions, type ScriptedChatModelOptions } from './scripted-chat-model.js';
