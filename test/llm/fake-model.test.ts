/** The fake model itself: wire shapes against recorded bodies, scripting API, standalone process. */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { corpusPath } from "../support/corpus.js";
import { type FakeModel, lastUserText, replay, startFakeModel } from "../support/fake-model/fake-model.js";

const CORPUS = corpusPath("provider-streams");
const MAIN = resolve(process.cwd(), "test/support/fake-model/main.js");

/** The set of key paths of a JSON value (arrays looked at through their first element). */
function shape(value: unknown, prefix = ""): string[] {
  if (Array.isArray(value)) return value.length === 0 ? [prefix] : shape(value[0], `${prefix}[]`);
  if (typeof value !== "object" || value === null) return [prefix];
  return Object.entries(value).flatMap(([key, inner]) => [
    `${prefix}.${key}`,
    ...shape(inner, `${prefix}.${key}`),
  ]);
}

/** The parsed JSON of a response, for assertions (shapes are checked by the expectations themselves). */
async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

type ChatBody = { choices: { message: { content: string | null } }[] };

async function chatContent(response: Response): Promise<string | null | undefined> {
  return (await json<ChatBody>(response)).choices[0]?.message.content;
}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

let fake: FakeModel;
beforeAll(async () => {
  fake = await startFakeModel();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.clear());

describe("non-streaming bodies have the recorded shape", () => {
  it.each([
    ["/v1/chat/completions", "openai-chat/openai-text.json", []],
    ["/v1/messages", "anthropic/anthropic-text.json", ["inference_geo", "cache_creation"]],
    ["/api/chat", "ollama/api-chat-history-tools.response.json", []],
  ])("%s matches %s", async (path, recorded, optional) => {
    fake.enqueue({ text: "Hello" });
    const response = await post(`${fake.url}${path}`, {
      model: "m",
      stream: false,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(response.status).toBe(200);
    const ours = new Set(shape(await response.json()));
    const theirs = shape(JSON.parse(await readFile(join(CORPUS, recorded), "utf8")));
    const missing = theirs.filter((key) => !ours.has(key) && !optional.some((name) => key.includes(name)));
    expect(missing).toEqual([]);
  });

  it("answers non-streaming tool calls in each format", async () => {
    fake.enqueue({ toolCalls: [{ name: "get_weather", input: { city: "Tokyo" } }] });
    const ollama = await json<{ message: { tool_calls: unknown } }>(
      await post(`${fake.url}/api/chat`, { model: "m", stream: false, messages: [] }),
    );
    expect(ollama.message.tool_calls).toEqual([
      { function: { name: "get_weather", arguments: { city: "Tokyo" } } },
    ]);
    fake.enqueue({ toolCalls: [{ name: "get_weather", input: { city: "Tokyo" }, id: "toolu_1" }] });
    const anthropic = await json<{ content: unknown; stop_reason: string }>(
      await post(`${fake.url}/v1/messages`, { model: "m", messages: [] }),
    );
    expect(anthropic.content).toEqual([
      { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Tokyo" } },
    ]);
    expect(anthropic.stop_reason).toBe("tool_use");
    fake.enqueue({ toolCalls: [{ name: "f" }] });
    const responses = await json<{ output: unknown[] }>(
      await post(`${fake.url}/v1/responses`, { model: "m", input: [] }),
    );
    expect(responses.output[0]).toMatchObject({ type: "function_call", name: "f", arguments: "{}" });
  });
});

describe("scripting", () => {
  it("echoes the last user message by default, in every request format", async () => {
    const chat = await post(`${fake.url}/v1/chat/completions`, {
      messages: [
        { role: "user", content: "first" },
        { role: "assistant", content: "x" },
        { role: "user", content: [{ type: "text", text: "second" }] },
      ],
    });
    expect(await chatContent(chat)).toBe("second");
    expect(lastUserText({ input: [{ role: "user", content: [{ type: "input_text", text: "r" }] }] })).toBe(
      "r",
    );
    expect(lastUserText({ input: "plain" })).toBe("plain");
    expect(
      lastUserText({ messages: [{ role: "user", content: [{ type: "tool_result", content: "x" }] }] }),
    ).toBeUndefined();
    expect(lastUserText({})).toBeUndefined();
  });

  it("accepts a default turn function and records requests with headers", async () => {
    const custom = await startFakeModel({ defaultTurn: (request) => ({ text: `path ${request.path}` }) });
    try {
      const response = await fetch(`${custom.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: "Bearer secret" },
        body: JSON.stringify({ model: "m" }),
      });
      expect(await chatContent(response)).toBe("path /v1/chat/completions");
      expect(custom.requests[0]).toMatchObject({
        format: "openai-chat",
        stream: false,
        headers: { authorization: "Bearer secret" },
      });
    } finally {
      await custom.close();
    }
  });

  it("plays error turns with Retry-After headers and the provider's error body", async () => {
    fake.enqueue({ error: { status: 429, retryAfterSeconds: 3, retryAfterMs: 3000 } });
    const response = await post(`${fake.url}/v1/messages`, {});
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("3");
    expect(response.headers.get("retry-after-ms")).toBe("3000");
    expect(await json<unknown>(response)).toMatchObject({
      type: "error",
      error: { type: "rate_limit_error" },
    });
  });

  it("replays a cassette interaction with its recorded status", async () => {
    fake.enqueue(replay(join(CORPUS, "openrouter/test_openrouter_errors_raised.yaml"), { interaction: 1 }));
    const response = await post(`${fake.url}/api/v1/chat/completions`, {});
    expect(response.status).toBe(429);
    expect((await json<{ error: { message: string } }>(response)).error.message).toBe(
      "Provider returned error",
    );
  });

  it("re-emits .chunks.txt lines as SSE data frames, with [DONE] on chat completions", async () => {
    fake.enqueue(replay(join(CORPUS, "openai-chat/azure-model-router.1.chunks.txt")));
    const text = await (await post(`${fake.url}/v1/chat/completions`, { stream: true })).text();
    const lines = (await readFile(join(CORPUS, "openai-chat/azure-model-router.1.chunks.txt"), "utf8"))
      .trim()
      .split("\n");
    expect(text).toBe(`${lines.map((line) => `data: ${line}\n\n`).join("")}data: [DONE]\n\n`);
  });

  it("rejects malformed JSON, unknown routes and missing replay files without dying", async () => {
    const malformed = await fetch(`${fake.url}/v1/chat/completions`, { method: "POST", body: "{not json" });
    expect(malformed.status).toBe(400);
    expect((await fetch(`${fake.url}/v1/embeddings`, { method: "POST", body: "{}" })).status).toBe(404);
    expect((await fetch(`${fake.url}/../../etc/passwd`)).status).toBe(404);
    fake.enqueue(replay("/nonexistent/file.chunks.txt"));
    expect((await post(`${fake.url}/v1/chat/completions`, {})).status).toBe(500);
    expect(
      (await post(`${fake.url}/v1/chat/completions`, { messages: [{ role: "user", content: "ok" }] })).status,
    ).toBe(200);
  });

  it("survives a client that disconnects mid-stream", async () => {
    fake.enqueue({ text: Array.from({ length: 100 }, () => "x"), chunkDelayMs: 5 });
    const controller = new AbortController();
    const response = await fetch(`${fake.url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ stream: true }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await new Promise((done) => setTimeout(done, 30));
    expect(
      (await post(`${fake.url}/v1/chat/completions`, { messages: [{ role: "user", content: "still here" }] }))
        .status,
    ).toBe(200);
  });

  it("loops through scripted turns when asked", async () => {
    const looping = await startFakeModel({
      turns: [{ text: "a" }, { text: "b" }],
      loop: true,
      recordRequests: false,
    });
    try {
      const answers: (string | null | undefined)[] = [];
      for (let index = 0; index < 5; index++) {
        answers.push(await chatContent(await post(`${looping.url}/v1/chat/completions`, {})));
      }
      expect(answers).toEqual(["a", "b", "a", "b", "a"]);
      expect(looping.requests).toEqual([]);
    } finally {
      await looping.close();
    }
  });
});

describe("standalone main.js", () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "pluto-fake-model-"));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it("prints its URL as one JSON line, plays a script, takes turns over HTTP and stops on SIGTERM", async () => {
    const script = join(directory, "turns.json");
    await writeFile(script, JSON.stringify({ turns: [{ text: "scripted" }] }));
    const child = spawn(process.execPath, [MAIN, "--port", "0", "--script", script, "--record"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const firstLine = await new Promise<string>((resolveLine, reject) => {
        createInterface({ input: child.stdout! }).once("line", resolveLine);
        child.once("exit", (code) => reject(new Error(`main.js exited with ${code}`)));
      });
      const { url } = JSON.parse(firstLine) as { url: string };
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const scripted = await post(`${url}/v1/chat/completions`, {});
      expect(await chatContent(scripted)).toBe("scripted");
      await post(`${url}/__fake/turns`, [{ text: "queued" }]);
      expect(await chatContent(await post(`${url}/v1/chat/completions`, {}))).toBe("queued");
      const echoed = await post(`${url}/api/chat`, {
        stream: false,
        messages: [{ role: "user", content: "echo me" }],
      });
      expect((await json<{ message: { content: string } }>(echoed)).message.content).toBe("echo me");
      const recorded = await json<unknown[]>(await fetch(`${url}/__fake/requests`));
      expect(recorded).toHaveLength(3);
    } finally {
      const exited = new Promise((done) => child.once("exit", done));
      child.kill("SIGTERM");
      await exited;
    }
    expect(child.exitCode).toBe(0);
  });

  it("refuses an invalid port", async () => {
    const child = spawn(process.execPath, [MAIN, "--port", "99999"], { stdio: ["ignore", "pipe", "pipe"] });
    const code = await new Promise((done) => child.once("exit", done));
    expect(code).toBe(2);
  });
});
