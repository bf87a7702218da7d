import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { PlutoError } from "../../../src/core/errors.js";
import { agentFixture } from "../../support/agent-fixture.js";
import { scriptedStream } from "../../support/scripted-step.js";
import { parseSse } from "../server-harness.js";
import { type ListeningAppOptions, startListeningApp } from "./listening-app.js";

const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((app) => app.close()));
});

async function start(options: ListeningAppOptions) {
  const app = await startListeningApp(options);
  running.push(app);
  const client = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: options.authToken ?? "unused" });
  return { ...app, client };
}

interface OpenAiErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string;
    details?: Record<string, unknown>;
  };
}

async function expectOpenAiError(response: Response, status: number, code: string): Promise<OpenAiErrorBody> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(response.headers.get("x-should-retry")).toBe("false");
  const body = (await response.json()) as OpenAiErrorBody;
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(10);
  expect(typeof body.error.type).toBe("string");
  expect("param" in body.error).toBe(true);
  return body;
}

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const hello = [{ role: "user", content: "hi" }];

describe("OpenAI-compatible API: failed runs", () => {
  it("answers a failed run with an OpenAI error (502 server_error) and the client does not retry it", async () => {
    const script = scriptedStream([
      { errorBeforeStream: new PlutoError("MODEL_ERROR", "The provider said no. Check the model id.") },
    ]);
    const { client } = await start({ streamStep: script.streamStep });
    const error = await client.chat.completions
      .create({ model: "test-agent", messages: [{ role: "user", content: "hi" }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toMatchObject({ status: 502, code: "MODEL_ERROR", type: "server_error" });
    expect((error as Error).message).toContain("The provider said no");
    // The client's default maxRetries is 2; x-should-retry: false keeps the turn from running again.
    expect(script.requests).toHaveLength(1);
  });

  it("maps a run that hit its step limit to 429 LIMIT_EXCEEDED without retries", async () => {
    const script = scriptedStream([
      { text: "x", toolCalls: [{ toolCallId: "c1", toolName: "missing", input: {} }] },
    ]);
    const { client } = await start({
      streamStep: script.streamStep,
      agents: [agentFixture({ limits: { maxSteps: 1 } })],
    });
    const error = await client.chat.completions
      .create({ model: "test-agent", messages: [{ role: "user", content: "hi" }] })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 429, code: "LIMIT_EXCEEDED", type: "rate_limit_error" });
    expect(script.requests).toHaveLength(1);
  });

  it("ends a stream that fails mid-way with an error frame and [DONE]; the client throws it", async () => {
    const failing = () => ({
      text: ["partial", "never"],
      errorMidStream: {
        afterParts: 1,
        error: new PlutoError("MODEL_ERROR", "The connection to the provider broke."),
      },
    });
    const { client, url } = await start({ streamStep: scriptedStream([failing(), failing()]).streamStep });
    const stream = await client.chat.completions.create({
      model: "test-agent",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
    })().catch((caught: unknown) => caught);
    expect(seen).toEqual(["", "partial"]);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain("The connection to the provider broke.");

    const response = await post(url, { model: "test-agent", messages: hello, stream: true });
    const frames = parseSse(await response.text());
    expect(frames.map((frame) => frame.data).at(-1)).toBe("[DONE]");
    expect(JSON.parse(frames.at(-2)?.data ?? "")).toEqual({
      error: {
        message: "The connection to the provider broke.",
        type: "server_error",
        param: null,
        code: "MODEL_ERROR",
      },
    });
  });

  it("refuses a session header owned by another agent with 409 and no retry", async () => {
    const script = scriptedStream([{ text: "mine" }]);
    const { client } = await start({
      streamStep: script.streamStep,
      agents: [agentFixture(), agentFixture({ name: "other" })],
    });
    const headers = { "x-pluto-session-id": "shared" };
    await client.chat.completions.create(
      { model: "other", messages: [{ role: "user", content: "a" }] },
      { headers },
    );
    const error = await client.chat.completions
      .create({ model: "test-agent", messages: [{ role: "user", content: "b" }] }, { headers })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 409, code: "SESSION_CONFLICT" });
    expect(script.requests).toHaveLength(1);
  });
});

describe("OpenAI-compatible API: auth", () => {
  it("needs the bearer token when one is configured, answering 401 in OpenAI's shape", async () => {
    const { url } = await start({
      streamStep: scriptedStream([{ text: "ok" }]).streamStep,
      authToken: "s3cret",
    });
    const wrong = new OpenAI({ baseURL: `${url}/v1`, apiKey: "wrong", maxRetries: 0 });
    const error = await wrong.models.list().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    // The app authenticates every non-public route before /v1, so this error has Pluto's plain format.
    expect(error).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
    const right = new OpenAI({ baseURL: `${url}/v1`, apiKey: "s3cret" });
    const completion = await right.chat.completions.create({
      model: "test-agent",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(completion.choices[0]?.message.content).toBe("ok");
    const anonymous = await fetch(`${url}/v1/models`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as OpenAiErrorBody).error.code).toBe("UNAUTHORIZED");
    // The existing API is still protected.
    expect((await fetch(`${url}/api/v1/agents`)).status).toBe(401);
  });
});

describe("OpenAI-compatible API: malformed, oversized and hostile bodies change nothing", () => {
  const cases: {
    name: string;
    body: unknown;
    headers?: Record<string, string>;
    status: number;
    code: string;
    param?: string;
  }[] = [
    {
      name: "malformed JSON",
      body: '{"model": "test-agent", "messages": [',
      status: 400,
      code: "BAD_REQUEST",
    },
    { name: "a JSON array", body: "[]", status: 400, code: "BAD_REQUEST" },
    { name: "no model", body: { messages: hello }, status: 400, code: "BAD_REQUEST", param: "model" },
    {
      name: "no messages",
      body: { model: "test-agent" },
      status: 400,
      code: "BAD_REQUEST",
      param: "messages",
    },
    { name: "empty messages", body: { model: "test-agent", messages: [] }, status: 400, code: "BAD_REQUEST" },
    {
      name: "messages not an array",
      body: { model: "test-agent", messages: "hi" },
      status: 400,
      code: "BAD_REQUEST",
    },
    {
      name: "an unknown role",
      body: { model: "test-agent", messages: [{ role: "root", content: "hi" }] },
      status: 400,
      code: "BAD_REQUEST",
      param: "messages.0.role",
    },
    {
      name: "no user message",
      body: { model: "test-agent", messages: [{ role: "system", content: "hi" }] },
      status: 400,
      code: "BAD_REQUEST",
      param: "messages",
    },
    {
      name: "an empty user message",
      body: { model: "test-agent", messages: [{ role: "user", content: "   " }] },
      status: 400,
      code: "BAD_REQUEST",
    },
    {
      name: "an image part",
      body: {
        model: "test-agent",
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "what is this?" },
              { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
            ],
          },
        ],
      },
      status: 400,
      code: "BAD_REQUEST",
      param: "messages.0.content",
    },
    {
      name: "n: 2",
      body: { model: "test-agent", messages: hello, n: 2 },
      status: 400,
      code: "BAD_REQUEST",
      param: "n",
    },
    {
      name: "stream: 'yes'",
      body: { model: "test-agent", messages: hello, stream: "yes" },
      status: 400,
      code: "BAD_REQUEST",
    },
    {
      name: "a path as model",
      body: { model: "../../etc/passwd", messages: hello },
      status: 400,
      code: "INVALID_NAME",
    },
    {
      name: "an absolute model",
      body: { model: "/etc/passwd", messages: hello },
      status: 400,
      code: "INVALID_NAME",
    },
    {
      name: "NUL in model",
      body: { model: "test-agent\u0000x", messages: hello },
      status: 400,
      code: "INVALID_NAME",
    },
    {
      name: "an unknown model",
      body: { model: "nobody", messages: hello },
      status: 404,
      code: "AGENT_NOT_FOUND",
    },
    {
      name: "a hostile session header",
      body: { model: "test-agent", messages: hello },
      headers: { "x-pluto-session-id": "../other" },
      status: 400,
      code: "INVALID_NAME",
    },
    {
      name: "a prototype-polluting body",
      body: '{"model":"nobody","messages":[{"role":"user","content":"x"}],"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
      status: 404,
      code: "AGENT_NOT_FOUND",
    },
    {
      name: "a message over the input limit",
      body: { model: "test-agent", messages: [{ role: "user", content: "x".repeat(200_001) }] },
      status: 400,
      code: "BAD_REQUEST",
    },
  ];

  it.each(cases)("$name → $status $code", async ({ body, headers, status, code, param }) => {
    const script = scriptedStream([{ text: "never" }]);
    const { url, sessions } = await start({ streamStep: script.streamStep, maxBodyBytes: 1_000_000 });
    const response = await post(url, body, headers);
    const error = await expectOpenAiError(response, status, code);
    if (param !== undefined) expect(error.error.param).toBe(param);
    expect(script.requests).toHaveLength(0);
    expect(await sessions.list({ tenant: "default", agent: "test-agent" })).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses a wrong content type and an oversized body (413) before reading them", async () => {
    const script = scriptedStream([{ text: "never" }]);
    const { url } = await start({ streamStep: script.streamStep, maxBodyBytes: 2048 });
    const text = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ model: "test-agent", messages: hello }),
    });
    await expectOpenAiError(text, 400, "BAD_REQUEST");
    const big = await post(url, {
      model: "test-agent",
      messages: [{ role: "user", content: "x".repeat(5000) }],
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as OpenAiErrorBody).error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(script.requests).toHaveLength(0);
  });

  it("answers hostile model ids on GET /v1/models/{id} with 400 or 404", async () => {
    const { url } = await start({ streamStep: scriptedStream().streamStep });
    await expectOpenAiError(await fetch(`${url}/v1/models/..%2F..%2Fetc`), 400, "INVALID_NAME");
    await expectOpenAiError(await fetch(`${url}/v1/models/a%00b`), 400, "INVALID_NAME");
    await expectOpenAiError(await fetch(`${url}/v1/models/nobody`), 404, "AGENT_NOT_FOUND");
  });
});
