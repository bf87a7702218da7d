import { readdir, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import net from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import { runPluto, type ServeProcess, startServe, tempProject } from "../support/pluto-process.js";

/**
 * Web-facing defences of the built `pluto serve` in simple mode (no token, no keys, loopback):
 * DNS rebinding (a page whose name now resolves to 127.0.0.1), Host-derived URLs, slow-header clients,
 * the connection cap, and 413 answers that reach a client still uploading. Raw sockets and
 * `node:http` so `Host` and `Origin` are exactly what a browser or attacker would send.
 */

const AGENT = "demo";
let fake: FakeModel;
let project: Awaited<ReturnType<typeof tempProject>>;
let server: ServeProcess;
let port: number;

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with exactly these headers (`Host` included), through `node:http`. */
function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: "127.0.0.1", port, method, path, headers }, (response) => {
      let text = "";
      response.setEncoding("utf8").on("data", (chunk: string) => {
        text += chunk;
      });
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
      );
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

beforeAll(async () => {
  fake = await startFakeModel();
  project = await tempProject();
  const env = { OPENAI_API_KEY: "sk-test-web", OPENAI_BASE_URL: `${fake.url}/v1` };
  expect((await runPluto(["init", AGENT], { cwd: project.dir, env })).code).toBe(0);
  await writeFile(
    join(project.dir, "pluto.yaml"),
    "server:\n  max_body_bytes: 65536\n  timeouts: { headers_ms: 1000, max_connections: 40 }\n",
  );
  server = await startServe({ cwd: project.dir, env });
  port = Number(new URL(server.url).port);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await fake?.close();
  await project?.cleanup();
});

describe("pluto serve against hostile web pages and clients", () => {
  it("a DNS-rebinding page can neither write an agent nor run one", async () => {
    const attacker = { host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` };
    const json = { "content-type": "application/json" };
    const files = {
      "agent.yaml":
        "apiVersion: pluto/v1\nkind: Agent\nmetadata:\n  name: pwned\nspec:\n  model: openai/gpt-5-mini\n",
      "SYSTEM_PROMPT.md": "x\n",
      "INSTRUCTIONS.md": "x\n",
    };
    const write = await send(
      "POST",
      "/api/v1/admin/agents",
      { ...attacker, ...json },
      JSON.stringify({ name: "pwned", files }),
    );
    expect(write.status).toBe(403);
    expect(JSON.parse(write.body).error.code).toBe("HOST_NOT_ALLOWED");
    expect(JSON.parse(write.body).error.message).toContain("server.allowed_hosts");
    const run = await send(
      "POST",
      `/api/v1/agents/${AGENT}/runs`,
      { ...attacker, ...json },
      '{"input":"hi"}',
    );
    expect(run.status).toBe(403);
    // Reading is refused too (a rebound page could otherwise read sessions).
    expect((await send("GET", "/api/v1/agents", attacker)).status).toBe(403);

    expect(await readdir(join(project.dir, ".pluto", "agents"))).toEqual([AGENT]);
    const sessions = await readdir(join(project.dir, ".pluto", "sessions")).catch(() => []);
    expect(sessions).toEqual([]);
    expect(fake.requests).toEqual([]);

    // The same server still answers its own names, and a cross-origin page is refused on them too.
    expect((await send("GET", "/api/v1/agents", { host: `127.0.0.1:${port}` })).status).toBe(200);
    const cross = await send(
      "POST",
      `/api/v1/agents/${AGENT}/runs`,
      { host: `localhost:${port}`, origin: "https://evil.example", ...json },
      '{"input":"hi"}',
    );
    expect(cross.status).toBe(403);
    expect(JSON.parse(cross.body).error.code).toBe("ORIGIN_NOT_ALLOWED");
    expect(fake.requests).toEqual([]);
  });

  it("card URLs follow only an accepted Host, and say so with Vary: Host", async () => {
    const path = `/a2a/${AGENT}/.well-known/agent-card.json`;
    const card = await send("GET", path, { host: `localhost:${port}` });
    expect(card.status).toBe(200);
    expect(JSON.parse(card.body).url).toBe(`http://localhost:${port}/a2a/${AGENT}/jsonrpc`);
    expect(String(card.headers.vary)).toMatch(/\bHost\b/);
    expect((await send("GET", path, { host: "attacker.example" })).status).toBe(403);
  });

  it("cuts a client that sends its headers too slowly (server.timeouts.headers_ms)", async () => {
    const started = Date.now();
    const outcome = await new Promise<{ closedAfterMs: number; data: string }>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      let data = "";
      socket.setEncoding("latin1").on("data", (chunk: string) => {
        data += chunk;
      });
      socket.write(`GET /api/v1/agents HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
      const drip = setInterval(() => {
        if (!socket.destroyed) socket.write(`X-Slow-${Date.now()}: 1\r\n`);
      }, 200);
      socket.on("error", () => {});
      socket.on("close", () => {
        clearInterval(drip);
        resolve({ closedAfterMs: Date.now() - started, data });
      });
      // Generous upper bound for a loaded machine; Node's default would keep it for 60 s.
      setTimeout(() => socket.destroy(), 15_000);
    });
    expect(outcome.closedAfterMs).toBeLessThan(10_000);
    expect(outcome.data).not.toMatch(/^HTTP\/1\.1 200/);
  }, 20_000);

  it("closes connections beyond server.timeouts.max_connections at once", async () => {
    const sockets: net.Socket[] = [];
    try {
      for (let index = 0; index < 40; index += 1) {
        const socket = net.connect(port, "127.0.0.1");
        socket.on("error", () => {});
        await new Promise((resolve) => socket.once("connect", resolve));
        sockets.push(socket);
      }
      const extra = net.connect(port, "127.0.0.1");
      extra.on("error", () => {});
      const closed = await new Promise<boolean>((resolve) => {
        extra.once("close", () => resolve(true));
        extra.once("connect", () => extra.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
        extra.once("data", () => resolve(false));
        setTimeout(() => resolve(false), 10_000);
      });
      expect(closed).toBe(true);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
    // Once they are gone, new connections are served again.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await send("GET", "/healthz", { host: `127.0.0.1:${port}` })).status).toBe(200);
  }, 30_000);

  /**
   * Sends `bytes` of body as fast as the socket takes it without reading anything until the whole body
   * is written (as curl and most SDKs do), then reads the answer.
   */
  function uploadThenRead(
    path: string,
    bytes: number,
  ): Promise<{ head: string; body: string; error?: string }> {
    return new Promise((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.pause();
      let data = "";
      socket.on("data", (chunk: Buffer) => {
        data += chunk.toString("latin1");
      });
      const finish = (error?: string) => {
        const [head = "", body = ""] = data.split("\r\n\r\n");
        resolve({ head, body, ...(error === undefined ? {} : { error }) });
      };
      socket.on("error", (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
      socket.on("close", () => finish());
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${bytes}\r\nConnection: close\r\n\r\n`,
      );
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        if (socket.destroyed) return;
        if (sent >= bytes) {
          socket.resume();
          return;
        }
        const size = Math.min(chunk.length, bytes - sent);
        sent += size;
        if (socket.write(chunk.subarray(0, size))) setImmediate(pump);
        else socket.once("drain", pump);
      };
      pump();
    });
  }

  it("answers 413 to a 20 MB body every time, readable after the upload (50 tries)", async () => {
    const failures: string[] = [];
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const result = await uploadThenRead(`/api/v1/agents/${AGENT}/runs`, 20 * 1024 * 1024);
      if (!result.head.startsWith("HTTP/1.1 413"))
        failures.push(`${attempt}: ${result.error ?? result.head.slice(0, 40)}`);
      else if (attempt === 0) expect(JSON.parse(result.body).error.code).toBe("PAYLOAD_TOO_LARGE");
    }
    expect(failures).toEqual([]);
  }, 240_000);

  it("answers /v1's 413 in OpenAI's shape, readable after the upload", async () => {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const result = await uploadThenRead("/v1/chat/completions", 20 * 1024 * 1024);
      expect(result.head.startsWith("HTTP/1.1 413"), result.error ?? result.head).toBe(true);
      expect(JSON.parse(result.body).error).toMatchObject({
        type: expect.any(String),
        code: expect.anything(),
      });
    }
    expect(fake.requests).toEqual([]);
  }, 120_000);
});

describe("server timeouts leave long-lived connections alone", () => {
  it("a WebSocket outlives headers_ms and request_ms and still answers", async () => {
    const own = await tempProject();
    const env = { OPENAI_API_KEY: "sk-test-web", OPENAI_BASE_URL: `${fake.url}/v1` };
    await writeFile(
      join(own.dir, "pluto.yaml"),
      "server:\n  timeouts: { headers_ms: 500, request_ms: 1000, keep_alive_ms: 500 }\n",
    );
    const quick = await startServe({ cwd: own.dir, env });
    try {
      const socket = new WebSocket(`${quick.url.replace(/^http/, "ws")}/api/v1/ws`);
      await new Promise((resolve, reject) => {
        socket.once("open", resolve);
        socket.once("error", reject);
      });
      let closed = false;
      socket.on("close", () => {
        closed = true;
      });
      // Three times the longest timeout, idle.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(closed).toBe(false);
      const reply = new Promise<string>((resolve) => socket.once("message", (data) => resolve(String(data))));
      socket.send(JSON.stringify({ type: "abort", id: "m1", run_id: "run_missing" }));
      expect(JSON.parse(await reply)).toMatchObject({
        type: "error",
        id: "m1",
        error: { code: "RUN_NOT_FOUND" },
      });
      socket.close();
    } finally {
      await quick.stop();
      await own.cleanup();
    }
  }, 30_000);
});
