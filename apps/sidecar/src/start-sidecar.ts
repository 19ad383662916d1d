/**
 * Starts the sidecar process: config → runtime → server → resume interrupted runs → listen, and
 * graceful shutdown on SIGTERM/SIGINT.
 *
 * @remarks
 * Resume policy: on start every run the journal holds as `running` or `pending` is resumed with
 * `Orchestrator.resume` (completed tasks are kept, in-flight ones retried, the dead process's
 * reservations released). A run that cannot be resumed is logged with its error and left as the
 * orchestrator reports it. Shutdown: stop accepting connections (new requests get 503 while
 * closing), end event streams, hold new provider calls, let the calls in flight finish (up to
 * `shutdownTimeoutMs`) and their results be journaled, close the store, exit 0. Unfinished runs stay `running` in the journal and are resumed by the next start; held
 * calls never reached a provider, so nothing is billed twice.
 */
import { pino, type Logger } from 'pino';
import { createAuthenticator, type Authenticator } from './auth/authenticator.js';
import type { ResolvedConfig } from './config/load-config.js';
import { createServer, type SidecarServer } from './http/create-server.js';
import { createSidecarMetrics } from './observability/sidecar-metrics.js';
import { createSidecarRuntime, type SidecarRuntimeOverrides } from './runtime/create-sidecar-runtime.js';
import type { SidecarRuntime } from './runtime/sidecar-runtime.js';

/**
 * A running sidecar.
 * @public
 */
export interface RunningSidecar {
  /** The server. */
  readonly server: SidecarServer;
  /** The domain services. */
  readonly runtime: SidecarRuntime;
  /** `http://host:port`. */
  readonly url: string;
  /** Runs resumed at start. */
  readonly resumed: readonly string[];
  /** Graceful stop: stop accepting, drain runs up to the deadline, close the store. */
  stop(): Promise<void>;
}

/**
 * Options of {@link startSidecar}.
 * @public
 */
export interface StartSidecarOptions {
  /** Install SIGTERM/SIGINT handlers that stop and exit 0. @defaultValue false */
  readonly handleSignals?: boolean;
  /** Logger. @defaultValue pino at the configured level, to stdout */
  readonly logger?: Logger;
  /** Replacements for parts of the runtime (tests, demo). */
  readonly overrides?: SidecarRuntimeOverrides;
  /** Environment for `keyEnv` lookups. @defaultValue `process.env` */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** No event for this long after the last call answered: its results are journaled. */
const QUIET_MS = 200;

async function drain(server: SidecarServer, runtime: SidecarRuntime, deadline: number): Promise<boolean> {
  runtime.drain();
  for (;;) {
    const settled = runtime.callsInFlight === 0 && (server.observer.watching === 0 || performance.now() - server.observer.lastEventAt >= QUIET_MS);
    if (settled) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Starts listening and resumes interrupted runs.
 * @public
 */
export async function startSidecar(config: ResolvedConfig, options: StartSidecarOptions = {}): Promise<RunningSidecar> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'agent-runtime-sidecar' } });
  const authenticator: Authenticator = createAuthenticator({ apiKeys: config.config.auth?.apiKeys ?? [], env: options.env ?? process.env });
  const metrics = createSidecarMetrics();
  const runtime = await createSidecarRuntime(config, {
    env: options.env ?? process.env,
    ...options.overrides,
    onThrottle: (rule) => {
      metrics.throttled(rule);
      options.overrides?.onThrottle?.(rule);
    },
    onProviderEvent: (event) => {
      if (event.type === 'provider.circuit') metrics.circuit(event.provider, event.model, event.to);
      options.overrides?.onProviderEvent?.(event);
    },
  });
  let server: SidecarServer;
  try {
    server = await createServer({ runtime, authenticator, bodyLimitBytes: config.bodyLimitBytes, logger, metrics, eventStreamLimits: config.eventStreams, responseLimitBytes: config.responseLimitBytes });
  } catch (error) {
    await runtime.close();
    throw error;
  }
  const resumed: string[] = [];
  const interrupted = [...(await runtime.store.findRunsByState('running')), ...(await runtime.store.findRunsByState('pending'))];
  for (const record of interrupted) {
    try {
      await runtime.orchestrator.resume(record.id);
      server.observer.watch(record.id);
      resumed.push(record.id);
      logger.info({ runId: record.id, tenant: record.tenant }, 'run resumed');
    } catch (error) {
      logger.error({ err: error, runId: record.id }, 'run could not be resumed');
    }
  }
  const address = await server.app.listen({ host: config.host, port: config.port });
  logger.info({ url: address, auth: authenticator.enabled, store: config.store.kind, resumed: resumed.length }, 'sidecar listening');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const deadline = Date.now() + config.shutdownTimeoutMs;
      logger.info({ activeRuns: server.observer.watching, callsInFlight: runtime.callsInFlight, deadlineMs: config.shutdownTimeoutMs }, 'shutting down');
      await server.app.close();
      const drained = await drain(server, runtime, deadline);
      if (!drained) logger.warn({ callsInFlight: runtime.callsInFlight }, 'deadline reached with provider calls in flight; their tasks are retried at next start');
      if (server.observer.watching > 0) logger.info({ unfinishedRuns: server.observer.watching }, 'unfinished runs stay journaled as running and resume at next start');
      server.observer.close();
      await runtime.close();
      logger.info('stopped');
    })();
    return stopping;
  };

  if (options.handleSignals === true) {
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'signal received');
      stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return { server, runtime, url: address, resumed, stop };
}
