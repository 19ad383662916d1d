/**
 * The agent-runtime sidecar: the HTTP API v1 server, its configuration, the composition of the
 * domain packages it serves, and the pieces of the `runtime` CLI.
 *
 * @remarks
 * A private app: this entry exists for tests, the demo and embedding the server in another
 * process; the `runtime` bin is the supported interface.
 *
 * @packageDocumentation
 */
export { createAuthenticator, hashApiKey, type Authenticator, type AuthenticatorOptions, type Principal } from './auth/authenticator.js';
export { CONFIG_ENV_VARS, loadConfig, type LoadConfigOptions, type ResolvedConfig } from './config/load-config.js';
export { createServer, type CreateServerOptions, type SidecarServer } from './http/create-server.js';
export { toErrorResponse, type ErrorResponse } from './http/error-response.js';
export { createOpenApiDocument } from './http/openapi-document.js';
export { createRunService, type CreatedRun, type RunListParams, type RunService } from './http/run-service.js';
export { createRunObserver, type RunObserver } from './observability/run-observer.js';
export { createSidecarMetrics, type SidecarMetrics } from './observability/sidecar-metrics.js';
export { createSidecarRuntime, type SidecarRuntimeOverrides, type SidecarRuntimeWithLlm } from './runtime/create-sidecar-runtime.js';
export { type DependencyHealth, type SidecarRuntime } from './runtime/sidecar-runtime.js';
export { startSidecar, type RunningSidecar, type StartSidecarOptions } from './start-sidecar.js';
export { EXIT_CODES, runCli, type CliIo } from './cli/cli-program.js';
export { estimatePlan, modelForTask, type PlanEstimate, type TaskEstimate } from './cli/estimate-plan.js';
export { loadPlan } from './cli/load-plan.js';
export { runPlan, type RunPlanOptions, type RunPlanResult } from './cli/run-plan.js';
export { renderBillingSummary, renderBreakdowns, summarizeBilling, type BillingRow, type BillingSummary } from './cli/billing-summary.js';
export { runDemo, type RunDemoOptions } from './demo/run-demo.js';
