/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the contracts' zod schemas.
 */
import {
  addTasksRequestSchema,
  errorBodySchema,
  estimateRequestSchema,
  estimateResponseSchema,
  modelListResponseSchema,
  runListResponseSchema,
  runSchema,
  runSpecSchema,
  runtimeEventSchema,
} from '@runtime/contracts/schemas';
import { z } from 'zod';

type JsonObject = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonObject;
  delete json['$schema'];
  return json;
}

const ERROR_STATUSES: Readonly<Record<string, string>> = {
  '400': 'VALIDATION_FAILED',
  '401': 'UNAUTHENTICATED',
  '402': 'BUDGET_EXCEEDED',
  '403': 'POLICY_VIOLATION',
  '404': 'RUN_NOT_FOUND',
  '409': 'RUN_NOT_RUNNING or IDEMPOTENCY_CONFLICT',
  '413': 'PAYLOAD_TOO_LARGE',
  '415': 'UNSUPPORTED_MEDIA_TYPE',
  '422': 'DAG_CYCLE, UNKNOWN_DEPENDENCY, DUPLICATE_TASK_ID, UNKNOWN_MODEL, CONTEXT_TOO_LARGE',
  '429': 'RATE_LIMITED (with Retry-After)',
};

function errors(...statuses: string[]): JsonObject {
  const responses: JsonObject = {};
  for (const status of statuses) {
    responses[status] = {
      description: ERROR_STATUSES[status] ?? 'error',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } },
    };
  }
  return responses;
}

function json(ref: string, description: string): JsonObject {
  return { description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } };
}

const runIdParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: 128 } };
const secured = [{ bearer: [] }];

/**
 * Builds the OpenAPI 3.1 document.
 * @public
 */
export function createOpenApiDocument(): JsonObject {
  return {
    openapi: '3.1.0',
    info: { title: 'agent-runtime sidecar', version: '1.0.0', description: 'Runs DAGs of LLM tasks with exact usage and cost.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        RunRequest: schemaOf(runSpecSchema, 'input'),
        AddTasksRequest: schemaOf(addTasksRequestSchema, 'input'),
        EstimateRequest: schemaOf(estimateRequestSchema, 'input'),
        Run: schemaOf(runSchema, 'output'),
        RunList: schemaOf(runListResponseSchema, 'output'),
        EstimateResponse: schemaOf(estimateResponseSchema, 'output'),
        ModelList: schemaOf(modelListResponseSchema, 'output'),
        ErrorBody: schemaOf(errorBodySchema, 'output'),
        RuntimeEvent: schemaOf(runtimeEventSchema, 'output'),
      },
    },
    security: secured,
    paths: {
      '/v1/runs': {
        post: {
          summary: 'Validate and start a run',
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/RunRequest' } } } },
          responses: {
            '201': json('Run', 'Run started'),
            '200': json('Run', 'Existing run of the same idempotency key'),
            ...errors('400', '401', '402', '403', '409', '413', '415', '422', '429'),
          },
        },
        get: {
          summary: "The tenant's runs, newest first",
          parameters: [
            { name: 'state', in: 'query', schema: { type: 'string', enum: ['pending', 'running', 'completed', 'failed', 'aborted'] } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
          ],
          responses: { '200': json('RunList', 'A page of runs'), ...errors('400', '401') },
        },
      },
      '/v1/runs/{id}': {
        get: { summary: 'Current state of a run', parameters: [runIdParameter], responses: { '200': json('Run', 'The run'), ...errors('401', '404') } },
      },
      '/v1/runs/{id}/tasks': {
        post: {
          summary: 'Add tasks to a running run',
          parameters: [runIdParameter],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/AddTasksRequest' } } } },
          responses: { '202': json('Run', 'Tasks added'), ...errors('400', '401', '403', '404', '409', '413', '415', '422', '429') },
        },
      },
      '/v1/runs/{id}/abort': {
        post: { summary: 'Abort a run (idempotent)', parameters: [runIdParameter], responses: { '202': json('Run', 'Aborting'), ...errors('401', '404') } },
      },
      '/v1/runs/{id}/events': {
        get: {
          summary: 'Server-Sent Events of a run, replayed from the start or after Last-Event-ID / lastEventId',
          parameters: [
            runIdParameter,
            { name: 'lastEventId', in: 'query', schema: { type: 'integer', minimum: 0 } },
            { name: 'Last-Event-ID', in: 'header', schema: { type: 'integer', minimum: 0 } },
          ],
          responses: {
            '200': {
              description: 'id: seq, event: type, data: RuntimeEvent JSON; ends after run.completed / run.failed / run.aborted',
              content: { 'text/event-stream': { schema: { $ref: '#/components/schemas/RuntimeEvent' } } },
            },
            ...errors('400', '401', '404'),
          },
        },
      },
      '/v1/estimate': {
        post: {
          summary: 'Tokens and worst-case cost of one call',
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/EstimateRequest' } } } },
          responses: { '200': json('EstimateResponse', 'The estimate'), ...errors('400', '401', '413', '415', '422') },
        },
      },
      '/v1/models': { get: { summary: 'The model catalog', responses: { '200': json('ModelList', 'Models'), ...errors('401') } } },
      '/healthz': {
        get: { summary: 'Liveness and store/redis reachability', security: [], responses: { '200': { description: 'healthy' }, '503': { description: 'a dependency is down' } } },
      },
      '/metrics': { get: { summary: 'Prometheus metrics', security: [], responses: { '200': { description: 'text/plain exposition format' } } } },
      '/openapi.json': { get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } } },
    },
  };
}
