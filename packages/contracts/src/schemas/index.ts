/**
 * zod schemas of every wire type of agent-runtime, typed against the interfaces of
 * `@runtime/contracts`.
 *
 * @remarks
 * Import from `@runtime/contracts/schemas`; requires `zod` ^4 (optional peer dependency).
 *
 * @packageDocumentation
 */
export {
  isoTimestampSchema,
  metadataSchema,
  modelIdSchema,
  nonNegativeIntSchema,
  positiveIntSchema,
  runIdSchema,
  taskIdSchema,
  usdAmountSchema,
} from './primitives.js';
export {
  addTasksRequestSchema,
  taskInputRequestSchema,
  budgetViewSchema,
  contextPolicySchema,
  errorBodySchema,
  errorInfoSchema,
  estimateRequestSchema,
  estimateResponseSchema,
  MAX_TASKS_PER_REQUEST,
  messageSchema,
  modelCapabilitiesSchema,
  modelInfoSchema,
  modelRoleSchema,
  modelListResponseSchema,
  modelPricingSchema,
  runListResponseSchema,
  runPolicySchema,
  runSchema,
  runSpecSchema,
  taskDependencySchema,
  taskSpecSchema,
  taskViewSchema,
  tokenEncodingSchema,
  usageViewSchema,
} from './wire.js';
export { runtimeEventSchema } from './events.js';
export {
  modelCatalogFileSchema,
  modelConfigSchema,
  POSTGRES_SCHEMA_NAME,
  positiveUsdSchema,
  sidecarConfigSchema,
  tierOverrideSchema,
  tierPolicySchema,
} from './config.js';
export { parseOrThrow, toValidationIssues, type ValidationIssue } from './parse.js';
