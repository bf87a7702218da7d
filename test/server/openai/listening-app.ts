import { createApp } from "../../../src/server/app.js";
import { type RunningServer, startServer } from "../../../src/server/start-server.js";
import { createRunHarness, type RunHarnessOptions } from "../../runs/run-harness.js";

/** Options of {@link startListeningApp}. */
export interface ListeningAppOptions extends RunHarnessOptions {
  authToken?: string;
  /** @default 65536 */
  maxBodyBytes?: number;
  /** Pass the harness's artifact store to the app (MCP resources). @default true */
  withArtifacts?: boolean;
}

/**
 * The real app (`createApp`) over a real RunManager with in-memory stores and a scripted model,
 * listening on 127.0.0.1 with a free port. Call `close()` when done.
 */
export async function startListeningApp(options: ListeningAppOptions) {
  const harness = createRunHarness(options);
  const unexpected: unknown[] = [];
  const app = createApp({
    agents: harness.catalog,
    runs: harness.runs,
    sessions: harness.sessions,
    ...(options.withArtifacts === false ? {} : { artifacts: harness.artifacts }),
    maxBodyBytes: options.maxBodyBytes ?? 65_536,
    ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
    ready: () => true,
    onUnexpectedError: (error) => unexpected.push(error),
  });
  const server: RunningServer = await startServer(app, {
    host: "127.0.0.1",
    port: 0,
    ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
  });
  return { ...harness, app, server, url: server.url, unexpected, close: () => server.close() };
}
