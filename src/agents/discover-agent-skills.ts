import { stat } from "node:fs/promises";
import path from "node:path";
import { closestMatch } from "../config/closest-match.js";
import { locateYamlPath, valueAtPath, type YamlSource } from "../config/yaml-source.js";
import { type Diagnostic, isErrorDiagnostic } from "../core/diagnostic.js";
import type { SkillInfo } from "./agent-definition.js";
import { DEFAULT_SKILL_PATHS, relativePathProblem } from "./agent-schema.js";
import { loadSkills } from "./load-skills.js";
import { escapesFolder } from "./read-prompt-file.js";

/** Options for {@link discoverAgentSkills}. */
export interface DiscoverSkillsOptions {
  folder: string;
  source: YamlSource;
  data: unknown;
  diagnostics: Diagnostic[];
  files: string[];
}

/**
 * Applies `spec.skills` of an agent: checks each skill folder (must exist unless it is the default
 * `skills`, must resolve inside the agent folder), discovers skills with `loadSkills`, and filters by
 * `include` (unknown names are errors) and `exclude` (unknown names are warnings). Returns `undefined`
 * when any error was found; the diagnostics and looked-at paths are pushed to the given arrays.
 */
export async function discoverAgentSkills(options: DiscoverSkillsOptions): Promise<SkillInfo[] | undefined> {
  const { folder, source, data, diagnostics, files } = options;
  const rawPaths = valueAtPath(data, ["spec", "skills", "paths"]);
  const paths = rawPaths === undefined ? DEFAULT_SKILL_PATHS : Array.isArray(rawPaths) ? rawPaths : [];
  const roots: string[] = [];
  let usable = true;
  for (const [index, entry] of paths.entries()) {
    if (typeof entry !== "string" || entry === "" || relativePathProblem(entry) !== undefined) {
      usable = false;
      continue;
    }
    const root = path.join(folder, entry);
    files.push(root);
    const info = await stat(root).catch(() => undefined);
    const location = locateYamlPath(source, ["spec", "skills", "paths", index]);
    const at = {
      file: source.file,
      line: location.line,
      column: location.column,
      path: `spec.skills.paths[${index}]`,
    };
    if (info === undefined || !info.isDirectory()) {
      // The default folder may be absent (an agent without skills), even when written out explicitly.
      if (info === undefined && DEFAULT_SKILL_PATHS.includes(path.posix.normalize(entry))) continue;
      diagnostics.push({
        ...at,
        message: `Skill folder "${entry}" ${info === undefined ? "does not exist" : "is not a folder"} (${root}).`,
        fix: `Create the folder "${entry}" with <skill>/SKILL.md inside, or remove it from spec.skills.paths.`,
      });
      usable = false;
      continue;
    }
    const outside = await escapesFolder(folder, root);
    if (outside !== undefined) {
      diagnostics.push({
        ...at,
        message: `Skill folder "${entry}" resolves to ${outside}, outside the agent folder.`,
        fix: "Copy the skills into the agent folder instead of linking to them.",
      });
      usable = false;
      continue;
    }
    roots.push(root);
  }
  const loaded = await loadSkills({ roots, containedIn: folder });
  files.push(...loaded.files);
  diagnostics.push(...loaded.diagnostics);
  if (loaded.diagnostics.some(isErrorDiagnostic)) usable = false;

  const names = loaded.skills.map((skill) => skill.name);
  const include = valueAtPath(data, ["spec", "skills", "include"]);
  const exclude = valueAtPath(data, ["spec", "skills", "exclude"]);
  const unknownNames = (list: unknown, key: "include" | "exclude") => {
    if (!Array.isArray(list)) return;
    list.forEach((name, index) => {
      if (typeof name !== "string" || names.includes(name)) return;
      const location = locateYamlPath(source, ["spec", "skills", key, index]);
      const suggestion = closestMatch(name, names);
      diagnostics.push({
        file: source.file,
        line: location.line,
        column: location.column,
        path: `spec.skills.${key}[${index}]`,
        message: `Skill "${name}" in spec.skills.${key} was not found. Found: ${names.length === 0 ? "no skills" : names.join(", ")}.`,
        fix: `${suggestion === undefined ? "" : `Did you mean "${suggestion}"? `}Use the name from a SKILL.md front matter, or remove the entry.`,
        ...(key === "exclude" ? { severity: "warning" as const } : {}),
      });
      if (key === "include") usable = false;
    });
  };
  unknownNames(include, "include");
  unknownNames(exclude, "exclude");
  if (!usable) return undefined;
  return loaded.skills.filter(
    (skill) =>
      (!Array.isArray(include) || include.includes(skill.name)) &&
      !(Array.isArray(exclude) && exclude.includes(skill.name)),
  );
}
