import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type Resource,
} from "@modelcontextprotocol/sdk/types.js";
import { isPlutoError } from "../../core/errors.js";
import type { Scope } from "../../core/scope.js";
import type { ArtifactInfo, ArtifactStore } from "../../services/artifact/artifact-store.js";

/** URI scheme of artifacts: `pluto-artifact://<agent>/<artifact name>`. */
export const ARTIFACT_SCHEME = "pluto-artifact:";

/** Resources per `resources/list` page. */
export const RESOURCES_PAGE_SIZE = 500;

/** Largest artifact `resources/read` returns, in bytes (a body travels inside one JSON-RPC message). */
export const MAX_RESOURCE_BYTES = 10 * 1024 * 1024;

/** MCP's "resource not found" error code (MCP specification, server/resources, Error Handling). */
const RESOURCE_NOT_FOUND = -32002;

/** The URI of an artifact. Names are safe paths (`core/names.ts`), so nothing needs escaping. */
export function artifactUri(agent: string, name: string): string {
  return `pluto-artifact://${agent}/${name}`;
}

/** Media types whose bodies are sent as `text` (when valid UTF-8); all others go as base64 `blob`. */
function isTextual(mediaType: string): boolean {
  const type = mediaType.split(";")[0]?.trim().toLowerCase() ?? "";
  return (
    type.startsWith("text/") ||
    /^application\/([\w.+-]+\+)?(json|xml|yaml|x-yaml|javascript|x-ndjson|toml)$/.test(type)
  );
}

function resourceOf(agent: string, info: ArtifactInfo): Resource {
  return {
    uri: artifactUri(agent, info.name),
    name: info.name,
    mimeType: info.mediaType,
    size: info.size,
    annotations: { lastModified: info.createdAt },
  };
}

/**
 * The artifact name of `uri` when it is `pluto-artifact://<agent>/<name>` for this agent.
 * @throws McpError `InvalidParams` for another scheme, another agent (naming where to ask instead) or no name.
 */
function artifactNameOf(uri: string, agent: string): string {
  const prefix = "pluto-artifact://";
  if (!uri.startsWith(prefix)) {
    throw new McpError(
      ErrorCode.InvalidParams,
      `Unknown resource URI scheme; artifacts are ${prefix}<agent>/<name>.`,
    );
  }
  const rest = uri.slice(prefix.length);
  const slash = rest.indexOf("/");
  const owner = slash === -1 ? rest : rest.slice(0, slash);
  if (owner !== agent) {
    throw new McpError(
      ErrorCode.InvalidParams,
      `Resource ${JSON.stringify(uri.slice(0, 200))} is not an artifact of agent "${agent}"; read it from that agent's MCP server (/mcp/<agent>).`,
    );
  }
  const name = slash === -1 ? "" : rest.slice(slash + 1);
  if (name === "")
    throw new McpError(
      ErrorCode.InvalidParams,
      `Resource URI has no artifact name: ${prefix}${agent}/<name>.`,
    );
  return name;
}

/**
 * Serves `scope`'s artifacts as MCP resources on `server` (which must declare the `resources`
 * capability): `resources/list` pages by {@link RESOURCES_PAGE_SIZE} in name order (the cursor is the
 * last name of the previous page), `resources/templates/list` gives `pluto-artifact://<agent>/{+name}`,
 * and `resources/read` answers one artifact, as `text` for textual media types that decode as UTF-8,
 * else as a base64 `blob`. Errors: MCP `InvalidParams` for hostile or foreign URIs and artifacts over
 * {@link MAX_RESOURCE_BYTES}; -32002 for a missing artifact.
 */
export function registerArtifactResources(
  server: McpServer,
  options: { scope: Scope; artifacts: ArtifactStore },
): void {
  const { scope, artifacts } = options;
  const low = server.server;
  low.setRequestHandler(ListResourcesRequestSchema, async (request) => {
    const all = await artifacts.list(scope);
    const cursor = request.params?.cursor;
    const start = cursor === undefined ? 0 : all.findIndex((info) => info.name > cursor);
    const page = start === -1 ? [] : all.slice(start, start + RESOURCES_PAGE_SIZE);
    const last = page.at(-1);
    const more = start !== -1 && start + RESOURCES_PAGE_SIZE < all.length && last !== undefined;
    return {
      resources: page.map((info) => resourceOf(scope.agent, info)),
      ...(more ? { nextCursor: last.name } : {}),
    };
  });
  low.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: [
      {
        uriTemplate: `pluto-artifact://${scope.agent}/{+name}`,
        name: "artifact",
        title: `Artifacts of ${scope.agent}`,
        description: "A file the agent or its tools stored; name is its path, e.g. reports/q1.md.",
      },
    ],
  }));
  low.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const { uri } = request.params;
    const name = artifactNameOf(uri, scope.agent);
    let found: Awaited<ReturnType<ArtifactStore["get"]>>;
    try {
      found = await artifacts.get(scope, name);
    } catch (error) {
      if (isPlutoError(error, "INVALID_NAME")) throw new McpError(ErrorCode.InvalidParams, error.message);
      throw error;
    }
    if (found === undefined) {
      throw new McpError(
        RESOURCE_NOT_FOUND,
        `Resource not found: no artifact ${JSON.stringify(name)} for agent "${scope.agent}". List them with resources/list.`,
        { uri },
      );
    }
    const { info, body } = found;
    if (body.byteLength > MAX_RESOURCE_BYTES) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Artifact ${JSON.stringify(name)} has ${body.byteLength} bytes; MCP reads are limited to ${MAX_RESOURCE_BYTES}.`,
      );
    }
    const canonical = artifactUri(scope.agent, info.name);
    if (isTextual(info.mediaType)) {
      try {
        const text = new TextDecoder("utf-8", { fatal: true }).decode(body);
        return { contents: [{ uri: canonical, mimeType: info.mediaType, text }] };
      } catch {
        // Not valid UTF-8 despite the media type: send the bytes unchanged.
      }
    }
    return {
      contents: [{ uri: canonical, mimeType: info.mediaType, blob: Buffer.from(body).toString("base64") }],
    };
  });
}
