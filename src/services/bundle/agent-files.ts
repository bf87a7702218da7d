import type { Dirent } from "node:fs";
import { lstat, readdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import { PlutoError } from "../../core/errors.js";
import { isSafeName } from "../../core/names.js";

/** The files of an agent folder that go into a bundle, and what was left out. */
export interface AgentFiles {
  /** The folder's real path (symbolic links in the path to it resolved). */
  root: string;
  /** Relative `/`-separated paths of regular files, sorted. */
  files: string[];
  /** Relative paths left out, with the reason (`symbolic link`, `hidden`, `unsafe name`, `not a regular file`). */
  skipped: { path: string; reason: string }[];
}

/** Deepest folder nesting walked (artifact-style paths allow 16 segments). */
const MAX_DEPTH = 16;

/**
 * Lists the files of an agent folder for export: regular files only, found without following
 * symbolic links (a link is skipped, so nothing outside the folder is ever read), skipping hidden
 * entries (`.git`, `.DS_Store`) and names the bundle format cannot carry safely.
 * @throws PlutoError `AGENT_NOT_FOUND` when the folder does not exist; `BAD_REQUEST` when it is not a
 * folder or has no `agent.yaml`.
 */
export async function listAgentFiles(directory: string): Promise<AgentFiles> {
  let root: string;
  try {
    root = await realpath(directory);
  } catch {
    throw new PlutoError(
      "AGENT_NOT_FOUND",
      `Agent folder ${directory} does not exist; check the agent's name and the agents directory.`,
    );
  }
  if (!(await lstat(root)).isDirectory()) {
    throw new PlutoError(
      "BAD_REQUEST",
      `${directory} is not a folder; pass the agent's folder (the one holding agent.yaml).`,
    );
  }
  const files: string[] = [];
  const skipped: { path: string; reason: string }[] = [];
  const walk = async (relative: string, depth: number): Promise<void> => {
    const entries: Dirent[] = await readdir(join(root, relative), { withFileTypes: true });
    for (const entry of entries) {
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.name.startsWith(".")) skipped.push({ path, reason: "hidden" });
      else if (!isSafeName(entry.name)) skipped.push({ path, reason: "unsafe name" });
      else if (entry.isSymbolicLink()) skipped.push({ path, reason: "symbolic link" });
      else if (entry.isDirectory() && depth < MAX_DEPTH - 1) await walk(path, depth + 1);
      else if (entry.isFile() && path.length <= 512) files.push(path);
      else skipped.push({ path, reason: entry.isDirectory() ? "too deep" : "not a regular file" });
    }
  };
  await walk("", 0);
  if (!files.includes("agent.yaml")) {
    throw new PlutoError(
      "BAD_REQUEST",
      `${directory} has no agent.yaml, so it is not an agent folder; pass an agent folder such as one created with \`pluto init NAME\`.`,
    );
  }
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { root, files, skipped };
}
