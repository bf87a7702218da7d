import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { isLoopbackHost, type RunningServer, startServer } from "../../src/server/start-server.js";
import { scriptedStream } from "../support/scripted-step.js";
import { createServerHarness, jsonPost, parseSse } from "./server-harness.js";

const open: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((server) => server.close()));
});

describe("startServer", () => {
  it("refuses to bind a non-loopback address without an auth token, before listening", async () => {
    const { app } = createServerHarness({ streamStep: scriptedStream().streamStep });
    for (const host of ["0.0.0.0", "::", "192.168.1.10", "example.com", "127.0.0.1.nip.io"]) {
      const attempt = startServer(app, { host, port: 0 });
      await expect(attempt).rejects.toMatchObject({ code: "CONFIG_INVALID" });
      await expect(attempt).rejects.toThrow(/server\.auth\.token/);
    }
  });

  it("binds 127.0.0.1 on port 0 and serves real HTTP, including SSE", async () => {
    const { app } = createServerHarness({
      streamStep: scriptedStream([{ text: ["over", " http"] }]).streamStep,
    });
    const server = await startServer(app, { host: "127.0.0.1", port: 0 });
    open.push(server);
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const health = await fetch(`${server.url}/healthz`);
    expect(await health.json()).toEqual({ status: "ok" });
    const response = await fetch(
      `${server.url}/api/v1/agents/test-agent/runs`,
      jsonPost({ input: "hi", stream: true }),
    );
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const frames = parseSse(await response.text());
    expect(frames.map((frame) => frame.event)).toEqual([
      "run-start",
      "step-start",
      "text-delta",
      "text-delta",
      "step-end",
      "run-end",
    ]);
    expect(frames.map((frame) => frame.id)).toEqual(["1", "2", "3", "4", "5", "6"]);
  });

  it("binds 0.0.0.0 when a token is set, and the API then needs it", async () => {
    const { app } = createServerHarness({ streamStep: scriptedStream().streamStep, authToken: "tok" });
    const server = await startServer(app, { host: "0.0.0.0", port: 0, authToken: "tok" });
    open.push(server);
    const url = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${url}/api/v1/agents`)).status).toBe(401);
    expect((await fetch(`${url}/api/v1/agents`, { headers: { authorization: "Bearer tok" } })).status).toBe(
      200,
    );
  });

  it("reports a port in use as CONFIG_INVALID with a fix", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const { app } = createServerHarness({ streamStep: scriptedStream().streamStep });
      const attempt = startServer(app, { host: "127.0.0.1", port });
      await expect(attempt).rejects.toMatchObject({ code: "CONFIG_INVALID" });
      await expect(attempt).rejects.toThrow(/already in use/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("close() ends open SSE streams", async () => {
    const { app, runs } = createServerHarness({
      streamStep: scriptedStream([{ text: "x", gate: new Promise(() => {}) }]).streamStep,
    });
    const server = await startServer(app, { host: "127.0.0.1", port: 0 });
    const response = await fetch(
      `${server.url}/api/v1/agents/test-agent/runs`,
      jsonPost({ input: "hang", stream: true }),
    );
    const reading = response.text().catch((error: unknown) => `closed: ${String(error)}`);
    await server.close();
    expect(typeof (await reading)).toBe("string");
    const runId = response.headers.get("x-pluto-run-id") ?? "";
    expect(runs.abort(runId)).toBe(true);
  });
});

describe("isLoopbackHost", () => {
  it.each([
    ["localhost", true],
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["::1", true],
    ["[::1]", true],
    ["0.0.0.0", false],
    ["::", false],
    ["", false],
    ["10.0.0.1", false],
    ["127.0.0.1.evil.com", false],
    ["localhost.evil.com", false],
  ])("%s -> %s", (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
