import type { Context } from "hono";
import type { z } from "zod";
import { PlutoError } from "../core/errors.js";

/** Options for {@link readJsonBody}. */
export interface ReadJsonBodyOptions {
  /**
   * An empty (or whitespace-only) body counts as `{}` whatever its content type, so "no body" works from
   * every client (Agent Protocol's "continue" step). A non-empty body must still be JSON.
   * @default false
   */
  optional?: boolean;
}

/**
 * Parses and validates a JSON request body with `schema`. The body must be `application/json` (or
 * `+json`), which also keeps plain HTML forms from posting across sites.
 * @throws PlutoError `BAD_REQUEST` for a wrong content type, malformed JSON or a schema violation
 * (details list every issue).
 */
export async function readJsonBody<T>(
  context: Context,
  schema: z.ZodType<T>,
  options: ReadJsonBodyOptions = {},
): Promise<T> {
  const text = await context.req.text();
  let value: unknown = {};
  if (options.optional !== true || text.trim() !== "") {
    const type = context.req.header("content-type") ?? "";
    if (!/^application\/(.+\+)?json\b/i.test(type)) {
      throw new PlutoError("BAD_REQUEST", "Send the body as JSON with `Content-Type: application/json`.", {
        details: { contentType: type.slice(0, 200) },
      });
    }
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new PlutoError("BAD_REQUEST", `The body is not valid JSON: ${(error as Error).message}`);
    }
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({
      path: issue.path.join("."),
      message: issue.message,
    }));
    const summary = issues.map((issue) => `${issue.path || "(body)"}: ${issue.message}`).join("; ");
    throw new PlutoError("BAD_REQUEST", `The body is invalid: ${summary}`, { details: { issues } });
  }
  return result.data;
}
