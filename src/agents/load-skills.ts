import type { Dirent } from "node:fs";
import { open, readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { locateYamlPath, parseYamlSource, yamlValue } from "../config/yaml-source.js";
import { type Diagnostic, describeFsError } from "../core/diagnostic.js";
import { PlutoError } from "../core/errors.js";
import type { SkillInfo } from "./agent-definition.js";

/**
 * Agent Skills discovery (https://agentskills.io/specification): every `<root>/<skill>/SKILL.md` whose YAML
 * front matter has `name` and `description`. Only the index is kept; `readSkillBody` reads the rest on demand.
 * Problems never stop the scan (pi-mono style): each becomes a diagnostic.
 *
 * Errors (the skill is skipped): unreadable SKILL.md, no front matter, YAML syntax error, `name` or
 * `description` missing or not text, empty description.
 * Warnings (the skill still loads): name not lowercase letters/digits/hyphens, name over 64 characters,
 * name different from its folder, description over 1024 characters, a name already taken by an earlier skill
 * (the later one is skipped).
 */

/** Bytes of SKILL.md read to find the front matter; a longer front matter is an error. */
export const SKILL_FRONT_MATTER_MAX_BYTES = 64 * 1024;
/** Largest SKILL.md body {@link readSkillBody} returns. */
export const SKILL_BODY_MAX_BYTES = 1024 * 1024;

const SKILL_NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Options for {@link loadSkills}. */
export interface LoadSkillsOptions {
  /**
   * Absolute folders to scan, in order. Each is a folder of skill folders (`<root>/<name>/SKILL.md`) or a
   * single skill folder (`<root>/SKILL.md`). A missing root is reported as an error.
   */
  roots: readonly string[];
  /**
   * When set, a SKILL.md whose real path (after symlinks) lies outside this absolute folder is rejected,
   * so an agent folder cannot pull files from elsewhere on the host.
   */
  containedIn?: string;
}

/** What {@link loadSkills} found. */
export interface LoadSkillsResult {
  /** Valid skills in discovery order (roots in order, folders sorted by name). */
  skills: SkillInfo[];
  diagnostics: Diagnostic[];
  /** Every SKILL.md path looked at (for cache invalidation by mtime). */
  files: string[];
}

/** Scans `roots` for skills. Never throws for problems in the files; see the module comment. */
export async function loadSkills(options: LoadSkillsOptions): Promise<LoadSkillsResult> {
  const result: LoadSkillsResult = { skills: [], diagnostics: [], files: [] };
  const byName = new Map<string, SkillInfo>();
  const containedIn =
    options.containedIn === undefined ? undefined : await realpathOrSelf(options.containedIn);
  for (const root of options.roots) {
    const candidates = await skillFilesIn(root, result.diagnostics);
    for (const file of candidates) {
      result.files.push(file);
      const skill = await loadSkillFile(file, containedIn, result.diagnostics);
      if (skill === undefined) continue;
      const earlier = byName.get(skill.name);
      if (earlier !== undefined) {
        result.diagnostics.push({
          file,
          message: `Skill name "${skill.name}" is already used by ${earlier.path}; this skill is skipped.`,
          fix: "Give each skill a unique name (and folder).",
          severity: "warning",
        });
        continue;
      }
      byName.set(skill.name, skill);
      result.skills.push(skill);
    }
  }
  return result;
}

async function skillFilesIn(root: string, diagnostics: Diagnostic[]): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    diagnostics.push({
      file: root,
      message: `Skill folder cannot be read: ${describeFsError(error)}.`,
      fix: "Create the folder, fix its permissions, or remove it from spec.skills.paths.",
    });
    return [];
  }
  if (entries.some((entry) => entry.name === "SKILL.md" && !entry.isDirectory()))
    return [path.join(root, "SKILL.md")];
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith(".")) continue;
    const folder = path.join(root, entry.name);
    if (!entry.isDirectory()) {
      if (!entry.isSymbolicLink()) continue;
      const target = await stat(folder).catch(() => undefined);
      if (target === undefined || !target.isDirectory()) continue;
    }
    const file = path.join(folder, "SKILL.md");
    if (await stat(file).catch(() => undefined)) files.push(file);
  }
  return files;
}

async function loadSkillFile(
  file: string,
  containedIn: string | undefined,
  diagnostics: Diagnostic[],
): Promise<SkillInfo | undefined> {
  if (containedIn !== undefined) {
    const real = await realpathOrSelf(file);
    if (real !== containedIn && !real.startsWith(`${containedIn}${path.sep}`)) {
      diagnostics.push({
        file,
        message: `SKILL.md resolves to ${real}, outside the agent folder.`,
        fix: "Copy the skill into the agent folder instead of linking to it.",
      });
      return undefined;
    }
  }
  let head: string;
  try {
    head = await readHead(file, SKILL_FRONT_MATTER_MAX_BYTES);
  } catch (error) {
    diagnostics.push({
      file,
      message: `SKILL.md cannot be read: ${describeFsError(error)}.`,
      fix: "Make SKILL.md a readable file.",
    });
    return undefined;
  }
  const parsed = parseSkillFrontMatter({ file, text: head });
  diagnostics.push(...parsed.diagnostics);
  if (parsed.frontMatter === undefined) return undefined;
  const folderName = path.basename(path.dirname(file));
  const { name, description } = parsed.frontMatter;
  const warn = (message: string, fix: string, key: string) => {
    const location = parsed.locate(key);
    diagnostics.push({ file, ...location, path: key, message, fix, severity: "warning" });
  };
  if (!SKILL_NAME_PATTERN.test(name) || name.length > 64) {
    warn(
      `Skill name "${name.slice(0, 80)}" should be at most 64 lowercase letters, digits and single hyphens.`,
      `Rename it, for example to "${suggestSkillName(name)}".`,
      "name",
    );
  }
  if (name !== folderName) {
    warn(
      `Skill name "${name.slice(0, 80)}" does not match its folder "${folderName}".`,
      `Rename the folder to "${name}" or set name: ${folderName}.`,
      "name",
    );
  }
  if (description.length > 1024) {
    warn(
      `Skill description is ${description.length} characters; the Agent Skills limit is 1024.`,
      "Shorten the description to what the skill does and when to use it.",
      "description",
    );
  }
  return { name, description, path: file };
}

/** Options for {@link parseSkillFrontMatter}. */
export interface ParseSkillFrontMatterOptions {
  /** Path used in diagnostics. */
  file: string;
  /** The start of SKILL.md (at least the whole front matter). */
  text: string;
}

/** Result of {@link parseSkillFrontMatter}. */
export interface ParsedSkillFrontMatter {
  /** `name` and `description` when both are present and valid text; other keys are ignored. */
  frontMatter?: { name: string; description: string };
  diagnostics: Diagnostic[];
  /** Line and column of a front matter key (for warnings about it). */
  locate(key: string): { line: number; column: number };
  /** Character offset where the body starts (after the closing `---` line), or 0 without front matter. */
  bodyOffset: number;
}

/**
 * Parses the YAML front matter of a SKILL.md: the file starts with a `---` line (an optional BOM allowed)
 * and the front matter ends at the next `---` (or `...`) line. Reports errors with SKILL.md line numbers.
 */
export function parseSkillFrontMatter(options: ParseSkillFrontMatterOptions): ParsedSkillFrontMatter {
  const { file } = options;
  const text = options.text.startsWith("\uFEFF") ? options.text.slice(1) : options.text;
  const result: ParsedSkillFrontMatter = {
    diagnostics: [],
    locate: () => ({ line: 1, column: 1 }),
    bodyOffset: 0,
  };
  const opening = /^---[ \t]*\r?\n/.exec(text);
  if (opening === null) {
    result.diagnostics.push({
      file,
      line: 1,
      column: 1,
      message: "SKILL.md has no YAML front matter.",
      fix: "Start SKILL.md with a '---' line, then 'name: <skill-name>' and 'description: <what it does and when to use it>', then a '---' line.",
    });
    return result;
  }
  const closing = /^(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/m;
  const rest = text.slice(opening[0].length);
  const end = closing.exec(rest);
  if (end === null) {
    result.diagnostics.push({
      file,
      line: 1,
      column: 1,
      message: `SKILL.md front matter is not closed within the first ${SKILL_FRONT_MATTER_MAX_BYTES / 1024} KiB.`,
      fix: "End the front matter with a '---' line.",
    });
    return result;
  }
  result.bodyOffset = opening[0].length + end.index + end[0].length;
  const source = parseYamlSource({ file, text: rest.slice(0, end.index), lineOffset: 1 });
  result.locate = (key) => {
    const { line, column } = locateYamlPath(source, [key]);
    return { line, column };
  };
  const syntax = source.diagnostics.filter((diagnostic) => diagnostic.severity !== "warning");
  if (syntax.length > 0) {
    result.diagnostics.push(...syntax);
    return result;
  }
  let data: unknown;
  try {
    data = yamlValue(source);
  } catch (error) {
    result.diagnostics.push({
      file,
      line: 2,
      column: 1,
      message: `Front matter cannot be read: ${String(error)}`,
      fix: "Remove YAML aliases.",
    });
    return result;
  }
  const record =
    data !== null && typeof data === "object" && !Array.isArray(data)
      ? (data as Record<string, unknown>)
      : {};
  const requireText = (key: "name" | "description"): string | undefined => {
    const value = record[key];
    if (typeof value === "string" && value.trim() !== "") return value.trim();
    const { line, column } = result.locate(key);
    result.diagnostics.push({
      file,
      line,
      column,
      path: key,
      message:
        value === undefined
          ? `SKILL.md front matter is missing "${key}".`
          : `SKILL.md front matter "${key}" must be non-empty text.`,
      fix:
        key === "name"
          ? "Add 'name: <skill-name>' (lowercase letters, digits and hyphens, same as the folder name)."
          : "Add 'description: <what the skill does and when to use it>' (at most 1024 characters).",
    });
    return undefined;
  };
  const name = requireText("name");
  const description = requireText("description");
  if (name !== undefined && description !== undefined) result.frontMatter = { name, description };
  return result;
}

/**
 * Reads a skill's instructions: SKILL.md without its front matter, trimmed. At most
 * {@link SKILL_BODY_MAX_BYTES} bytes are read.
 * @throws PlutoError `TOOL_ERROR` when the file cannot be read (it may have been deleted since discovery).
 */
export async function readSkillBody(skill: SkillInfo): Promise<string> {
  let text: string;
  try {
    text = await readHead(skill.path, SKILL_BODY_MAX_BYTES);
  } catch (error) {
    throw new PlutoError(
      "TOOL_ERROR",
      `Skill "${skill.name}" cannot be read from ${skill.path}: ${describeFsError(error)}. Restore the file or reload the agent.`,
      { cause: error, details: { skill: skill.name } },
    );
  }
  const parsed = parseSkillFrontMatter({ file: skill.path, text });
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  return body.slice(parsed.bodyOffset).trim();
}

async function readHead(file: string, maxBytes: number): Promise<string> {
  const handle = await open(file, "r");
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    if (info.size <= maxBytes) return await handle.readFile("utf8");
    const buffer = Buffer.alloc(maxBytes);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes, 0);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
}

async function realpathOrSelf(file: string): Promise<string> {
  return realpath(file).catch(() => path.resolve(file));
}

function suggestSkillName(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64)
    .replace(/-+$/, "");
  return cleaned === "" ? "my-skill" : cleaned;
}
