import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import type net from "node:net";
import { Readable } from "node:stream";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { type NetworkPolicy, normalizeHost } from "./network-policy.js";

/** Redirects a guarded fetch follows (with `redirect: "follow"`) before failing. */
export const MAX_REDIRECTS = 5;

/** Thrown (as a fetch failure's cause) when a connection would reach an address the policy refuses. */
export class NetworkRefusedError extends Error {
  readonly code = "PLUTO_NETWORK_REFUSED";
  override readonly name = "NetworkRefusedError";
}

/** The {@link NetworkRefusedError} in `error` or its chain of causes, if any. */
export function findNetworkRefusal(error: unknown): NetworkRefusedError | undefined {
  for (let current = error, depth = 0; current !== undefined && depth < 8; depth++) {
    if (current instanceof NetworkRefusedError) return current;
    current = (current as { cause?: unknown } | null)?.cause;
  }
  return undefined;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * A WHATWG-style `fetch` for the MCP SDK's HTTP transports whose every connection is checked against
 * `policy` **after DNS resolution, at connect time**: names go through a `lookup` that refuses the whole
 * host when any resolved address is refused (so a name that rebinds to 127.0.0.1 between a check and the
 * connect cannot slip through), IP literals (which Node connects to without a lookup) are checked before
 * the request, and every redirect hop is a new request checked the same way. A refused connection rejects
 * with `TypeError("fetch failed")` whose `cause` is a {@link NetworkRefusedError}; nothing is sent.
 * Supports `method`, `headers`, `body` (string, bytes or anything `Response` can read), `signal` and
 * `redirect` (`follow` up to {@link MAX_REDIRECTS} hops, dropping `Authorization` and `Cookie` across
 * origins; `manual` returns the 3xx; `error` rejects). Keep-alive connections are reused per origin.
 */
export function createGuardedFetch(policy: NetworkPolicy): FetchLike {
  const agents = {
    "http:": new http.Agent({ keepAlive: true }),
    "https:": new https.Agent({ keepAlive: true }),
  };
  const lookup = guardedLookup(policy);

  return async (input, init) => {
    let url = new URL(String(input));
    let method = (init?.method ?? "GET").toUpperCase();
    let body = await bodyBytes(init?.body);
    const headers = new Headers(init?.headers);
    for (let hop = 0; ; hop++) {
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new TypeError(`fetch failed: ${url.protocol} URLs are not supported`);
      }
      const refusal = policy.hostRefusal(url.hostname);
      if (refusal !== undefined) {
        throw new TypeError("fetch failed", { cause: new NetworkRefusedError(refusal) });
      }
      const message = await send(url, {
        method,
        headers,
        body,
        agent: agents[url.protocol],
        lookup,
        signal: init?.signal ?? undefined,
      });
      const status = message.statusCode ?? 0;
      const location = message.headers.location;
      if (!REDIRECT_STATUSES.has(status) || location === undefined || init?.redirect === "manual") {
        return toResponse(message, url, method);
      }
      message.resume();
      if (init?.redirect === "error") throw new TypeError(`fetch failed: redirected to ${location}`);
      if (hop >= MAX_REDIRECTS) throw new TypeError(`fetch failed: more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(location, url);
      if (next.origin !== url.origin) {
        headers.delete("authorization");
        headers.delete("cookie");
      }
      if (status === 303 || ((status === 301 || status === 302) && method === "POST")) {
        method = method === "HEAD" ? "HEAD" : "GET";
        body = undefined;
        headers.delete("content-type");
      }
      url = next;
    }
  };
}

/** A `lookup` for node:net that resolves every address and fails when the policy refuses any of them. */
function guardedLookup(policy: NetworkPolicy): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error !== null) {
        callback(error, "", 0);
        return;
      }
      const refusal = addresses
        .map((entry) => policy.addressRefusal(normalizeHost(hostname), entry.address))
        .find((reason) => reason !== undefined);
      const first = addresses[0];
      if (refusal !== undefined || first === undefined) {
        const failure = new NetworkRefusedError(refusal ?? `${hostname} did not resolve to any address`);
        callback(failure as NodeJS.ErrnoException, "", 0);
        return;
      }
      if (options.all === true)
        (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}

interface SendOptions {
  method: string;
  headers: Headers;
  body: Buffer | undefined;
  agent: http.Agent;
  lookup: net.LookupFunction;
  signal: AbortSignal | undefined;
}

function send(url: URL, options: SendOptions): Promise<http.IncomingMessage> {
  const headers: Record<string, string> = Object.fromEntries(options.headers.entries());
  if (options.body !== undefined) headers["content-length"] = String(options.body.length);
  const request = (url.protocol === "https:" ? https : http).request;
  return new Promise((resolve, reject) => {
    const outgoing = request(url, {
      method: options.method,
      headers,
      agent: options.agent,
      lookup: options.lookup,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    outgoing.once("response", resolve);
    outgoing.once("error", (error) => {
      reject(new TypeError("fetch failed", { cause: error }));
    });
    outgoing.end(options.body);
  });
}

function toResponse(message: http.IncomingMessage, url: URL, method: string): Response {
  const headers = new Headers();
  for (let index = 0; index + 1 < message.rawHeaders.length; index += 2) {
    headers.append(message.rawHeaders[index] ?? "", message.rawHeaders[index + 1] ?? "");
  }
  const status = message.statusCode ?? 0;
  const empty = method === "HEAD" || NULL_BODY_STATUSES.has(status);
  if (empty) message.resume();
  const response = new Response(empty ? null : (Readable.toWeb(message) as ReadableStream<Uint8Array>), {
    status,
    statusText: message.statusMessage ?? "",
    headers,
  });
  // The SDK reads `response.url` to resolve relative redirect targets and endpoint URLs.
  Object.defineProperty(response, "url", { value: url.href });
  return response;
}

async function bodyBytes(body: RequestInit["body"] | undefined): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return Buffer.from(body, "utf8");
  return Buffer.from(await new Response(body).arrayBuffer());
}
