import type { Dirent } from "node:fs";
import { lstat, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { TENANT_WRITTEN_MARKER } from "../../agents/agent-trust.js";
import { PlutoError } from "../../core/errors.js";
import { assertSafePath, isSafeName } from "../../core/names.js";

/** Largest file of an agent sent or returned through the admin API, in bytes (1 MiB). */
export const AGENT_FILE_MAX_BYTES = 1024 * 1024;
/** Largest total size of an agent's files, in bytes (4 MiB). */
export const AGENT_FILES_MAX_TOTAL_BYTES = 4 * 1024 * 1024;
/** Most files one agent may have through the admin API. */
export const AGENT_FILES_MAX_COUNT = 200;
/** The files allowed at the top of an agent folder; everything else lives under `skills/<skill>/`. */
export const AGENT_TOP_LEVEL_FILES: readonly string[] = ["agent.yaml", "SYSTEM_PROMPT.md", "INSTRUCTIONS.md"];

/** An agent's files as JSON: relative path (`agent.yaml`, `skills/<skill>/SKILL.md`) to UTF-8 text. */
export type AgentFiles = Record<string, string>;

/**
 * Checks the files of an agent sent to the admin API before anything touches the disk: at most
 * {@link AGENT_FILES_MAX_COUNT} files; each path a safe relative path (`assertSafePath`: no `..`, no
 * leading `/`, no backslash, no NUL) that is one of {@link AGENT_TOP_LEVEL_FILES} or lies under
 * `skills/<skill>/`; no path that is also a folder of another path; each file at most
 * {@link AGENT_FILE_MAX_BYTES} and all together at most {@link AGENT_FILES_MAX_TOTAL_BYTES} (UTF-8 bytes).
 * @throws PlutoError `INVALID_NAME` (400) for an unsafe path, `BAD_REQUEST` (400) for a path outside the
 *   allowed layout, a file/folder clash or too many files, `PAYLOAD_TOO_LARGE` (413) for sizes.
 */
export function checkAgentFiles(files: AgentFiles): void {
  const paths = Object.keys(files);
  if (paths.length > AGENT_FILES_MAX_COUNT) {
    throw new PlutoError(
      "BAD_REQUEST",
      `An agent has at most ${AGENT_FILES_MAX_COUNT} files; this request has ${paths.length}. Merge or remove files.`,
      { details: { count: paths.length, max: AGENT_FILES_MAX_COUNT } },
    );
  }
  let total = 0;
  for (const file of paths) {
    assertSafePath("agent", file);
    if (!isAllowedLayout(file)) {
      throw new PlutoError(
        "BAD_REQUEST",
        `File ${JSON.stringify(file)} is not part of an agent: use ${AGENT_TOP_LEVEL_FILES.join(", ")} or skills/<skill>/<file> (such as skills/research/SKILL.md).`,
        { details: { file } },
      );
    }
    const bytes = Buffer.byteLength(files[file] ?? "", "utf8");
    if (bytes > AGENT_FILE_MAX_BYTES) {
      throw new PlutoError(
        "PAYLOAD_TOO_LARGE",
        `File ${JSON.stringify(file)} has ${bytes} bytes; an agent file has at most ${AGENT_FILE_MAX_BYTES} bytes (1 MiB). Split it into skills.`,
        { details: { file, bytes, max: AGENT_FILE_MAX_BYTES } },
      );
    }
    total += bytes;
  }
  if (total > AGENT_FILES_MAX_TOTAL_BYTES) {
    throw new PlutoError(
      "PAYLOAD_TOO_LARGE",
      `The agent's files have ${total} bytes together; the limit is ${AGENT_FILES_MAX_TOTAL_BYTES} bytes (4 MiB). Remove or shorten files.`,
      { details: { bytes: total, max: AGENT_FILES_MAX_TOTAL_BYTES } },
    );
  }
  const set = new Set(paths);
  for (const file of paths) {
    const segments = file.split("/");
    for (let end = 1; end < segments.length; end++) {
      const folder = segments.slice(0, end).join("/");
      if (set.has(folder)) {
        throw new PlutoError(
          "BAD_REQUEST",
          `${JSON.stringify(folder)} cannot be both a file and the folder of ${JSON.stringify(file)}. Rename one of them.`,
          { details: { file: folder } },
        );
      }
    }
  }
}

/** What {@link readAgentFiles} found. */
export interface ReadAgentFilesResult {
  files: AgentFiles;
  /**
   * Files present in the folder that the admin API does not carry (outside the layout, symbolic links,
   * unsafe names, not UTF-8 text); replacing the agent through the API removes them.
   */
  omitted: string[];
}

/**
 * Reads an agent folder into {@link AgentFiles}: the top-level files of {@link AGENT_TOP_LEVEL_FILES}
 * and every regular file under `skills/`, in path order. Symbolic links are never followed.
 * @throws PlutoError `PAYLOAD_TOO_LARGE` (413) when the folder exceeds the limits of
 *   {@link checkAgentFiles} (edit such an agent on disk instead).
 */
export async function readAgentFiles(folder: string): Promise<ReadAgentFilesResult> {
  const files: AgentFiles = {};
  const omitted: string[] = [];
  let total = 0;
  const tooLarge = (reason: string) =>
    new PlutoError(
      "PAYLOAD_TOO_LARGE",
      `This agent is too large for the admin API (${reason}). Edit its folder on disk instead.`,
    );
  const visit = async (relative: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(path.join(folder, relative), { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
    for (const entry of entries) {
      const file = relative === "" ? entry.name : `${relative}/${entry.name}`;
      // The trust marker is the server's, not one of the agent's files (the writer adds it back).
      if (file === TENANT_WRITTEN_MARKER) continue;
      if (!isSafeName(entry.name)) {
        omitted.push(file);
        continue;
      }
      if (entry.isDirectory()) {
        if (relative === "" && entry.name !== "skills") omitted.push(`${file}/`);
        else await visit(file);
        continue;
      }
      if (!entry.isFile() || !isAllowedLayout(file)) {
        omitted.push(file);
        continue;
      }
      const info = await lstat(path.join(folder, file));
      if (info.size > AGENT_FILE_MAX_BYTES) throw tooLarge(`${file} is larger than 1 MiB`);
      total += info.size;
      if (total > AGENT_FILES_MAX_TOTAL_BYTES) throw tooLarge("its files exceed 4 MiB together");
      const bytes = await readFile(path.join(folder, file));
      const text = decodeUtf8(bytes);
      if (text === undefined) {
        omitted.push(file);
        continue;
      }
      files[file] = text;
      if (Object.keys(files).length > AGENT_FILES_MAX_COUNT) {
        throw tooLarge(`it has more than ${AGENT_FILES_MAX_COUNT} files`);
      }
    }
  };
  await visit("");
  return { files, omitted };
}

function isAllowedLayout(file: string): boolean {
  if (AGENT_TOP_LEVEL_FILES.includes(file)) return true;
  const segments = file.split("/");
  return segments[0] === "skills" && segments.length >= 3;
}

function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
