/**
 * The fastify server of the HTTP API (HTTP-API.md), testable without a port via `inject`.
 *
 * @remarks
 * fastify 5: schema-less routes (bodies are validated with the contracts' zod schemas so the
 * wire contract has one source of truth), a JSON-only content-type parser (anything else is 415),
 * one error handler producing the `{error: {code, message, details}}` envelope.
 */
import type { ServerResponse } from 'node:http';
import { asRunId, RuntimeError, type RunSpec, type RunState } from '@runtime/contracts';
import { addTasksRequestSchema, estimateRequestSchema, parseOrThrow, runSpecSchema, taskInputRequestSchema } from '@runtime/contracts/schemas';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ValidationError } from '@runtime/contracts';
import type { Authenticator, Principal } from '../auth/authenticator.js';
import { createRunObserver, type RunObserver } from '../observability/run-observer.js';
import { createSidecarMetrics, type SidecarMetrics } from '../observability/sidecar-metrics.js';
import { traceHeaders } from '../observability/trace-context.js';
import type { SidecarRuntime } from '../runtime/sidecar-runtime.js';
import { clientErrorResponse, toErrorResponse } from './error-response.js';
import { estimateCall } from './estimate-call.js';
import { DEFAULT_EVENT_STREAM_LIMITS, pipeEventStream, sharedSlicer, type EventStreamLimits } from './event-stream.js';
import { createRunEventSource } from './run-event-source.js';
import { createOpenApiDocument } from './openapi-document.js';
import {
  abortBodySchema,
  eventsQuerySchema,
  idempotencyKeyHeaderSchema,
  lastEventIdHeaderSchema,
  runListQuerySchema,
  runQuerySchema,
  taskListQuerySchema,
} from './request-schemas.js';
import type { TaskPageQuery } from './run-views.js';
import { createRunService, type RunService } from './run-service.js';

/**
 * Options of {@link createServer}.
 * @public
 */
export interface CreateServerOptions {
  /** Domain services. */
  readonly runtime: SidecarRuntime;
  /** API keys → tenants. */
  readonly authenticator: Authenticator;
  /** Largest request body. @defaultValue 1048576 */
  readonly bodyLimitBytes?: number;
  /** Structured logger (keys are never logged). */
  readonly logger: Logger;
  /** Metrics registry. @defaultValue a fresh one */
  readonly metrics?: SidecarMetrics;
  /** Largest response body (run views with outputs, task pages). @defaultValue 8388608 */
  readonly responseLimitBytes?: number;
  /** Bounds of each event-stream subscriber. @defaultValue {@link DEFAULT_EVENT_STREAM_LIMITS} */
  readonly eventStreamLimits?: Partial<EventStreamLimits>;
}

/**
 * The server plus what its lifecycle needs.
 * @public
 */
export interface SidecarServer {
  /** The fastify instance (`inject`, `listen`, `close`). */
  readonly app: FastifyInstance;
  /** Run operations (used to watch resumed runs). */
  readonly runs: RunService;
  /** Event → metrics/logs/spans. */
  readonly observer: RunObserver;
  /** Metrics. */
  readonly metrics: SidecarMetrics;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

const PUBLIC_PATHS = new Set(['/healthz', '/metrics', '/openapi.json']);

function parseJson(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message: `Request body is not valid JSON: ${(error as Error).message}`,
      details: { issues: [{ path: '', message: 'invalid JSON' }] },
      cause: error,
    });
  }
}

/**
 * The `Idempotency-Key` header is the body's `idempotencyKey`: either may be given; both must agree.
 */
function withIdempotencyHeader(spec: RunSpec, header: string | string[] | undefined): RunSpec {
  if (header === undefined) return spec;
  if (Array.isArray(header)) {
    throw new ValidationError({ code: 'VALIDATION_FAILED', message: 'Idempotency-Key header given more than once.', details: { issues: [{ path: 'Idempotency-Key', message: 'repeated' }] } });
  }
  const key = parseOrThrow(idempotencyKeyHeaderSchema, header, 'Idempotency-Key header');
  if (spec.idempotencyKey !== undefined && spec.idempotencyKey !== key) {
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message: 'The Idempotency-Key header and the body field idempotencyKey differ.',
      details: { issues: [{ path: 'idempotencyKey', message: 'differs from the Idempotency-Key header' }] },
    });
  }
  return { ...spec, idempotencyKey: key };
}

/** Query parameters sent empty (`?state=&limit=`) mean "not given". */
function withoutEmpty(query: unknown): unknown {
  if (typeof query !== 'object' || query === null) return query;
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== ''));
}

function principalOf(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (principal === undefined) throw new RuntimeError({ code: 'INTERNAL', message: 'Request was not authenticated.' });
  return principal;
}

/**
 * Creates the server (not listening).
 * @example
 * ```ts
 * const { app } = await createServer({ runtime, authenticator: createAuthenticator(), logger });
 * const response = await app.inject({ method: 'GET', url: '/v1/models' });
 * ```
 * @public
 */
export async function createServer(options: CreateServerOptions): Promise<SidecarServer> {
  const { runtime, authenticator, logger } = options;
  const metrics = options.metrics ?? createSidecarMetrics();
  const observer = createRunObserver({ orchestrator: runtime.orchestrator, metrics, logger });
  const runs = createRunService({ runtime, observer, metrics, responseLimitBytes: options.responseLimitBytes ?? 8_388_608 });
  const openApi = JSON.stringify(createOpenApiDocument());
  const eventStreamLimits: EventStreamLimits = { ...DEFAULT_EVENT_STREAM_LIMITS, ...options.eventStreamLimits };
  const eventSource = createRunEventSource({
    store: runtime.store,
    orchestrator: runtime.orchestrator,
    slicer: sharedSlicer,
    maxLagEvents: eventStreamLimits.maxLagEvents,
    ...(eventStreamLimits.journalPollMs === undefined ? {} : { journalPollMs: eventStreamLimits.journalPollMs }),
  });
  const streams = new Set<ServerResponse>();
  let stopStreams: () => void = () => undefined;
  const streamsStopped = new Promise<void>((resolve) => {
    stopStreams = resolve;
  });

  const fastifyLogger: FastifyBaseLogger = logger;
  const app = Fastify({
    loggerInstance: fastifyLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes ?? 1_048_576,
    routerOptions: { maxParamLength: 16_384 },
    return503OnClosing: true,
    frameworkErrors: (error, _request, reply) => {
      const response = toErrorResponse(error);
      const raw: FastifyReply = reply;
      void raw.code(response.status).headers(response.headers).send(response.body);
    },
    clientErrorHandler: (error, socket) => {
      // A socket that already answered or went away gets nothing more.
      if (socket.writable && !socket.destroyed) socket.end(clientErrorResponse(error));
      else socket.destroy();
    },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJson(typeof body === 'string' ? body : body.toString('utf8')));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.setErrorHandler((error, request, reply) => {
    const response = toErrorResponse(error);
    if (response.status >= 500) request.log.error({ err: error, url: request.routeOptions.url }, 'request failed');
    void reply.code(response.status).headers(response.headers).send(response.body);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = (request.url.split('?')[0] ?? '').slice(0, 256);
    void reply.code(404).send({
      error: { code: 'ROUTE_NOT_FOUND', message: `No endpoint ${request.method} ${path}.`, details: { method: request.method, path } },
    });
  });

  app.addHook('onRequest', (request, _reply, done) => {
    const path = request.url.split('?')[0] ?? '';
    // Unknown routes answer 404 ROUTE_NOT_FOUND whoever asks: nothing is behind them.
    if (PUBLIC_PATHS.has(path) || request.routeOptions.url === undefined) {
      done();
      return;
    }
    try {
      request.principal = authenticator.authenticate(request.headers.authorization);
      done();
    } catch (error) {
      done(error as Error);
    }
  });
  app.addHook('onResponse', (request, reply, done) => {
    metrics.request(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.addHook('preClose', (done) => {
    stopStreams();
    for (const response of streams) if (!response.writableEnded) response.end();
    done();
  });

  app.post('/v1/runs', async (request, reply) => {
    const spec = withIdempotencyHeader(parseOrThrow(runSpecSchema, request.body, 'run request'), request.headers['idempotency-key']);
    const { run, created } = await runs.create(principalOf(request), spec, traceHeaders(request.headers));
    request.log.info({ runId: run.id, tenant: principalOf(request).tenant, tasks: run.taskCount ?? run.tasks.length, created }, created ? 'run created' : 'idempotent replay');
    if (created) void reply.header('location', `/v1/runs/${encodeURIComponent(run.id)}`);
    return reply.code(created ? 201 : 200).send(run);
  });

  app.get('/v1/runs', async (request) => {
    const query = parseOrThrow(runListQuerySchema, withoutEmpty(request.query), 'query');
    const params: { state?: RunState; limit?: number; cursor?: string } = {};
    if (query.state !== undefined) params.state = query.state;
    if (query.limit !== undefined) params.limit = query.limit;
    if (query.cursor !== undefined) params.cursor = query.cursor;
    return runs.list(principalOf(request), params);
  });

  app.get<{ Params: { id: string } }>('/v1/runs/:id', async (request, reply) => {
    const query = parseOrThrow(runQuerySchema, withoutEmpty(request.query), 'query');
    const json = await runs.getJson(principalOf(request), request.params.id, query.include === 'outputs');
    return reply.type('application/json; charset=utf-8').send(json);
  });

  app.get<{ Params: { id: string } }>('/v1/runs/:id/tasks', async (request) => {
    const principal = principalOf(request);
    await runs.owned(principal, request.params.id);
    const query = parseOrThrow(taskListQuerySchema, withoutEmpty(request.query), 'query');
    const params: { -readonly [K in keyof TaskPageQuery]: TaskPageQuery[K] } = {};
    if (query.state !== undefined) params.state = query.state;
    if (query.limit !== undefined) params.limit = query.limit;
    if (query.cursor !== undefined) params.cursor = query.cursor;
    return runs.tasks(principal, request.params.id, params);
  });

  app.get<{ Params: { id: string; taskId: string } }>('/v1/runs/:id/tasks/:taskId', async (request) =>
    runs.task(principalOf(request), request.params.id, request.params.taskId),
  );

  app.post<{ Params: { id: string; taskId: string } }>('/v1/runs/:id/tasks/:taskId/input', async (request, reply) => {
    const principal = principalOf(request);
    await runs.owned(principal, request.params.id);
    const body = parseOrThrow(taskInputRequestSchema, request.body, 'input request');
    const task = await runs.provideInput(principal, request.params.id, request.params.taskId, body);
    request.log.info({ runId: request.params.id, taskId: task.id, tenant: principal.tenant }, 'task input provided');
    return reply.code(202).send(task);
  });

  app.post<{ Params: { id: string } }>('/v1/runs/:id/tasks', async (request, reply) => {
    const principal = principalOf(request);
    await runs.owned(principal, request.params.id);
    const body = parseOrThrow(addTasksRequestSchema, request.body, 'add-tasks request');
    const run = await runs.addTasks(principal, request.params.id, body.tasks);
    return reply.code(202).send(run);
  });

  app.post<{ Params: { id: string } }>('/v1/runs/:id/abort', async (request, reply) => {
    const principal = principalOf(request);
    await runs.owned(principal, request.params.id);
    parseOrThrow(abortBodySchema, request.body, 'abort request');
    const run = await runs.abort(principal, request.params.id);
    return reply.code(202).send(run);
  });

  app.get<{ Params: { id: string } }>('/v1/runs/:id/events', async (request, reply: FastifyReply) => {
    const runId = await runs.owned(principalOf(request), request.params.id);
    const query = parseOrThrow(eventsQuerySchema, withoutEmpty(request.query), 'query');
    const header = request.headers['last-event-id'];
    const fromHeader = typeof header === 'string' && header !== '' ? parseOrThrow(lastEventIdHeaderSchema, header, 'Last-Event-ID header') : undefined;
    const afterSeq = fromHeader ?? query.lastEventId ?? 0;
    reply.hijack();
    const response = reply.raw;
    streams.add(response);
    metrics.eventStreams(1);
    try {
      const outcome = await pipeEventStream(response, eventSource.frames(asRunId(runId), afterSeq), { stop: streamsStopped, limits: eventStreamLimits });
      if (outcome === 'slow') {
        metrics.eventStreamClosedSlow();
        request.log.warn({ runId, tenant: principalOf(request).tenant }, 'event stream subscriber stayed behind and was closed');
      }
    } catch (error) {
      request.log.error({ err: error, runId }, 'event stream failed');
      if (!response.writableEnded) response.end();
    } finally {
      metrics.eventStreams(-1);
      streams.delete(response);
    }
  });

  app.post('/v1/estimate', (request, reply) => {
    principalOf(request);
    return reply.send(estimateCall(runtime, parseOrThrow(estimateRequestSchema, request.body, 'estimate request')));
  });

  app.get('/v1/models', (request, reply) => {
    principalOf(request);
    return reply.send({ items: runtime.catalog.list() });
  });

  app.get('/healthz', async (_request, reply) => {
    const checks = await runtime.health();
    const ok = Object.values(checks).every((check) => check.ok);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  app.get('/openapi.json', async (_request, reply) => reply.type('application/json; charset=utf-8').send(openApi));

  await app.ready();
  return { app, runs, observer, metrics };
}
