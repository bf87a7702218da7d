import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** Absolute path of the built `pluto` binary (tests run after `npm run build`). */
export const PLUTO_BIN = resolve(import.meta.dirname, "../../bin/pluto.js");

/** Output of a finished `pluto` process. */
export interface PlutoResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options for running the binary. */
export interface PlutoProcessOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  /** Written to stdin, then stdin is closed. */
  input?: string;
  /** Kill after this many ms. @default 30000 */
  timeoutMs?: number;
}

function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(OPENAI|ANTHROPIC|OPENROUTER|OLLAMA)_/.test(key)) env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Runs `pluto ARGS` to completion as a subprocess of the current Node binary. */
export function runPluto(args: string[], options: PlutoProcessOptions): Promise<PlutoResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [PLUTO_BIN, ...args], {
      cwd: options.cwd,
      env: childEnv(options.env),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}

/** A running `pluto serve`. */
export interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** Everything the server wrote to stderr so far. */
  stderr: () => string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL (a crash) and wait for exit. */
  kill(): Promise<void>;
}

/** Starts `pluto serve --port 0 ARGS` and resolves once it prints its URL. */
export function startServe(options: PlutoProcessOptions & { args?: string[] }): Promise<ServeProcess> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [PLUTO_BIN, "serve", "--port", "0", ...(options.args ?? [])], {
      cwd: options.cwd,
      env: childEnv(options.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`pluto serve did not start in time.\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const match = /Pluto listening on (\S+)/.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolvePromise({
          url: match[1],
          child,
          stderr: () => stderr,
          stop: async () => {
            child.kill("SIGTERM");
            return exited;
          },
          kill: async () => {
            child.kill("SIGKILL");
            await exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`pluto serve exited with ${code}.\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
  });
}

/** A running `pluto worker`. */
export interface WorkerProcess {
  /** The worker id it printed (the lease owner of its jobs). */
  id: string;
  child: ChildProcess;
  stderr: () => string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL (a crash) and wait for exit. */
  kill(): Promise<void>;
}

/** Starts `pluto worker ARGS` and resolves once it prints `Pluto worker ID running …`. */
export function startWorker(options: PlutoProcessOptions & { args?: string[] }): Promise<WorkerProcess> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [PLUTO_BIN, "worker", ...(options.args ?? [])], {
      cwd: options.cwd,
      env: childEnv(options.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let started = false;
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`pluto worker did not start in time.\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const match = /Pluto worker (\S+) running/.exec(stdout);
      if (match?.[1] && !started) {
        started = true;
        clearTimeout(timer);
        resolvePromise({
          id: match[1],
          child,
          stderr: () => stderr,
          stop: async () => {
            child.kill("SIGTERM");
            return exited;
          },
          kill: async () => {
            child.kill("SIGKILL");
            await exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      if (!started)
        reject(new Error(`pluto worker exited with ${code}.\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
  });
}

/** A fresh temporary project directory; `cleanup` removes it. */
export async function tempProject(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "pluto-e2e-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** One parsed SSE frame. */
export interface SseFrame {
  id?: string;
  event?: string;
  data: string;
}

/** Parses a complete SSE body into frames (comments and retry lines ignored). */
export function parseSse(body: string): SseFrame[] {
  const frames: SseFrame[] = [];
  for (const block of body.split(/\r?\n\r?\n/)) {
    if (block.trim() === "") continue;
    const frame: SseFrame = { data: "" };
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      const index = line.indexOf(":");
      if (index <= 0) continue;
      const field = line.slice(0, index);
      const value = line.slice(index + 1).replace(/^ /, "");
      if (field === "id") frame.id = value;
      else if (field === "event") frame.event = value;
      else if (field === "data") data.push(value);
    }
    frame.data = data.join("\n");
    if (data.length > 0) frames.push(frame);
  }
  return frames;
}

/** A response body parsed as JSON, loosely typed for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions inspect arbitrary JSON
export async function jsonOf(response: Response): Promise<any> {
  return response.json();
}
