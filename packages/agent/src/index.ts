/**
 * Tools and the agent loop of agent-runtime: a tool registry (zod → JSON Schema for the OpenAI and
 * Anthropic wire formats), a dispatcher (parallel calls, deadlines, argument checks, typed
 * `TOOL_*` errors, time and declared price per call), HTTP tools declared as data, the built-in
 * allowlisted `http_get`, nested agents, and the runner that loops model → tools → model under the
 * tier's limits, with approvals and resume from the journal.
 *
 * @remarks
 * Depends on `@runtime/contracts` only: money, the journal and humans reach the runner through the
 * {@link @runtime/contracts#AgentHost} the caller provides.
 *
 * @packageDocumentation
 */
export { createAgentRunner, type AgentRunnerOptions } from './agent-runner.js';
export { compactWith, type CompactWithOptions } from './compactor-host.js';
export { defineTool, type DefineToolOptions } from './define-tool.js';
export {
  DEFAULT_HTTP_TOOL_MAX_RESPONSE_BYTES,
  httpGetTool,
  httpTool,
  type HttpGetToolOptions,
  type HttpToolOptions,
} from './http-tool.js';
export { type HttpToolFetch } from './http-tool-fetch.js';
export { subAgentTool, type SubAgentToolOptions } from './sub-agent-tool.js';
export {
  createToolDispatcher,
  DEFAULT_TOOL_MAX_RESULT_CHARS,
  DEFAULT_TOOL_TIMEOUT_MS,
  type ToolCallOutcome,
  type ToolDispatchContext,
  type ToolDispatcher,
  type ToolDispatcherOptions,
} from './tool-dispatcher.js';
export { TOOL_NAME_PATTERN } from './tool-name.js';
export { createToolRegistry } from './tool-registry.js';
