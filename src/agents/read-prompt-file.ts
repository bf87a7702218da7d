import { open, realpath } from "node:fs/promises";
import path from "node:path";
import { locateYamlPath, valueAtPath, type YamlSource } from "../config/yaml-source.js";
import { type Diagnostic, describeFsError } from "../core/diagnostic.js";
import {
  DEFAULT_INSTRUCTIONS_FILE,
  DEFAULT_SYSTEM_PROMPT_FILE,
  relativePathProblem,
} from "./agent-schema.js";

/** Largest accepted system prompt or instructions file. */
export const PROMPT_FILE_MAX_BYTES = 1024 * 1024;

/** Why a file could not be used: too large, or a filesystem error (`code` such as `ENOENT`, `reason` in words). */
export type ReadProblem = { problem: "too-large" } | { problem: "unreadable"; code: unknown; reason: string };

/** Reads a UTF-8 file of at most `maxBytes`; never throws. */
export async function readLimited(file: string, maxBytes: number): Promise<string | ReadProblem> {
  try {
    const handle = await open(file, "r");
    try {
      const info = await handle.stat();
      if (info.isDirectory())
        return { problem: "unreadable", code: "EISDIR", reason: describeFsError({ code: "EISDIR" }) };
      if (info.size > maxBytes) return { problem: "too-large" };
      return await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
  } catch (error) {
    return {
      problem: "unreadable",
      code: (error as { code?: unknown }).code,
      reason: describeFsError(error),
    };
  }
}

/** Options for {@link readPromptFile}. */
export interface PromptFileOptions {
  folder: string;
  source: YamlSource;
  data: unknown;
  key: "system_prompt" | "instructions";
  diagnostics: Diagnostic[];
  files: string[];
}

/**
 * Reads `spec.system_prompt` or `spec.instructions` (or its default file) from the agent folder, adding a
 * diagnostic and returning `undefined` when it is missing, unreadable, too large or outside the folder.
 * Paths the schema rejects are skipped (the schema already reported them). Pushes the path to `files`.
 */
export async function readPromptFile(options: PromptFileOptions): Promise<string | undefined> {
  const { folder, source, data, key, diagnostics, files } = options;
  const raw = valueAtPath(data, ["spec", key]);
  const explicit = raw !== undefined;
  if (explicit && (typeof raw !== "string" || raw === "" || relativePathProblem(raw) !== undefined))
    return undefined;
  const relative = explicit
    ? (raw as string)
    : key === "system_prompt"
      ? DEFAULT_SYSTEM_PROMPT_FILE
      : DEFAULT_INSTRUCTIONS_FILE;
  const file = path.join(folder, relative);
  files.push(file);
  const location = explicit ? locateYamlPath(source, ["spec", key]) : undefined;
  const report = (message: string, fix: string, atFile = false) => {
    if (location === undefined || atFile) diagnostics.push({ file, message, fix });
    else {
      diagnostics.push({
        file: source.file,
        line: location.line,
        column: location.column,
        path: `spec.${key}`,
        message,
        fix,
      });
    }
  };

  const outside = await escapesFolder(folder, file);
  if (outside !== undefined) {
    report(
      `${relative} resolves to ${outside}, outside the agent folder.`,
      "Copy the file into the agent folder instead of linking to it.",
      true,
    );
    return undefined;
  }
  const read = await readLimited(file, PROMPT_FILE_MAX_BYTES);
  if (typeof read === "string") return read;
  if (read.problem === "too-large") {
    report(
      `${relative} is larger than ${PROMPT_FILE_MAX_BYTES / 1024} KiB.`,
      "Shorten it; move reference material into skills, which are read on demand.",
      true,
    );
  } else if (read.code === "ENOENT") {
    report(
      explicit
        ? `spec.${key} names "${relative}", which does not exist (${file}).`
        : `${relative} not found in the agent folder.`,
      explicit
        ? `Create ${relative} in the agent folder (it may be empty), or correct the path.`
        : `Create ${relative} in the agent folder (it may be empty), or set spec.${key} in agent.yaml to another file.`,
    );
  } else {
    report(
      `${relative} cannot be read: ${read.reason}.`,
      `Make ${relative} a readable regular file (for example chmod 644 ${relative}).`,
      true,
    );
  }
  return undefined;
}

/** The real path of `file` when it lies outside the real `folder` (through symlinks), else `undefined`. */
export async function escapesFolder(folder: string, file: string): Promise<string | undefined> {
  const realFolder = await realpath(folder).catch(() => folder);
  const realFile = await realpath(file).catch(() => undefined);
  if (realFile === undefined) return undefined;
  return realFile === realFolder || realFile.startsWith(`${realFolder}${path.sep}`) ? undefined : realFile;
}
