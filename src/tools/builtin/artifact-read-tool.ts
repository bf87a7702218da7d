import { z } from "zod";
import { assertSafePath } from "../../core/names.js";
import type { Scope } from "../../core/scope.js";
import type { ArtifactStore } from "../../services/artifact/artifact-store.js";
import { defineTool, toolError } from "../define-tool.js";
import type { Tool } from "../tool.js";

/** Most existing names listed when an artifact is not found. */
const MAX_LISTED = 20;

const ArtifactReadInput = z.object({
  name: z.string().min(1).max(512).describe("The artifact's name, e.g. reports/summary.md."),
  offset: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe("Character offset to start reading at, for reading a long artifact in pieces. Default 0."),
});

/** Dependencies of {@link createArtifactReadTool}. */
export interface ArtifactReadToolOptions {
  artifacts: ArtifactStore;
  /**
   * Most characters returned per call; the output then says which `offset` to read next. Keep it at or
   * below the agent's `limits.maxToolResultChars` so reads are never truncated again. @default 20000
   */
  maxChars?: number;
  /** Pins the scope read from; when absent the call's `ToolContext.scope` is used. */
  scope?: Scope;
}

/**
 * The `artifact_read` built-in: `{ name, offset? }` returns the artifact's text from `offset` (characters),
 * at most `maxChars` of it, followed by a note giving the next offset when more remains. A binary artifact
 * (not valid UTF-8 or containing NUL) is described by size and media type instead. A missing artifact is an
 * `isError` output listing existing names. Details: the `ArtifactInfo` plus `{ offset, end, totalChars }`.
 */
export function createArtifactReadTool(options: ArtifactReadToolOptions): Tool {
  const maxChars = Math.max(200, options.maxChars ?? 20_000);
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  return defineTool({
    name: "artifact_read",
    description: "Read a saved artifact's text (use offset to continue reading a long one).",
    input: ArtifactReadInput,
    async run(input, context) {
      const scope = options.scope ?? context.scope;
      const name = assertSafePath("artifact", input.name);
      const artifact = await options.artifacts.get(scope, name);
      if (artifact === undefined) {
        const names = (await options.artifacts.list(scope)).map((info) => info.name);
        const listing =
          names.length === 0
            ? "There are no artifacts yet."
            : `Existing artifacts: ${names.slice(0, MAX_LISTED).join(", ")}${names.length > MAX_LISTED ? ", ..." : ""}.`;
        return toolError(`No artifact named ${JSON.stringify(name)}. ${listing}`, {
          code: "ARTIFACT_NOT_FOUND",
          name,
        });
      }
      const { info, body } = artifact;
      let text: string;
      try {
        if (body.includes(0)) throw new Error("NUL byte");
        text = decoder.decode(body);
      } catch {
        return {
          content: `Artifact ${info.name} is binary (${info.mediaType}, ${info.size} bytes); it cannot be shown as text.`,
          details: { ...info, binary: true },
        };
      }
      const offset = Math.min(input.offset ?? 0, text.length);
      let end = Math.min(text.length, offset + maxChars);
      // Never split a surrogate pair at the end of a piece.
      if (end < text.length && end > offset && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
      const piece = text.slice(offset, end);
      const note =
        end < text.length
          ? `\n\n[Showing characters ${offset}-${end} of ${text.length}. Call artifact_read with offset ${end} for more.]`
          : offset > 0
            ? `\n\n[End of artifact: characters ${offset}-${end} of ${text.length}.]`
            : "";
      return { content: `${piece}${note}`, details: { ...info, offset, end, totalChars: text.length } };
    },
  });
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
