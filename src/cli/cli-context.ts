import type { Runtime, RuntimeOptions } from "../runtime.js";

/** Global options shared by every command. */
export interface GlobalOptions {
  config?: string;
}

/** Streams and environment a command uses; injected so tests can drive commands in-process. */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
}

/** Builds the runtime for a command (imported lazily so `--version` and `--help` stay fast). */
export async function openRuntime(io: CliIo, options: GlobalOptions): Promise<Runtime> {
  const { createRuntime } = await import("../runtime.js");
  const runtimeOptions: RuntimeOptions = {
    cwd: io.cwd,
    env: io.env,
    log: (level, message) => io.stderr.write(`${level === "info" ? "" : `${level}: `}${message}\n`),
  };
  if (options.config !== undefined) runtimeOptions.configFile = options.config;
  return createRuntime(runtimeOptions);
}
