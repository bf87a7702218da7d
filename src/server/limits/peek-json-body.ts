import type { Context } from "hono";

/** Largest body peeked at (bigger bodies are not inspected). */
const PEEK_MAX_CHARS = 1_048_576;

/**
 * The request's JSON body read from a clone, so the route still reads the original; `undefined` for a
 * body that is absent, larger than 1 MiB, or not JSON. Middleware uses it to classify requests (run
 * starts, streams) before the route runs.
 */
export async function peekJsonBody(context: Context): Promise<unknown> {
  let text: string;
  try {
    text = await context.req.raw.clone().text();
  } catch {
    return undefined;
  }
  if (text.length > PEEK_MAX_CHARS) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** True when `body` (one JSON-RPC call or a batch) holds a call whose `method` is in `methods`. */
export function hasJsonRpcMethod(body: unknown, methods: ReadonlySet<string>): boolean {
  const calls = Array.isArray(body) ? body : [body];
  return calls.some(
    (call) =>
      typeof call === "object" && call !== null && methods.has(String((call as { method?: unknown }).method)),
  );
}
