import { errorMessage } from "../core/errors.js";
import type { ToolOutput } from "./tool.js";

/** Options of {@link limitToolOutput}. */
export interface ToolOutputLimitOptions {
  /**
   * Most characters (UTF-16 code units) of `content` the model sees, marker included. Values below 1
   * are treated as 1. Usually the agent's `limits.maxToolResultChars` (default 20000).
   */
  maxChars: number;
  /** Saves the full content and returns the artifact's name (e.g. `tool-results/<runId>/<toolCallId>.txt`). */
  saveFull: (text: string) => Promise<string>;
}

/** The output the model sees after {@link limitToolOutput}. */
export interface LimitedToolOutput extends ToolOutput {
  /** Name of the artifact holding the full content, when the content was cut and saving worked. */
  artifact?: string;
  /** True when `content` was cut. */
  truncated: boolean;
}

/**
 * Cuts a tool's `content` to `maxChars`. Content that fits is returned unchanged (and `saveFull` is not
 * called). Longer content is saved whole with `saveFull`, then cut and followed by a marker such as
 *
 * `[Output truncated: showing the first 19790 of 51234 characters. The full output was saved as artifact
 * "tool-results/run-1/call-1.txt"; read the rest with artifact_read { "name": "tool-results/run-1/call-1.txt", "offset": 19790 }.]`
 *
 * so the whole result, marker included, is at most `maxChars` long (when `maxChars` is smaller than the
 * marker, only the marker remains). A surrogate pair is never split. If `saveFull` throws, the marker
 * says the full output could not be saved and `artifact` is absent. `details` and `isError` are passed
 * through untouched.
 */
export async function limitToolOutput(
  output: ToolOutput,
  options: ToolOutputLimitOptions,
): Promise<LimitedToolOutput> {
  const maxChars = Math.max(1, Math.floor(options.maxChars));
  const { content } = output;
  if (content.length <= maxChars) return { ...output, truncated: false };

  let artifact: string | undefined;
  let saveError: string | undefined;
  try {
    artifact = await options.saveFull(content);
  } catch (error) {
    saveError = errorMessage(error);
  }
  const markerFor = (kept: number): string =>
    artifact === undefined
      ? `\n\n[Output truncated: showing the first ${kept} of ${content.length} characters. The full output could not be saved (${saveError ?? "unknown error"}).]`
      : `\n\n[Output truncated: showing the first ${kept} of ${content.length} characters. The full output was saved as artifact ${JSON.stringify(artifact)}; read the rest with artifact_read { "name": ${JSON.stringify(artifact)}, "offset": ${kept} }.]`;
  // The marker's length depends on how many digits `kept` has; `maxChars` has at least as many.
  let kept = Math.max(0, maxChars - markerFor(maxChars).length);
  if (kept > 0 && isHighSurrogate(content.charCodeAt(kept - 1))) kept -= 1;
  const cut = kept === 0 ? markerFor(0).trimStart() : `${content.slice(0, kept)}${markerFor(kept)}`;
  const limited: LimitedToolOutput = { ...output, content: cut, truncated: true };
  if (artifact !== undefined) limited.artifact = artifact;
  return limited;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
