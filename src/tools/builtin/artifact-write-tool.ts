import { z } from "zod";
import { assertSafePath } from "../../core/names.js";
import type { Scope } from "../../core/scope.js";
import type { ArtifactInfo, ArtifactStore } from "../../services/artifact/artifact-store.js";
import { defineTool, toolError } from "../define-tool.js";
import type { Tool } from "../tool.js";

/** Largest artifact the model may write, in characters. */
const MAX_CONTENT_CHARS = 5_000_000;

/** Media types guessed from the name's extension when `media_type` is absent. */
const MEDIA_TYPES: Record<string, string> = {
  md: "text/markdown",
  markdown: "text/markdown",
  txt: "text/plain",
  csv: "text/csv",
  tsv: "text/tab-separated-values",
  html: "text/html",
  htm: "text/html",
  css: "text/css",
  xml: "application/xml",
  svg: "image/svg+xml",
  json: "application/json",
  jsonl: "application/jsonl",
  yaml: "application/yaml",
  yml: "application/yaml",
  js: "text/javascript",
  ts: "text/typescript",
  py: "text/x-python",
};

const ArtifactWriteInput = z.object({
  name: z
    .string()
    .min(1)
    .max(512)
    .describe(
      "File name, optionally in folders: letters, digits, '.', '_', '-' joined by '/' (e.g. reports/summary.md).",
    ),
  content: z
    .string()
    .max(MAX_CONTENT_CHARS, `content must be at most ${MAX_CONTENT_CHARS} characters`)
    .describe(
      "The full text to store; replaces an artifact of the same name that you wrote (files users uploaded cannot be replaced).",
    ),
  media_type: z
    .string()
    .regex(/^[\w.+-]+\/[\w.+-]+(?:\s*;.*)?$/, "media_type must look like type/subtype, e.g. text/markdown")
    .max(200)
    .optional()
    .describe(
      "IANA media type (e.g. text/markdown). Default: guessed from the name's extension, else text/plain.",
    ),
});

/** Dependencies of {@link createArtifactWriteTool}. */
export interface ArtifactWriteToolOptions {
  artifacts: ArtifactStore;
  /** Pins the scope written to; when absent the call's `ToolContext.scope` is used. */
  scope?: Scope;
}

/**
 * The `artifact_write` built-in: `{ name, content, media_type? }` stores `content` (UTF-8 text, at most
 * 5,000,000 characters) as artifact `name`, replacing any previous version. The name is checked with
 * `assertSafePath` (an invalid one becomes an `isError` output with the rule). The media type defaults
 * from the extension (`.md` → text/markdown, ...; else `text/plain`). Metadata records `sessionId`,
 * `runId` and `toolCallId`. Output: `Saved artifact NAME (N bytes, TYPE).`; details: the `ArtifactInfo`.
 *
 * Only artifacts a tool call wrote (metadata with a `toolCallId`) may be replaced: an existing artifact
 * without one (a user's Agent Protocol upload, a file the operator put there) is left untouched and the
 * call gets a tool error saying so, with details `{ name, protected: true }`. Model output must never
 * destroy what a person supplied.
 */
export function createArtifactWriteTool(options: ArtifactWriteToolOptions): Tool {
  return defineTool({
    name: "artifact_write",
    description:
      "Save text as a named file (artifact) the user can download and you can read back later with artifact_read.",
    input: ArtifactWriteInput,
    async run(input, context) {
      const scope = options.scope ?? context.scope;
      const name = assertSafePath("artifact", input.name);
      const existing = (await options.artifacts.list(scope, { prefix: name })).find(
        (candidate) => candidate.name === name,
      );
      if (existing !== undefined && !writtenByTool(existing)) {
        return toolError(
          `Artifact ${name} was supplied by a user or the operator, not written by you, so it cannot be replaced. Save your text under another name, for example ${renamed(name)}.`,
          { name, protected: true },
        );
      }
      const mediaType = input.media_type ?? guessMediaType(name);
      const info = await options.artifacts.put(scope, name, input.content, {
        mediaType,
        metadata: { sessionId: context.sessionId, runId: context.runId, toolCallId: context.toolCallId },
      });
      return {
        content: `Saved artifact ${info.name} (${info.size} bytes, ${info.mediaType}).`,
        details: info,
      };
    },
  });
}

/** True for artifacts written by a tool call (`artifact_write`, cut tool output): they carry its id. */
function writtenByTool(info: ArtifactInfo): boolean {
  return info.metadata.toolCallId !== undefined;
}

/** `reports/q1.md` → `reports/q1.edited.md`: a free name to suggest beside a protected one. */
function renamed(name: string): string {
  const slash = name.lastIndexOf("/");
  const dot = name.lastIndexOf(".");
  return dot > slash + 1 ? `${name.slice(0, dot)}.edited${name.slice(dot)}` : `${name}.edited`;
}

function guessMediaType(name: string): string {
  const dot = name.lastIndexOf(".");
  const extension = dot === -1 ? "" : name.slice(dot + 1).toLowerCase();
  return MEDIA_TYPES[extension] ?? "text/plain";
}
