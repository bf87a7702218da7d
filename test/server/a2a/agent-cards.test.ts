import { readFile } from "node:fs/promises";
import path from "node:path";
import { AgentCard, TaskState } from "@a2a-js/sdk";
import {
  ClientFactory,
  ClientFactoryOptions,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
} from "@a2a-js/sdk/client";
import { isLegacyAgentCard, parseLegacyAgentCard } from "@a2a-js/sdk/compat/v0_3/client";
import { afterEach, describe, expect, it } from "vitest";
import { agentFixture } from "../../support/agent-fixture.js";
import { corpusPath } from "../../support/corpus.js";
import { scriptedStream } from "../../support/scripted-step.js";
import { expectSameShape, sendRequest, startA2aApp, userMessage } from "./a2a-harness.js";

const CORPUS = corpusPath("a2a");

async function corpusCard(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path.join(CORPUS, name), "utf8")) as Record<string, unknown>;
}

/** Optional card fields the samples use and Pluto leaves out. */
const OPTIONAL = new Set([
  "provider",
  "examples",
  "iconUrl",
  "documentationUrl",
  "signatures",
  "securitySchemes",
  "securityRequirements",
  "security",
  "inputModes",
  "outputModes",
  "pushNotifications",
]);

type App = Awaited<ReturnType<typeof startA2aApp>>;
let app: App | undefined;

afterEach(async () => {
  await app?.close();
  expect(app?.unexpected).toEqual([]);
  app = undefined;
});

const withSkills = agentFixture({
  name: "reader",
  description: "Reads documents.",
  skills: [{ name: "pdf-reading", description: "Extracts text from PDF files.", path: "/nowhere/SKILL.md" }],
});

async function getJson(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  expect(response.status).toBe(200);
  return { response, body: (await response.json()) as Record<string, unknown> };
}

describe("A2A agent cards", () => {
  it("serves a v1.0 card per agent, shaped like the corpus samples, with the agent's skills", async () => {
    app = await startA2aApp({ streamStep: scriptedStream([]).streamStep, agents: [withSkills] });
    const { response, body } = await getJson(`${app.url}/a2a/reader/.well-known/agent-card.json`, {
      "A2A-Version": "1.0",
    });
    // The card's URLs come from Host (no public_url), so caches must key on it too.
    expect(response.headers.get("vary")).toBe("A2A-Version, Host");
    expectSameShape(body, await corpusCard("v1.0/agent-card.skills-agent.json"), OPTIONAL);
    expectSameShape(body, await corpusCard("v1.0/agent-card.spec-sample.json"), OPTIONAL);
    expect(body).toMatchObject({
      name: "reader",
      description: "Reads documents.",
      capabilities: { streaming: true },
      skills: [{ id: "pdf-reading", name: "pdf-reading", description: "Extracts text from PDF files." }],
      supportedInterfaces: [
        { url: `${app.url}/a2a/reader/jsonrpc`, protocolBinding: "JSONRPC", protocolVersion: "1.0" },
        { url: `${app.url}/a2a/reader/rest`, protocolBinding: "HTTP+JSON", protocolVersion: "1.0" },
        { url: `${app.url}/a2a/reader/jsonrpc`, protocolBinding: "JSONRPC", protocolVersion: "0.3" },
      ],
    });
    // The SDK reads it back.
    expect(AgentCard.fromJSON(body).skills[0]?.id).toBe("pdf-reading");
  });

  it("serves the v0.3 form without A2A-Version and at agent.json, shaped like the v0.3 samples", async () => {
    app = await startA2aApp({ streamStep: scriptedStream([]).streamStep, agents: [withSkills] });
    const sample = await corpusCard("v0.3/agent-card.currency-agent.json");
    for (const [url, headers] of [
      [`${app.url}/a2a/reader/.well-known/agent-card.json`, {}],
      [`${app.url}/a2a/reader/.well-known/agent.json`, { "A2A-Version": "1.0" }],
      [`${app.url}/.well-known/agent.json`, {}],
    ] as const) {
      const { body } = await getJson(url, headers);
      expectSameShape(body, sample, OPTIONAL);
      expect(body).toMatchObject({
        protocolVersion: "0.3.0",
        url: `${app.url}/a2a/reader/jsonrpc`,
        preferredTransport: "JSONRPC",
      });
      // Like the SDK's own compat card, the v1.0 interfaces ride along: v1.0 clients read those, and
      // without them the card is a plain v0.3 card to the SDK's v0.3 parser.
      const { supportedInterfaces, ...v03 } = body;
      expect(AgentCard.fromJSON(body).supportedInterfaces).toHaveLength(3);
      expect(isLegacyAgentCard(v03)).toBe(true);
      const parsed = parseLegacyAgentCard(v03);
      expect(parsed.supportedInterfaces.map((entry) => entry.protocolVersion)).toEqual(["0.3.0"]);
      expect(supportedInterfaces).toBeDefined();
    }
  });

  it("serves the instance card: the default agent's endpoints and every agent as a skill", async () => {
    const other = agentFixture({ name: "alpha", description: "First by name." });
    app = await startA2aApp({ streamStep: scriptedStream([]).streamStep, agents: [withSkills, other] });
    const { body } = await getJson(`${app.url}/.well-known/agent-card.json`, { "A2A-Version": "1.0" });
    expect(body.name).toBe("alpha");
    const skills = body.skills as { id: string; tags: string[]; examples?: string[] }[];
    expect(
      skills
        .filter((skill) => skill.tags.includes("agent") && skill.id.startsWith("agent:"))
        .map((skill) => skill.id),
    ).toEqual(["agent:alpha", "agent:reader"]);
    expect(skills.find((skill) => skill.id === "agent:reader")?.examples).toEqual([
      `${app.url}/a2a/reader/.well-known/agent-card.json`,
    ]);
  });

  it("answers 304 to a matching If-None-Match and 404/400 for unknown or hostile agent names", async () => {
    app = await startA2aApp({ streamStep: scriptedStream([]).streamStep });
    const first = await fetch(`${app.url}/a2a/test-agent/.well-known/agent-card.json`);
    const etag = first.headers.get("etag") ?? "";
    expect(etag).toMatch(/^W\/"/);
    const again = await fetch(`${app.url}/a2a/test-agent/.well-known/agent-card.json`, {
      headers: { "if-none-match": etag },
    });
    expect(again.status).toBe(304);
    const missing = await fetch(`${app.url}/a2a/nobody/.well-known/agent-card.json`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "AGENT_NOT_FOUND" } });
    const hostile = await fetch(`${app.url}/a2a/..%2Fetc/.well-known/agent-card.json`);
    expect(hostile.status).toBe(400);
    expect(await hostile.json()).toMatchObject({ error: { code: "INVALID_NAME" } });
  });

  it("lets the SDK's v0.3 client (legacy compatibility on) talk to the agent from the v0.3 card", async () => {
    app = await startA2aApp({ streamStep: scriptedStream([{ text: "legacy ok" }]).streamStep });
    const factory = new ClientFactory(
      ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
        transports: [new JsonRpcTransportFactory({ legacyCompat: { enabled: true } })],
        cardResolver: new DefaultAgentCardResolver({ legacyCompat: { enabled: true } }),
      }),
    );
    const response = await fetch(`${app.url}/a2a/test-agent/.well-known/agent.json`);
    const legacyCard = parseLegacyAgentCard(await response.json());
    const client = await factory.createFromAgentCard({
      ...legacyCard,
      supportedInterfaces: legacyCard.supportedInterfaces.filter((entry) =>
        entry.protocolVersion.startsWith("0.3"),
      ),
    });
    expect(client.protocolVersion).toMatch(/^0\.3/);
    const result = await client.sendMessage(sendRequest(userMessage("hello from 0.3")));
    expect("status" in result && result.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
  });
});
