import type { AgentCard, AgentInterface, AgentSkill } from "@a2a-js/sdk";
import type { AgentDefinition } from "../../agents/agent-definition.js";

/** A2A protocol versions Pluto serves: v1.0 on both bindings, v0.3 on JSON-RPC. */
export const PROTOCOL_VERSION = "1.0";
export const LEGACY_PROTOCOL_VERSION = "0.3";

/** Options of {@link agentCard}. */
export interface AgentCardOptions {
  /** Absolute base URL of the instance, no trailing slash (e.g. `https://pluto.example.com`). */
  baseUrl: string;
  /** True when requests need `Authorization: Bearer <key>`: the card then declares that scheme. */
  authRequired: boolean;
}

/** Paths of an agent's A2A endpoints, relative to the base URL. */
export function agentEndpoints(agent: string): { jsonRpc: string; rest: string; card: string } {
  const root = `/a2a/${encodeURIComponent(agent)}`;
  return { jsonRpc: `${root}/jsonrpc`, rest: `${root}/rest`, card: `${root}/.well-known/agent-card.json` };
}

/**
 * The A2A v1.0 Agent Card of one agent (A2A v1.0 specification, section 8 "Agent Discovery";
 * shape as the corpus samples `v1.0/agent-card.*.json`): name and description from `agent.yaml`,
 * one skill per Agent Skill in the agent's `skills/` index (or one skill for the agent itself when it
 * has none), `capabilities.streaming: true`, and three interfaces: JSON-RPC 1.0 at
 * `/a2a/{agent}/jsonrpc`, HTTP+JSON 1.0 at `/a2a/{agent}/rest`, and JSON-RPC 0.3 at the same URL
 * (the v0.3 compatibility layer). `version` is the agent's `version` label, else `1.0.0`.
 */
export function agentCard(agent: AgentDefinition, options: AgentCardOptions): AgentCard {
  const endpoints = agentEndpoints(agent.name);
  const supportedInterfaces: AgentInterface[] = [
    anInterface(options.baseUrl + endpoints.jsonRpc, "JSONRPC", PROTOCOL_VERSION),
    anInterface(options.baseUrl + endpoints.rest, "HTTP+JSON", PROTOCOL_VERSION),
    anInterface(options.baseUrl + endpoints.jsonRpc, "JSONRPC", LEGACY_PROTOCOL_VERSION),
  ];
  const skills: AgentSkill[] =
    agent.skills.length > 0
      ? agent.skills.map((skill) => aSkill(skill.name, skill.name, skill.description, [agent.name, "skill"]))
      : [aSkill(agent.name, agent.name, describe(agent), [agent.name, "agent"])];
  return {
    name: agent.name,
    description: describe(agent),
    supportedInterfaces,
    provider: undefined,
    version: agent.labels.version ?? "1.0.0",
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: options.authRequired
      ? {
          bearer: {
            scheme: {
              $case: "httpAuthSecurityScheme",
              value: {
                description: "A Pluto API key: `Authorization: Bearer <key>` (`pluto keys create`).",
                scheme: "Bearer",
                bearerFormat: "",
              },
            },
          },
        }
      : {},
    securityRequirements: options.authRequired ? [{ schemes: { bearer: { list: [] } } }] : [],
    defaultInputModes: ["text/plain", "application/json"],
    defaultOutputModes: ["text/plain"],
    skills,
    signatures: [],
  };
}

/** Largest number of agents the instance card lists as skills. */
export const INSTANCE_CARD_SKILL_LIMIT = 100;

/**
 * The instance's Agent Card at `/.well-known/agent-card.json`: the card of the default agent (its
 * endpoints, so a client pointed at the bare host can talk to it), with its skills followed by one
 * skill per agent of the tenant (id `agent:<name>`, tagged `agent`, the per-agent card URL in the
 * examples), at most {@link INSTANCE_CARD_SKILL_LIMIT} of them, so clients can discover every agent.
 */
export function instanceCard(
  defaultAgent: AgentDefinition,
  agents: readonly { name: string; description: string }[],
  options: AgentCardOptions,
): AgentCard {
  const card = agentCard(defaultAgent, options);
  const directory = agents
    .slice(0, INSTANCE_CARD_SKILL_LIMIT)
    .map((agent) =>
      aSkill(
        `agent:${agent.name}`,
        agent.name,
        agent.description === "" ? `The agent "${agent.name}".` : agent.description,
        ["agent"],
        [`${options.baseUrl}${agentEndpoints(agent.name).card}`],
      ),
    );
  return { ...card, skills: [...card.skills, ...directory] };
}

/**
 * The A2A v0.3 form of a card (A2A v0.3.0 specification, section 5.5 `AgentCard`; shape as the
 * corpus samples `v0.3/agent-card.*.json`): `url` and `preferredTransport` of the first v0.3
 * interface, `protocolVersion` `0.3.0`, v0.3 skill and security shapes. Like the SDK's compatibility
 * layer, the v1.0 `supportedInterfaces` are kept alongside so a v1.0 client reading this form still
 * finds every interface.
 */
export function legacyAgentCard(card: AgentCard): Record<string, unknown> {
  const legacy = card.supportedInterfaces.filter(
    (entry) => entry.protocolVersion === LEGACY_PROTOCOL_VERSION,
  );
  const primary = legacy[0] ?? card.supportedInterfaces[0];
  const bearer = Object.keys(card.securitySchemes).includes("bearer");
  return {
    protocolVersion: "0.3.0",
    name: card.name,
    description: card.description,
    url: primary?.url ?? "",
    preferredTransport: primary?.protocolBinding ?? "JSONRPC",
    ...(legacy.length > 1
      ? {
          additionalInterfaces: legacy
            .slice(1)
            .map((entry) => ({ url: entry.url, transport: entry.protocolBinding })),
        }
      : {}),
    version: card.version,
    capabilities: {
      streaming: card.capabilities?.streaming ?? false,
      pushNotifications: card.capabilities?.pushNotifications ?? false,
    },
    ...(bearer
      ? {
          securitySchemes: {
            bearer: { type: "http", scheme: "bearer", description: "A Pluto API key (`pluto keys create`)." },
          },
          security: [{ bearer: [] }],
        }
      : {}),
    defaultInputModes: card.defaultInputModes,
    defaultOutputModes: card.defaultOutputModes,
    skills: card.skills.map((skill) => ({
      id: skill.id,
      name: skill.name,
      description: skill.description,
      tags: skill.tags,
      ...(skill.examples.length > 0 ? { examples: skill.examples } : {}),
    })),
    supportsAuthenticatedExtendedCard: false,
    supportedInterfaces: card.supportedInterfaces.map((entry) => ({ ...entry })),
  };
}

function anInterface(url: string, protocolBinding: string, protocolVersion: string): AgentInterface {
  return { url, protocolBinding, tenant: "", protocolVersion };
}

function aSkill(
  id: string,
  name: string,
  description: string,
  tags: string[],
  examples: string[] = [],
): AgentSkill {
  return { id, name, description, tags, examples, inputModes: [], outputModes: [], securityRequirements: [] };
}

function describe(agent: AgentDefinition): string {
  return agent.description === "" ? `The Pluto agent "${agent.name}".` : agent.description;
}
