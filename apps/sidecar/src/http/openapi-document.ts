/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the contracts' zod schemas.
 */
import {
  addTasksRequestSchema,
  errorBodySchema,
  estimateRequestSchema,
  estimateResponseSchema,
  modelListResponseSchema,
  runSchema,
  runSpecSchema,
  runtimeEventSchema,
  taskInputRequestSchema,
  taskViewSchema as taskViewSchemaOfContracts,
} from '@runtime/contracts/schemas';
import { z } from 'zod';

type JsonObject = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonObject;
  delete json['$schema'];
  return json;
}

const ERROR_STATUSES: Readonly<Record<string, string>> = {
  '400': 'VALIDATION_FAILED (also malformed requests and bad URL encoding)',
  '401': 'UNAUTHENTICATED',
  '402': 'BUDGET_EXCEEDED',
  '403': 'POLICY_VIOLATION (details.rule: modelAllowlist, toolAllowlist naming details.task and details.tool, tier…)',
  '404': 'RUN_NOT_FOUND, TASK_NOT_FOUND or ROUTE_NOT_FOUND',
  '409': 'RUN_NOT_RUNNING, IDEMPOTENCY_CONFLICT, or RUN_OWNED (abort, add-tasks or input for a run another replica executes: its owner did not answer in time; retry)',
  '413': 'PAYLOAD_TOO_LARGE (request body, or a response over the response limit)',
  '415': 'UNSUPPORTED_MEDIA_TYPE',
  '422':
    'DAG_CYCLE, UNKNOWN_DEPENDENCY, DUPLICATE_TASK_ID, UNKNOWN_MODEL, CONTEXT_TOO_LARGE, or VALIDATION_FAILED for a task naming a tool (`tools`, `agent.tools`) the sidecar does not have (`details.task`, `details.tool`, `details.configured`) — 422, not 400: the request parses, the name is unknown here',
  '429': 'RATE_LIMITED (with Retry-After)',
  '431': 'HEADERS_TOO_LARGE',
};

/** Codes of the HTTP layer itself, added to the contracts' codes in `ErrorBody`. */
const HTTP_LAYER_CODES = ['ROUTE_NOT_FOUND', 'TASK_NOT_FOUND', 'HEADERS_TOO_LARGE', 'REQUEST_TIMEOUT'];

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

function json(ref: string, description: string, headers?: JsonObject): JsonObject {
  return { description, ...(headers === undefined ? {} : { headers }), content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } };
}

function object(value: unknown): JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {};
}

/** TaskView of v1.1: state `waiting` and the `waiting` object. */
function taskViewSchema(): JsonObject {
  const schema = schemaOf(taskViewSchemaOfContracts, 'output');
  const properties = object(schema['properties']);
  const state = object(properties['state']);
  const values = Array.isArray(state['enum']) ? (state['enum'] as unknown[]) : [];
  // The contracts' schema may already list `waiting` (v1.1): never twice.
  properties['state'] = { ...state, enum: [...new Set([...values, 'waiting'])] };
  properties['waiting'] = {
    type: 'object',
    description: 'Why the task waits (state `waiting`).',
    properties: {
      reason: { type: 'string', enum: ['budget', 'rateLimit', 'input'] },
      until: { type: 'string', format: 'date-time' },
      details: { type: 'object', additionalProperties: {} },
    },
    required: ['reason', 'details'],
    additionalProperties: false,
  };
  return { ...schema, properties };
}

/** Run of v1.1: tasks as TaskView references, `tasksTruncated` and `taskCount`. */
function runViewSchema(): JsonObject {
  const schema = schemaOf(runSchema, 'output');
  const properties = object(schema['properties']);
  properties['tasks'] = {
    type: 'array',
    description: 'Tasks in spec order, without outputs unless `?include=outputs`; the first 100 when `tasksTruncated`.',
    items: { $ref: '#/components/schemas/TaskView' },
  };
  properties['tasksTruncated'] = { type: 'boolean', const: true, description: 'Present when `tasks` lists only the first 100.' };
  properties['taskCount'] = { type: 'integer', minimum: 0, description: 'Number of tasks of the run, when `tasksTruncated`.' };
  return { ...schema, properties };
}

function errorBodySchemaWithHttpCodes(): JsonObject {
  const schema = schemaOf(errorBodySchema, 'output');
  const properties = object(schema['properties']);
  const error = object(properties['error']);
  const errorProperties = object(error['properties']);
  const code = object(errorProperties['code']);
  const values = Array.isArray(code['enum']) ? (code['enum'] as unknown[]) : [];
  errorProperties['code'] = { ...code, enum: [...new Set([...values, ...HTTP_LAYER_CODES])] };
  return { ...schema, properties: { ...properties, error: { ...error, properties: errorProperties } } };
}

const runIdParameter = { name: 'id', in: 'path', required: true, description: 'Run id.', schema: { type: 'string', minLength: 1, maxLength: 128 } };
const taskIdParameter = { name: 'taskId', in: 'path', required: true, description: 'Task id.', schema: { type: 'string', minLength: 1, maxLength: 128 } };
const secured = [{ bearer: [] }];
const locationHeader = { Location: { description: 'The new run: `/v1/runs/{id}`.', schema: { type: 'string' } } };
const retryAfterHeader = { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer', minimum: 1 } } };
const taskStates = ['pending', 'ready', 'running', 'waiting', 'completed', 'failed', 'skipped'];

/**
 * Options of {@link createOpenApiDocument}.
 * @public
 */
export interface OpenApiDocumentOptions {
  /** Base URL of the `servers` entry. @defaultValue `http://127.0.0.1:8787` */
  readonly serverUrl?: string;
}

/**
 * Builds the OpenAPI 3.1 document.
 * @public
 */
export function createOpenApiDocument(options: OpenApiDocumentOptions = {}): JsonObject {
  const rateLimited = { '429': { ...object(errors('429')['429']), headers: retryAfterHeader } };
  return {
    openapi: '3.1.0',
    info: {
      title: 'agent-runtime sidecar',
      version: '1.1.0',
      description: 'Runs DAGs of LLM tasks with exact usage and cost. Every error answers `{error: {code, message, details}}`.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: options.serverUrl ?? 'http://127.0.0.1:8787', description: 'The sidecar (default host and port)' }],
    tags: [
      { name: 'runs', description: 'Runs and their tasks' },
      { name: 'estimates', description: 'Costs before running' },
      { name: 'operations', description: 'Health, metrics and this document' },
    ],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key from the config; none when auth is off.' } },
      schemas: {
        RunRequest: schemaOf(runSpecSchema, 'input'),
        AddTasksRequest: schemaOf(addTasksRequestSchema, 'input'),
        EstimateRequest: schemaOf(estimateRequestSchema, 'input'),
        TaskInputRequest: {
          ...schemaOf(taskInputRequestSchema, 'input'),
          description:
            '`{decision: "approve"}`, `{decision: "reject", message?}` (the model gets TOOL_REJECTED with the message) or `{answer}` (the model gets the text as the result).',
        },
        Run: runViewSchema(),
        TaskView: taskViewSchema(),
        RunList: {
          type: 'object',
          properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Run' } }, nextCursor: { type: ['string', 'null'] } },
          required: ['items', 'nextCursor'],
          additionalProperties: false,
        },
        TaskPage: {
          type: 'object',
          properties: { items: { type: 'array', items: { $ref: '#/components/schemas/TaskView' } }, nextCursor: { type: ['string', 'null'] } },
          required: ['items', 'nextCursor'],
          additionalProperties: false,
        },
        EstimateResponse: schemaOf(estimateResponseSchema, 'output'),
        ModelList: schemaOf(modelListResponseSchema, 'output'),
        ErrorBody: errorBodySchemaWithHttpCodes(),
        RuntimeEvent: schemaOf(runtimeEventSchema, 'output'),
      },
    },
    security: secured,
    paths: {
      '/v1/runs': {
        post: {
          operationId: 'createRun',
          tags: ['runs'],
          summary: 'Validate and start a run',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              description: 'The same as the body field `idempotencyKey`; both given and different is 400.',
              schema: { type: 'string', minLength: 1, maxLength: 256 },
            },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/RunRequest' } } } },
          responses: {
            '201': json('Run', 'Run started', locationHeader),
            '200': json('Run', 'Existing run of the same idempotency key'),
            ...errors('400', '401', '402', '403', '409', '413', '415', '422'),
            ...rateLimited,
          },
        },
        get: {
          operationId: 'listRuns',
          tags: ['runs'],
          summary: "The tenant's runs, newest first (bounded views)",
          parameters: [
            { name: 'state', in: 'query', schema: { type: 'string', enum: ['pending', 'running', 'completed', 'failed', 'aborted'] } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
          ],
          responses: { '200': json('RunList', 'A page of runs'), ...errors('400', '401') },
        },
      },
      '/v1/runs/{id}': {
        get: {
          operationId: 'getRun',
          tags: ['runs'],
          summary: 'Current state of a run: without outputs, at most 100 tasks; `?include=outputs` for the v1 shape',
          parameters: [
            runIdParameter,
            {
              name: 'include',
              in: 'query',
              description: '`outputs`: every task with its output, or 413 over the response limit.',
              schema: { type: 'string', enum: ['outputs'] },
            },
          ],
          responses: { '200': json('Run', 'The run'), ...errors('400', '401', '404', '413') },
        },
      },
      '/v1/runs/{id}/tasks': {
        get: {
          operationId: 'listRunTasks',
          tags: ['runs'],
          summary: "The run's tasks in spec order with their outputs, paged (a page also stops before the response limit)",
          parameters: [
            runIdParameter,
            { name: 'state', in: 'query', schema: { type: 'string', enum: taskStates } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
          ],
          responses: { '200': json('TaskPage', 'A page of tasks'), ...errors('400', '401', '404', '413') },
        },
        post: {
          operationId: 'addRunTasks',
          tags: ['runs'],
          summary: 'Add tasks to a running run',
          parameters: [runIdParameter],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/AddTasksRequest' } } } },
          responses: { '202': json('Run', 'Tasks added'), ...errors('400', '401', '403', '404', '409', '413', '415', '422'), ...rateLimited },
        },
      },
      '/v1/runs/{id}/tasks/{taskId}': {
        get: {
          operationId: 'getRunTask',
          tags: ['runs'],
          summary: 'One task with its output',
          parameters: [runIdParameter, taskIdParameter],
          responses: { '200': json('TaskView', 'The task'), ...errors('401', '404', '413') },
        },
      },
      '/v1/runs/{id}/tasks/{taskId}/input': {
        post: {
          operationId: 'provideTaskInput',
          tags: ['runs'],
          summary: 'Answer a task waiting for input (an agent tool approval or question; `waiting.reason` `input`)',
          parameters: [runIdParameter, taskIdParameter],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/TaskInputRequest' } } } },
          responses: {
            '202': json('TaskView', 'The answer is journaled; the task goes on'),
            ...errors('400', '401', '404', '413', '415'),
            '409': {
              description: 'RUN_NOT_RUNNING: the task is not waiting for input (`details.state`)',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } },
            },
          },
        },
      },
      '/v1/runs/{id}/abort': {
        post: {
          operationId: 'abortRun',
          tags: ['runs'],
          summary: 'Abort a run (idempotent)',
          parameters: [runIdParameter],
          responses: { '202': json('Run', 'Aborting'), ...errors('400', '401', '404') },
        },
      },
      '/v1/runs/{id}/events': {
        get: {
          operationId: 'streamRunEvents',
          tags: ['runs'],
          summary: 'Server-Sent Events of a run, replayed from the start or after Last-Event-ID / lastEventId',
          description:
            'A subscriber that does not read is closed once its socket stays full (RUNTIME_SSE_STALL_TIMEOUT_MS) or it falls RUNTIME_SSE_MAX_LAG_EVENTS behind a live run; reconnect with Last-Event-ID. ' +
            'Tasks with `stream: true` (or a run policy `stream: true`) add live `task.delta` events (text and tool-call fragments, in order, `index` from 0 per attempt) sent without an `id:` line: ' +
            'they are not journaled, carry the seq of the latest journaled event, count in the same lag bound, and a replay (or a reconnect) has none — the final output is in the task (`GET /v1/runs/{id}/tasks/{taskId}`).',
          parameters: [
            runIdParameter,
            { name: 'lastEventId', in: 'query', schema: { type: 'integer', minimum: 0 } },
            { name: 'Last-Event-ID', in: 'header', description: 'Resume after this sequence number.', schema: { type: 'integer', minimum: 0 } },
          ],
          responses: {
            '200': {
              description: 'id: seq, event: type, data: RuntimeEvent JSON (task.delta: event and data only, no id); ends after run.completed / run.failed / run.aborted',
              content: { 'text/event-stream': { schema: { $ref: '#/components/schemas/RuntimeEvent' } } },
            },
            ...errors('400', '401', '404'),
          },
        },
      },
      '/v1/estimate': {
        post: {
          operationId: 'estimateCall',
          tags: ['estimates'],
          summary: 'Tokens and worst-case cost of one call',
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/EstimateRequest' } } } },
          responses: { '200': json('EstimateResponse', 'The estimate'), ...errors('400', '401', '413', '415', '422') },
        },
      },
      '/v1/models': {
        get: { operationId: 'listModels', tags: ['estimates'], summary: 'The model catalog', responses: { '200': json('ModelList', 'Models'), ...errors('401') } },
      },
      '/healthz': {
        get: {
          operationId: 'getHealth',
          tags: ['operations'],
          summary: 'Liveness and the reachability of each dependency: `{status, checks: {store: {ok, kind: sqlite|postgres|memory, error?}, redis?: {ok, kind: redis, error?}}}`',
          security: [],
          responses: { '200': { description: 'healthy' }, '503': { description: 'a dependency is down' }, ...errors('404') },
        },
      },
      '/metrics': {
        get: {
          operationId: 'getMetrics',
          tags: ['operations'],
          summary: 'Prometheus metrics',
          security: [],
          responses: { '200': { description: 'text/plain exposition format', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errors('404') },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApiDocument',
          tags: ['operations'],
          summary: 'This document',
          security: [],
          responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } }, ...errors('404') },
        },
      },
    },
  };
}
