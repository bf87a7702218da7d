import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Scope } from "../../src/core/scope.js";
import type { ToolContext } from "../../src/tools/tool.js";

/** Repo root (vitest runs from it). */
export const repoRoot = process.cwd();

/** Absolute path of an installed MCP reference server's entry point. */
export function referenceServer(name: "server-filesystem" | "server-memory" | "server-everything"): string {
  return resolve(repoRoot, "node_modules/@modelcontextprotocol", name, "dist/index.js");
}

/** A ToolContext for tests. */
export function toolContext(scope: Scope, signal: AbortSignal = new AbortController().signal): ToolContext {
  return { scope, sessionId: "s1", runId: "r1", toolCallId: "call-1", signal };
}

/** A fresh temp dir `pluto-<label>-…`; remove it with `rm(dir, { recursive: true, force: true })`. */
export function tempDir(label: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `pluto-${label}-`));
}

export async function removeDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts server-everything in `mode` ("streamableHttp" or "sse") on a free port as a child process and
 * waits until it listens (its stderr says "listening on port" / "running on port").
 */
export async function startEverythingServer(
  mode: "streamableHttp" | "sse",
): Promise<{ port: number; process: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [referenceServer("server-everything"), mode], {
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  await new Promise<void>((ready, fail) => {
    let output = "";
    const timer = setTimeout(() => fail(new Error(`server-everything did not start: ${output}`)), 15_000);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (/listening on port|running on port/i.test(output)) {
        clearTimeout(timer);
        ready();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`server-everything exited with ${code}: ${output}`));
    });
  });
  return {
    port,
    process: child,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once("exit", () => done());
        child.kill("SIGTERM");
      }),
  };
}
