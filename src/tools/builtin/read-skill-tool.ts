import type { Dirent } from "node:fs";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { z } from "zod";
import type { SkillInfo } from "../../agents/agent-definition.js";
import { defineTool, toolError } from "../define-tool.js";
import type { Tool, ToolOutput } from "../tool.js";

/** Largest file `read_skill` returns, in bytes. */
const MAX_FILE_BYTES = 1024 * 1024;
/** Most file names listed after a skill's body. */
const MAX_LISTED_FILES = 50;

const ReadSkillInput = z.object({
  name: z.string().min(1).max(128).describe("The skill's name, as listed in your skills index."),
  path: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .describe(
      "Optional: a file inside the skill's folder to read instead of SKILL.md, relative to that folder (e.g. reference/guide.md).",
    ),
});

/** Dependencies of {@link createReadSkillTool}. */
export interface ReadSkillToolOptions {
  /** The agent's skills index (`AgentDefinition.skills`); `path` of each is the absolute SKILL.md path. */
  skills: readonly SkillInfo[];
}

/**
 * The `read_skill` built-in: `{ name, path? }`.
 * Without `path` it returns the body of the skill's SKILL.md (YAML front matter removed) followed by a
 * list of the other files in the skill's folder. With `path` it returns that file, which must resolve
 * (after symlinks) inside the skill's folder: absolute paths, `..` segments, backslashes and NUL are
 * rejected. Unknown skill names, missing files, directories, binary files and files over 1 MiB are
 * reported as `isError` outputs naming what is available. Details: `{ skill, path, files? }`.
 */
export function createReadSkillTool(options: ReadSkillToolOptions): Tool {
  const skills = new Map(options.skills.map((skill) => [skill.name, skill]));
  const names = [...skills.keys()].sort();
  const available =
    names.length === 0 ? "This agent has no skills." : `Available skills: ${names.join(", ")}.`;
  return defineTool({
    name: "read_skill",
    description: `Read a skill's instructions (SKILL.md), or a file inside the skill's folder with path. ${available}`,
    input: ReadSkillInput,
    async run(input) {
      const skill = skills.get(input.name);
      if (skill === undefined) {
        return toolError(`Unknown skill ${JSON.stringify(input.name)}. ${available}`, { available: names });
      }
      const folder = dirname(skill.path);
      if (input.path === undefined) {
        const markdown = await readFile(skill.path, "utf8");
        const files = (await listFiles(folder)).filter((file) => file !== "SKILL.md");
        const listing =
          files.length === 0
            ? ""
            : `\n\n---\nOther files in this skill (read with path): ${files.slice(0, MAX_LISTED_FILES).join(", ")}${files.length > MAX_LISTED_FILES ? ", ..." : ""}`;
        return {
          content: `${stripFrontMatter(markdown).trim()}${listing}`,
          details: { skill: skill.name, path: "SKILL.md", files },
        };
      }
      return readSkillFile(skill, folder, input.path);
    },
  });
}

async function readSkillFile(skill: SkillInfo, folder: string, path: string): Promise<ToolOutput> {
  const segments = path.split("/");
  if (path.includes("\0") || path.includes("\\") || isAbsolute(path) || segments.includes("..")) {
    return toolError(
      `Invalid path ${JSON.stringify(path.slice(0, 200))}: give a path relative to the skill's folder, using '/' and no '..' (e.g. reference/guide.md).`,
      { skill: skill.name, path },
    );
  }
  const root = await realpath(folder);
  let target: string;
  try {
    target = await realpath(resolve(root, path));
  } catch {
    const files = await listFiles(folder);
    return toolError(
      `No file ${JSON.stringify(path)} in skill ${JSON.stringify(skill.name)}. Files: ${files.slice(0, MAX_LISTED_FILES).join(", ") || "(none)"}.`,
      { skill: skill.name, path, files },
    );
  }
  if (target !== root && !target.startsWith(root + sep)) {
    return toolError(
      `Path ${JSON.stringify(path)} leads outside the skill's folder; only files inside it can be read.`,
      {
        skill: skill.name,
        path,
      },
    );
  }
  const info = await stat(target);
  if (!info.isFile()) {
    const files = (await listFiles(target)).map((file) =>
      relative(root, join(target, file)).split(sep).join("/"),
    );
    return toolError(
      `${JSON.stringify(path)} is a directory. Files in it: ${files.slice(0, MAX_LISTED_FILES).join(", ") || "(none)"}.`,
      { skill: skill.name, path, files },
    );
  }
  if (info.size > MAX_FILE_BYTES) {
    return toolError(
      `${JSON.stringify(path)} is ${info.size} bytes; read_skill returns files up to ${MAX_FILE_BYTES} bytes.`,
      {
        skill: skill.name,
        path,
        size: info.size,
      },
    );
  }
  const body = await readFile(target);
  if (body.includes(0)) {
    return toolError(
      `${JSON.stringify(path)} is a binary file (${info.size} bytes) and cannot be shown as text.`,
      {
        skill: skill.name,
        path,
        size: info.size,
      },
    );
  }
  return { content: body.toString("utf8"), details: { skill: skill.name, path } };
}

/** Removes a leading `---` YAML front matter block (Agent Skills format). */
function stripFrontMatter(markdown: string): string {
  const match = /^\uFEFF?---\r?\n[\s\S]*?\r?\n---[ \t]*(?:\r?\n|$)/.exec(markdown);
  return match === null ? markdown : markdown.slice(match[0].length);
}

/** Relative `/`-separated paths of the regular files under `folder` (3 levels deep, no dot files), sorted. */
async function listFiles(folder: string, depth = 3): Promise<string[]> {
  const files: string[] = [];
  const walk = async (directory: string, prefix: string, level: number): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const name = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isFile()) files.push(name);
      else if (entry.isDirectory() && level < depth) await walk(join(directory, entry.name), name, level + 1);
    }
  };
  await walk(folder, "", 1);
  return files.sort();
}
