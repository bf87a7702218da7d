import { PlutoError } from "../../core/errors.js";
import { type CliIo, type GlobalOptions, openRuntime } from "../cli-context.js";
import { untilStopSignal } from "../stop-signal.js";

/**
 * `pluto serve`: starts the HTTP API and runs until SIGINT/SIGTERM, then stops gracefully
 * (stops listening, aborts nothing: open runs keep their session logs consistent because every event
 * is appended before it is sent; job workers claim nothing more and the jobs in hand end first).
 * Runs `jobs.concurrency` job workers beside the API (docs/jobs.md). Prints one line `Pluto listening on URL` once ready.
 */
export async function serveCommand(
  io: CliIo,
  globals: GlobalOptions,
  options: { host?: string; port?: string },
): Promise<number> {
  const runtime = await openRuntime(io, globals);
  const { createApp } = await import("../../server/app.js");
  const { startServer } = await import("../../server/start-server.js");
  const { createWebSocketServer } = await import("../../server/websocket/websocket-server.js");
  const port = options.port === undefined ? runtime.config.server.port : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    await runtime.close();
    throw new PlutoError(
      "CONFIG_INVALID",
      `--port must be an integer from 0 to 65535, not ${JSON.stringify(options.port)}.`,
    );
  }
  let ready = false;
  const settings = runtime.config.server;
  const authToken = runtime.config.server.auth.token;
  const app = createApp({
    agents: runtime.agents,
    runs: runtime.runs,
    sessions: runtime.sessions,
    artifacts: runtime.artifacts,
    tasks: runtime.tasks,
    jobs: runtime.jobs,
    apiKeys: runtime.apiKeys,
    agentFolders: runtime.agents,
    mcpPolicy: runtime.mcpPolicy,
    ...(runtime.agentStore === undefined ? {} : { agentStore: runtime.agentStore }),
    ...(settings.publicUrl === undefined ? {} : { publicUrl: settings.publicUrl }),
    ...(settings.defaultAgent === undefined ? {} : { defaultAgent: settings.defaultAgent }),
    allowedHosts: settings.allowedHosts,
    ...(settings.limits.requestsPerMinute === undefined
      ? {}
      : { rateLimitPerMinute: settings.limits.requestsPerMinute }),
    ...(settings.limits.concurrentRunsPerTenant === undefined
      ? {}
      : { maxConcurrentRunsPerTenant: settings.limits.concurrentRunsPerTenant }),
    maxStreams: settings.limits.streams,
    ...(settings.limits.streamsPerTenant === undefined
      ? {}
      : { maxStreamsPerTenant: settings.limits.streamsPerTenant }),
    slowReaderTimeoutMs: settings.limits.slowReaderTimeoutMs,
    maxBodyBytes: runtime.config.server.maxBodyBytes,
    ready: () => ready,
    onUnexpectedError: (error) =>
      io.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`),
    ...(authToken === undefined ? {} : { authToken }),
  });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(app, {
      host: options.host ?? runtime.config.server.host,
      port,
      ...(authToken === undefined ? {} : { authToken }),
      timeouts: settings.timeouts,
      // `GET /api/v1/ws` (docs/websocket.md): frames are limited like request bodies.
      websocket: createWebSocketServer({ maxPayloadBytes: runtime.config.server.maxBodyBytes }),
    });
  } catch (error) {
    await runtime.close();
    throw error;
  }
  ready = true;
  // The job workers (`jobs.concurrency`, 0: none) run beside the API; `runtime.close` stops them.
  if (runtime.config.jobs.concurrency > 0) runtime.jobWorkers.start();
  io.stdout.write(`Pluto listening on ${server.url}\n`);

  await untilStopSignal();
  io.stderr.write("Stopping…\n");
  await server.close();
  await runtime.close();
  return 0;
}
