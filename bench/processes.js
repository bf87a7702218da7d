/**
 * Child processes, temp dirs and /proc readings for the benchmark. Everything the benchmark starts or
 * creates is registered with one {@link Resources} so it is cleaned up even when a step fails or the
 * user presses Ctrl-C.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

/** Clock ticks per second of /proc/PID/stat times (`getconf CLK_TCK`, 100 when that fails). */
const CLOCK_TICKS = (() => {
  try {
    const value = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isInteger(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
})();

/** The child processes and temp dirs of one benchmark run. */
export class Resources {
  /** @type {Set<import("node:child_process").ChildProcess>} */
  #children = new Set();
  /** @type {Set<string>} */
  #dirs = new Set();
  /** @type {Array<() => Promise<void>>} */
  #closers = [];

  /**
   * Spawns a child with stdout/stderr piped; it is killed by {@link cleanup} if still running.
   * @param {string} command
   * @param {string[]} args
   * @param {import("node:child_process").SpawnOptions} [options]
   */
  spawn(command, args, options = {}) {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
    this.#children.add(child);
    child.once("exit", () => this.#children.delete(child));
    return child;
  }

  /**
   * Creates a temp dir under the OS temp dir (removed by {@link cleanup}).
   * @param {string} prefix e.g. `pluto-bench-`
   */
  tempDir(prefix) {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.#dirs.add(dir);
    return dir;
  }

  /** @param {() => Promise<void>} close called by {@link cleanup}, last registered first */
  onCleanup(close) {
    this.#closers.push(close);
  }

  /** Stops every child still running (SIGTERM, SIGKILL after 3 s), runs the closers, removes the temp dirs. */
  async cleanup() {
    await Promise.all([...this.#children].map((child) => stopChild(child, 3000)));
    for (const close of this.#closers.reverse()) await close().catch(() => {});
    this.#closers = [];
    for (const dir of this.#dirs) rmSync(dir, { recursive: true, force: true });
    this.#dirs.clear();
  }

  /** Last resort on process exit: SIGKILL the children and remove the temp dirs synchronously. */
  cleanupSync() {
    for (const child of this.#children) child.kill("SIGKILL");
    for (const dir of this.#dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Resolves with the exit code (or signal name) once `child` has exited.
 * @param {import("node:child_process").ChildProcess} child
 * @returns {Promise<number | string>}
 */
export function exited(child) {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
}

/**
 * Stops a child: SIGTERM, then SIGKILL when it has not exited after `graceMs`.
 * @param {import("node:child_process").ChildProcess} child
 * @param {number} [graceMs] @default 5000
 * @returns {Promise<boolean>} true when it exited on SIGTERM (a clean stop)
 */
export async function stopChild(child, graceMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  child.kill("SIGTERM");
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const clean = await Promise.race([
    exited(child).then(() => true),
    new Promise((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    }),
  ]);
  clearTimeout(timer);
  if (!clean) {
    child.kill("SIGKILL");
    await exited(child);
  }
  return /** @type {boolean} */ (clean);
}

/**
 * Waits for a line of the child's stdout matching `pattern`.
 * @param {import("node:child_process").ChildProcess} child
 * @param {RegExp} pattern
 * @param {number} timeoutMs
 * @returns {Promise<RegExpMatchArray>}
 * @throws {Error} on timeout or when the child exits first (with its stderr)
 */
export function waitForLine(child, pattern, timeoutMs) {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    const onStdout = (/** @type {Buffer} */ chunk) => {
      stdout += chunk.toString("utf8");
      for (const line of stdout.split("\n")) {
        const match = line.match(pattern);
        if (match !== null) {
          finish();
          resolve(match);
          return;
        }
      }
    };
    const onStderr = (/** @type {Buffer} */ chunk) => {
      stderr += chunk.toString("utf8");
    };
    const onExit = (/** @type {number | null} */ code) => {
      finish();
      reject(new Error(`child exited (${code}) before printing ${pattern}: ${stderr.slice(-2000)}`));
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      child.stdout?.off("data", onStdout);
      child.stderr?.off("data", onStderr);
      child.off("exit", onExit);
      // Keep draining the pipes so a chatty child never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
    };
    child.stdout?.on("data", onStdout);
    child.stderr?.on("data", onStderr);
    child.once("exit", onExit);
  });
}

/** A free TCP port on 127.0.0.1 (bound and released; another process could take it in between). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Resident memory of a process from /proc/PID/status.
 * @param {number} pid
 * @returns {{ rssMb: number; hwmMb: number }} VmRSS (now) and VmHWM (peak), in MiB
 */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (/** @type {string} */ field) =>
    Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))?.[1]);
  return { rssMb: kib("VmRSS") / 1024, hwmMb: kib("VmHWM") / 1024 };
}

/**
 * CPU time a process has used so far (user + system, all threads), from /proc/PID/stat.
 * @param {number} pid
 * @returns {number} milliseconds (resolution: one clock tick, usually 10 ms)
 */
export function cpuMsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLOCK_TICKS;
}

/**
 * Whole-machine CPU counters from /proc/stat, for utilisation over an interval.
 * @returns {{ busy: number; total: number }} clock ticks summed over all cores
 */
export function machineCpu() {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * CPU time of this process and of its children that have exited (and been reaped), from /proc/self/stat.
 * @returns {number} milliseconds
 */
export function ownAndChildrenCpuMs() {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index]), 0);
  return (ticks * 1000) / CLOCK_TICKS;
}

/** Milliseconds per clock tick of /proc/stat counters. */
export const MS_PER_TICK = 1000 / CLOCK_TICKS;

/**
 * The file system type holding `path`, from /proc/mounts (longest matching mount point).
 * @param {string} path absolute
 */
export function fileSystemOf(path) {
  let best = { mount: "", type: "unknown" };
  for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
    const [, mount, type] = line.split(" ");
    if (mount === undefined || type === undefined) continue;
    const inside = path === mount || path.startsWith(mount.endsWith("/") ? mount : `${mount}/`);
    if (inside && mount.length > best.mount.length) best = { mount, type };
  }
  return best.type;
}

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Share of the machine's CPU in use over `ms`, in % of all cores.
 * @param {number} ms
 */
export async function machineBusyPercent(ms) {
  const before = machineCpu();
  await sleep(ms);
  const after = machineCpu();
  return (100 * (after.busy - before.busy)) / Math.max(1, after.total - before.total);
}

/**
 * Waits (at most `maxSeconds`) until other processes leave the machine mostly idle (< 15% busy over
 * 2 s), since everything here competes for the same cores.
 * @param {number} maxSeconds
 * @param {(message: string) => void} log receives one line per wait
 * @returns {Promise<number>} the last busy share measured, %
 */
export async function waitForQuiet(maxSeconds, log) {
  const deadline = performance.now() + maxSeconds * 1000;
  let busy = await machineBusyPercent(2000);
  while (busy >= 15 && performance.now() < deadline) {
    log(
      `machine ${busy.toFixed(0)}% busy with other work; waiting for it to calm down (up to ${maxSeconds} s)`,
    );
    await sleep(3000);
    busy = await machineBusyPercent(2000);
  }
  return busy;
}
