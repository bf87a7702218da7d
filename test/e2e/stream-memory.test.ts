import { mkdir, readdir, readFile, readlink, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  jsonOf,
  parseSse,
  runPluto,
  type ServeProcess,
  startServe,
  tempProject,
} from "../support/pluto-process.js";

/**
 * Issue 7 item 3 through the built server: 500 SSE clients replaying a 8 MB session log and never
 * reading. Before, each replay loaded the whole log and wrote it out (3 GB RSS for 500 clients); now a
 * replay holds one page and waits for the socket, the stream caps answer 429/503, and clients that stop
 * reading are cut after `slow_reader_timeout_ms`.
 *
 * RSS bound, 500 MB: an idle `pluto serve` is ~130 MB. Each blocked replay keeps one page (16 events
 * of ~4 KB) and a few 16 KiB chunks between the route and the socket, plus its request and stream
 * objects (well under 0.2 MB), and the log is read into memory once (8 MB) for all of them; the rest
 * of the growth is garbage of the ~4 MB each replay serialised into the kernel's socket buffers before
 * blocking, which V8 has not collected yet. Measured 368-434 MB with 502 clients on this loaded
 * 2-core machine. The old behaviour (a full copy of the log per client) took 1 GB for 50 clients.
 */
const CLIENTS = 500;
const EVENTS = 2_000;
const RSS_BOUND_MB = 500;
/** Long enough that no client of the 500 is cut while the test checks the caps (see the second test). */
const SLOW_READER_MS = 120_000;
const TOKEN = "stream-memory-token";

describe("500 SSE clients that never read a large session replay", () => {
  let project: Awaited<ReturnType<typeof tempProject>>;
  let server: ServeProcess | undefined;
  let otherToken: string;
  let logBytes = 0;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    project = await tempProject();
    const env = { OPENAI_API_KEY: "sk-test-streams" };
    expect((await runPluto(["init", "replayer"], { cwd: project.dir, env })).code).toBe(0);
    await writeFile(
      join(project.dir, "pluto.yaml"),
      [
        "server:",
        `  auth: { token: ${TOKEN} }`,
        `  limits: { streams: ${CLIENTS + 3}, streams_per_tenant: ${CLIENTS + 2}, slow_reader_timeout_ms: ${SLOW_READER_MS} }`,
        "",
      ].join("\n"),
    );
    const created = await runPluto(["keys", "create", "--tenant", "other"], { cwd: project.dir, env });
    expect(created.code).toBe(0);
    otherToken = created.stdout.trim();
    logBytes = await writeLargeLog(join(project.dir, ".pluto/sessions/replayer/big.jsonl"));
    server = await startServe({ cwd: project.dir, env });
  }, 60_000);

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await server?.stop();
    await project?.cleanup();
  });

  it("keeps RSS bounded, answers /healthz, and caps streams per tenant (429) and in total (503)", async () => {
    const running = server as ServeProcess;
    const url = new URL(running.url);
    const pid = running.child.pid as number;
    const rssBefore = await rssMb(pid);

    // Each client reads its first bytes (the response started) and then never again.
    for (let batch = 0; batch < CLIENTS; batch += 100) {
      const opened = await Promise.all(
        Array.from({ length: Math.min(100, CLIENTS - batch) }, () => openNonReader(url, TOKEN)),
      );
      sockets.push(...opened.map((client) => client.socket));
      for (const client of opened) expect(client.head).toMatch(/^HTTP\/1\.1 200/);
    }
    sockets.push(
      ...(await Promise.all([openNonReader(url, TOKEN), openNonReader(url, TOKEN)])).map((c) => c.socket),
    );

    // The tenant's cap (CLIENTS + 2 streams) is reached: 429 with Retry-After.
    const tenantCapped = await fetch(`${running.url}/api/v1/sessions/big/events`, {
      headers: { accept: "text/event-stream", authorization: `Bearer ${TOKEN}` },
    });
    expect(tenantCapped.status).toBe(429);
    expect(Number(tenantCapped.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await jsonOf(tenantCapped)).error.code).toBe("LIMIT_EXCEEDED");

    // Another tenant takes the last slot of the server (a WebSocket), then the server's cap answers 503.
    const socket = new WebSocket(`ws://${url.host}/api/v1/ws`, {
      headers: { authorization: `Bearer ${otherToken}` },
    });
    await new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    });
    const serverCapped = await fetch(`${running.url}/api/v1/sessions/any/events`, {
      headers: { accept: "text/event-stream", authorization: `Bearer ${otherToken}` },
    });
    expect(serverCapped.status).toBe(503);
    expect(Number(serverCapped.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await jsonOf(serverCapped)).error.code).toBe("SERVER_BUSY");

    const started = performance.now();
    const health = await fetch(`${running.url}/healthz`);
    const healthMs = performance.now() - started;
    expect(health.status).toBe(200);
    expect(healthMs).toBeLessThan(2_000);
    const rssWithClients = await rssMb(pid);
    expect(rssWithClients).toBeLessThan(RSS_BOUND_MB);
    console.log(
      `stream-memory: RSS ${rssBefore} MB idle, ${rssWithClients} MB with ${sockets.length} non-reading SSE clients on a ${(logBytes / 1e6).toFixed(1)} MB log; /healthz ${healthMs.toFixed(0)} ms`,
    );

    socket.close();
  }, 90_000);

  it("cuts clients that stop reading after server.limits.slow_reader_timeout_ms and frees their slots", async () => {
    const slowReaderMs = 2_000;
    const other = await tempProject();
    const env = { OPENAI_API_KEY: "sk-test-streams" };
    let cutting: ServeProcess | undefined;
    const clients: Socket[] = [];
    try {
      expect((await runPluto(["init", "replayer"], { cwd: other.dir, env })).code).toBe(0);
      await writeFile(
        join(other.dir, "pluto.yaml"),
        `server:\n  limits: { streams: 20, slow_reader_timeout_ms: ${slowReaderMs} }\n`,
      );
      await writeLargeLog(join(other.dir, ".pluto/sessions/replayer/big.jsonl"));
      cutting = await startServe({ cwd: other.dir, env });
      const url = new URL(cutting.url);
      const pid = cutting.child.pid as number;
      const idle = await openSockets(pid);
      const opened = await Promise.all(Array.from({ length: 20 }, () => openNonReader(url, undefined)));
      clients.push(...opened.map((client) => client.socket));
      const full = await fetch(`${cutting.url}/api/v1/sessions/big/events`, {
        headers: { accept: "text/event-stream" },
      });
      // One tenant (simple mode), whose cap defaults to the server's: 429.
      expect(full.status).toBe(429);
      await full.body?.cancel();
      // The clients never read: past the timeout the server closes their connections.
      const deadline = Date.now() + slowReaderMs + 20_000;
      let open = await openSockets(pid);
      while (open > idle && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        open = await openSockets(pid);
      }
      expect(open).toBeLessThanOrEqual(idle);
      // A client that starts reading now gets what was buffered and then the end: its replay was cut.
      expect(await readToEnd(clients[0] as Socket)).toBeLessThan(logBytes);
      // Their slots are free again, and a client that reads gets the whole log, page after page, as
      // SSE and as JSON, in order and without gaps.
      const again = await fetch(`${cutting.url}/api/v1/sessions/big/events`, {
        headers: { accept: "text/event-stream" },
      });
      expect(again.status).toBe(200);
      const frames = parseSse(await again.text());
      expect(frames.map((frame) => Number(frame.id))).toEqual(
        Array.from({ length: EVENTS }, (_, index) => index + 1),
      );
      const replayed = await jsonOf(await fetch(`${cutting.url}/api/v1/sessions/big/events?after=10`));
      expect(replayed.session_id).toBe("big");
      expect(replayed.events.map((event: { seq: number }) => event.seq)).toEqual(
        Array.from({ length: EVENTS - 10 }, (_, index) => index + 11),
      );
    } finally {
      for (const client of clients) client.destroy();
      await cutting?.stop();
      await other.cleanup();
    }
  }, 60_000);
});

/** Writes a session log of EVENTS text deltas (one finished run); returns its size in bytes. */
async function writeLargeLog(path: string): Promise<number> {
  await mkdir(join(path, ".."), { recursive: true });
  const time = new Date().toISOString();
  const runId = "run_big";
  const text = "x".repeat(4_000);
  const lines = [
    JSON.stringify({
      type: "session",
      version: 1,
      id: "big",
      agent: "replayer",
      tenant: "default",
      createdAt: time,
    }),
    JSON.stringify({ seq: 1, type: "run-start", runId, time, input: "go" }),
  ];
  for (let seq = 2; seq < EVENTS; seq += 1) {
    lines.push(JSON.stringify({ seq, type: "text-delta", runId, time, step: 1, text }));
  }
  lines.push(
    JSON.stringify({
      seq: EVENTS,
      type: "run-end",
      runId,
      time,
      status: "completed",
      steps: 1,
      output: "done",
      usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
    }),
  );
  const content = `${lines.join("\n")}\n`;
  await writeFile(path, content);
  return Buffer.byteLength(content);
}

/** Opens a raw connection asking for the session's SSE replay; resolves with the first bytes, then stops reading. */
function openNonReader(url: URL, token: string | undefined): Promise<{ socket: Socket; head: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.write(
        `GET /api/v1/sessions/big/events HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n${token === undefined ? "" : `Authorization: Bearer ${token}\r\n`}\r\n`,
      );
    });
    socket.once("data", (chunk: Buffer) => {
      socket.pause();
      socket.off("error", reject);
      socket.on("error", () => {});
      resolve({ socket, head: chunk.toString("latin1", 0, 64) });
    });
  });
}

/** Resumes a paused client and counts the bytes it receives until the connection ends. */
function readToEnd(socket: Socket): Promise<number> {
  return new Promise((resolve) => {
    let bytes = 0;
    const timer = setTimeout(() => resolve(Number.POSITIVE_INFINITY), 10_000);
    socket.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
    });
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(bytes);
    });
    socket.resume();
  });
}

/** The process's resident set size in MB (Linux /proc). */
async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024);
}

/** Sockets the process holds open (listening socket and stdio pipes included). */
async function openSockets(pid: number): Promise<number> {
  let count = 0;
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
    if (target.startsWith("socket:")) count += 1;
  }
  return count;
}
