import { A2A_VERSION_HEADER, type AgentCard, Extensions, HTTP_EXTENSION_HEADER } from "@a2a-js/sdk";
import { isV1JsonRpcMethod, LEGACY_HTTP_EXTENSION_HEADER } from "@a2a-js/sdk/compat/v0_3";
import { LegacyJsonRpcTransportHandler } from "@a2a-js/sdk/compat/v0_3/server";
import { A2A_ERROR_CODE, ContentTypeNotSupportedError } from "@a2a-js/sdk/errors";
import { type A2ARequestHandler, JsonRpcTransportHandler, validateVersion } from "@a2a-js/sdk/server";
import type { Context } from "hono";
import type { Scope } from "../../core/scope.js";
import { createCallContext } from "./a2a-scope.js";
import { isAsyncIterable, sseResponse } from "./a2a-sse.js";
import { mistypedPart } from "./message-parts-check.js";
import { isLegacyVersion, normaliseVersion } from "./protocol-version.js";

/** A JSON-RPC 2.0 response envelope as the SDK's transport handlers return it. */
interface JsonRpcEnvelope {
  jsonrpc: string;
  id: string | number | null;
  result?: unknown;
  error?: unknown;
}

/**
 * Answers one A2A JSON-RPC request (A2A v1.0 section 9, JSON-RPC binding; v0.3 section 7) with the
 * SDK's framework-agnostic `JsonRpcTransportHandler` or, for v0.3, `LegacyJsonRpcTransportHandler`,
 * mirroring the SDK's Express `jsonRpcHandler`:
 * - the protocol version is the `A2A-Version` header; absent means 0.3 (section 3.6.2), except that
 *   a v1.0 method name (`SendMessage`, …) without the header is taken as v1.0;
 * - errors are JSON-RPC error objects with HTTP 200 (parse error -32700, invalid request -32600,
 *   unsupported content type, unsupported version), as the SDK answers;
 * - streaming methods (`SendStreamingMessage`/`SubscribeToTask`, v0.3 `message/stream`/
 *   `tasks/resubscribe`) answer `text/event-stream`, one JSON-RPC response per `data:` frame; an error
 *   before the first event is a plain JSON-RPC error instead.
 */
export async function handleJsonRpc(options: {
  context: Context;
  scope: Scope;
  card: AgentCard;
  handler: A2ARequestHandler;
}): Promise<Response> {
  const { context, scope, card, handler } = options;
  const contentType = context.req.header("content-type");
  if (contentType !== undefined && !/^application\/json\s*(;|$)/i.test(contentType.trim())) {
    return rpcError(
      null,
      JsonRpcTransportHandler.mapToJSONRPCError(
        new ContentTypeNotSupportedError(
          `Unsupported Content-Type "${contentType.slice(0, 100)}"; use application/json.`,
        ),
      ),
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(await context.req.text());
  } catch {
    return rpcError(null, { code: A2A_ERROR_CODE.PARSE_ERROR, message: "Invalid JSON payload." });
  }
  // JSON-RPC 2.0 section 5.1: a body that is not a request object is -32600 (batches are not part of A2A).
  const request =
    typeof body === "object" && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : {};
  const id =
    typeof request.id === "string" || Number.isInteger(request.id) ? (request.id as string | number) : null;
  if (
    request.jsonrpc !== "2.0" ||
    typeof request.method !== "string" ||
    request.method === "" ||
    ("id" in request && request.id !== null && id === null)
  ) {
    return rpcError(id, { code: A2A_ERROR_CODE.INVALID_REQUEST, message: "Invalid JSON-RPC Request." });
  }
  const problem = mistypedPart((request.params as { message?: unknown } | undefined)?.message);
  if (problem !== undefined) {
    return rpcError(id, { code: A2A_ERROR_CODE.INVALID_PARAMS, message: `Invalid params: ${problem}.` });
  }
  const header = context.req.header(A2A_VERSION_HEADER);
  const legacy =
    isLegacyVersion(header ?? "0.3") && !(header === undefined && isV1JsonRpcMethod(request.method));
  const mapError = legacy
    ? LegacyJsonRpcTransportHandler.mapToLegacyJSONRPCError
    : JsonRpcTransportHandler.mapToJSONRPCError;
  const callContext = createCallContext({
    scope,
    requestedVersion: normaliseVersion(header ?? (legacy ? "0.3" : "1.0")),
    requestedExtensions: Extensions.parseServiceParameter(
      (legacy ? context.req.header(LEGACY_HTTP_EXTENSION_HEADER) : undefined) ??
        context.req.header(HTTP_EXTENSION_HEADER),
    ),
  });
  let answer: JsonRpcEnvelope | AsyncGenerator<JsonRpcEnvelope, void, undefined>;
  try {
    validateVersion(callContext.requestedVersion, card, "JSONRPC");
    answer = legacy
      ? await new LegacyJsonRpcTransportHandler(handler).handle(request, callContext)
      : await new JsonRpcTransportHandler(handler).handle(request, callContext);
  } catch (error) {
    return rpcError(id, mapError(error));
  }
  const headers: Record<string, string> = {};
  if (callContext.activatedExtensions !== undefined && callContext.activatedExtensions.length > 0) {
    headers[legacy ? LEGACY_HTTP_EXTENSION_HEADER : HTTP_EXTENSION_HEADER] =
      callContext.activatedExtensions.join(",");
  }
  if (!isAsyncIterable<JsonRpcEnvelope>(answer)) return Response.json(answer, { headers });
  const iterator = answer[Symbol.asyncIterator]();
  let first: IteratorResult<JsonRpcEnvelope, void>;
  try {
    first = await iterator.next();
  } catch (error) {
    return rpcError(id, mapError(error));
  }
  return sseResponse({
    first,
    rest: iterator,
    encode: (envelope) => envelope,
    encodeError: (error) => ({ jsonrpc: "2.0", id, error: mapError(error) }),
    headers,
  });
}

function rpcError(id: string | number | null, error: unknown): Response {
  return Response.json({ jsonrpc: "2.0", id, error });
}
