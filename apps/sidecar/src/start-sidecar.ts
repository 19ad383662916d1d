/**
 * Starts the sidecar process: config → runtime → server → listen → resume interrupted runs, and
 * graceful shutdown on SIGTERM/SIGINT.
 *
 * @remarks
 * Start order: the server listens before anything is resumed, so a start that fails (the port is
 * taken) executes nothing and rejects. Resume policy: after listening, every unfinished run whose
 * owner lease is absent or expired is resumed (`DurableOrchestrator.resumeAll`: completed tasks are
 * kept, in-flight ones retried, the dead owner's reservations released); runs another live process
 * holds are left to it, and a background sweep takes over runs whose owner dies later. A run that
 * cannot be resumed is logged with its error. Signals: the first SIGTERM/SIGINT drains and exits 0;
 * a second one during the drain is logged and ignored (a process group gets each signal twice from
 * a terminal or systemd); a third exits at once with 128 + the signal number. Shutdown: stop accepting connections (new requests get 503 while
 * closing), end event streams, hold new provider calls, let the calls in flight finish (up to
 * `shutdownTimeoutMs`) and their results be journaled, close the store, exit 0. Unfinished runs stay `running` in the journal and are resumed by the next start; held
 * calls never reached a provider, so nothing is billed twice. That is `shutdown.mode: drain`, the
 * default on SQLite and memory. On a shared store (PostgreSQL) the default is `handOver`: stop
 * accepting, close the orchestrator (it detaches every run, journals what is queued and releases
 * the leases), close the store — another replica resumes the runs at its next sweep
 * (`resumeIntervalMs`) instead of after the lease TTL; a call in flight is abandoned and its task
 * runs again there (a provider call that may be billed twice, never a task completed twice).
 */
import { constants as osConstants } from 'node:os';
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
  /**
   * Graceful stop: stop accepting, then either hand the runs over (`shutdown.mode: handOver`:
   * release their leases at once) or drain them up to the deadline (`drain`), close the store.
   */
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
 * Starts listening, then resumes interrupted runs.
 * @throws the listen error (`EADDRINUSE`…) after releasing everything; nothing was resumed.
 * @public
 */
export async function startSidecar(config: ResolvedConfig, options: StartSidecarOptions = {}): Promise<RunningSidecar> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'agent-runtime-sidecar' } });
  const authenticator: Authenticator = createAuthenticator({ apiKeys: config.config.auth?.apiKeys ?? [], env: options.env ?? process.env });
  const metrics = createSidecarMetrics();
  const runtime = await createSidecarRuntime(config, {
    env: options.env ?? process.env,
    ...options.overrides,
    llmTimings: {
      call: (provider, model, seconds, outcome) => metrics.llmCall(provider, model, seconds, outcome),
      firstToken: (provider, model, seconds) => metrics.llmFirstToken(provider, model, seconds),
    },
    onUsage: (record) => {
      metrics.cost(record.model ?? 'unknown', record.cost);
      options.overrides?.onUsage?.(record);
    },
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
  // Listen first: a process that cannot serve (EADDRINUSE) must not execute anything.
  let address: string;
  try {
    address = await server.app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await server.app.close();
    server.observer.close();
    await runtime.close();
    throw error;
  }
  const resumed: string[] = [];
  const resumeInterrupted = async (): Promise<void> => {
    const report = await runtime.resumeInterrupted();
    for (const runId of report.resumed) {
      server.observer.watch(runId);
      resumed.push(runId);
      logger.info({ runId }, 'run resumed');
    }
    for (const failure of report.failed) logger.error({ runId: failure.runId, err: failure.error }, 'run could not be resumed');
  };
  await resumeInterrupted();
  // Runs whose owner died recently are taken over once their lease expires.
  let sweeping = false;
  const sweep = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    resumeInterrupted()
      .catch((error: unknown) => logger.error({ err: error }, 'resume sweep failed'))
      .finally(() => {
        sweeping = false;
      });
  }, config.resumeIntervalMs);
  sweep.unref();
  logger.info({ url: address, auth: authenticator.enabled, store: config.store.kind, resumed: resumed.length }, 'sidecar listening');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(sweep);
      if (config.shutdownMode === 'handOver') {
        logger.info({ activeRuns: server.observer.watching, callsInFlight: runtime.callsInFlight, mode: 'handOver' }, 'shutting down');
        await server.app.close();
        // The orchestrator detaches every run, writes what is queued and releases the leases: the
        // replicas sharing the store resume them at their next sweep, not after the lease TTL.
        // Calls in flight are abandoned; their tasks run again where the run resumes.
        server.observer.close();
        await runtime.close();
        logger.info({ handedOver: true }, 'stopped');
        return;
      }
      const deadline = Date.now() + config.shutdownTimeoutMs;
      logger.info({ activeRuns: server.observer.watching, callsInFlight: runtime.callsInFlight, deadlineMs: config.shutdownTimeoutMs, mode: 'drain' }, 'shutting down');
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
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals += 1;
      if (signals === 1) {
        logger.info({ signal }, 'signal received; draining');
        stop().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
        return;
      }
      // A terminal or systemd signals the whole process group: the same Ctrl-C or SIGTERM often
      // arrives twice. Only a third one means "stop now".
      if (signals === 2) {
        logger.warn({ signal }, 'signal received while draining; ignored (send it once more to stop at once)');
        return;
      }
      logger.warn({ signal }, 'third signal: stopping without finishing the drain');
      process.exit(128 + (osConstants.signals[signal] ?? 0));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  return { server, runtime, url: address, resumed, stop };
}
