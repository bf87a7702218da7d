import { open, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { BUILTIN_PROVIDER_NAMES, splitModelString } from "../config/builtin-providers.js";
import { closestMatch } from "../config/closest-match.js";
import { schemaIssueDiagnostics } from "../config/schema-diagnostics.js";
import {
  formatKeyPath,
  locateYamlPath,
  parseYamlSource,
  valueAtPath,
  type YamlSource,
  yamlValue,
} from "../config/yaml-source.js";
import {
  type Diagnostic,
  describeFsError,
  formatDiagnostics,
  isErrorDiagnostic,
  sortDiagnostics,
} from "../core/diagnostic.js";
import { PlutoError } from "../core/errors.js";
import { isSafeName } from "../core/names.js";
import type { AgentDefinition, McpServerSpec, SkillInfo } from "./agent-definition.js";
import {
  AGENT_NAME_PATTERN,
  type AgentFile,
  agentFileSchema,
  DEFAULT_INSTRUCTIONS_FILE,
  DEFAULT_SKILL_PATHS,
  DEFAULT_SYSTEM_PROMPT_FILE,
  MODEL_PATTERN,
  relativePathProblem,
} from "./agent-schema.js";
import { loadSkills } from "./load-skills.js";

/** The file name of an agent definition inside its folder. */
export const AGENT_FILE_NAME = "agent.yaml";
/** Largest accepted agent.yaml. */
export const AGENT_FILE_MAX_BYTES = 256 * 1024;
/** Largest accepted system prompt or instructions file. */
export const PROMPT_FILE_MAX_BYTES = 1024 * 1024;

const DOCS = "docs/agent-format.md";

/** Options for {@link loadAgent}. */
export interface LoadAgentOptions {
  /** Provider names declared in pluto.yaml `providers` (built-in names are always known). */
  providerNames: readonly string[];
}

/** What {@link loadAgent} produced. */
export interface LoadAgentResult {
  /** The resolved agent, present only when no diagnostic has severity `error`. */
  agent?: AgentDefinition;
  /** Every problem found, sorted by file and line; warnings may accompany a valid agent. */
  diagnostics: Diagnostic[];
  /** Every file and folder the load read or looked for (agent.yaml, prompt files, skill roots, SKILL.md files). */
  files: string[];
}

/**
 * Loads and validates one agent folder (PAF v1): `agent.yaml`, its system prompt and instructions files and
 * its skills index. Never throws for problems in the user's files: it collects every one of them as a
 * diagnostic with the file, line, column and a fix (schema issues, unknown providers, a name that differs
 * from the folder, missing or unreadable Markdown files, paths leaving the folder, YAML syntax errors,
 * skill problems). The two Markdown files are expected to exist, even when their keys are not set.
 */
export async function loadAgent(directory: string, options: LoadAgentOptions): Promise<LoadAgentResult> {
  const folder = path.resolve(directory);
  const agentFile = path.join(folder, AGENT_FILE_NAME);
  const diagnostics: Diagnostic[] = [];
  const files = [agentFile];
  const done = (agent?: AgentDefinition): LoadAgentResult => {
    const sorted = sortDiagnostics(diagnostics);
    const blocked = sorted.some(isErrorDiagnostic);
    return agent !== undefined && !blocked
      ? { agent, diagnostics: sorted, files }
      : { diagnostics: sorted, files };
  };

  const text = await readAgentFile(folder, agentFile, diagnostics);
  if (text === undefined) return done();
  const source = parseYamlSource({ file: agentFile, text });
  diagnostics.push(...source.diagnostics);
  if (source.diagnostics.some(isErrorDiagnostic)) return done();
  let data: unknown;
  try {
    data = yamlValue(source);
  } catch (error) {
    diagnostics.push({
      file: agentFile,
      line: 1,
      column: 1,
      message: `agent.yaml cannot be expanded: ${describeFsError(error)}.`,
      fix: "Remove YAML aliases (*name); write the values out.",
    });
    return done();
  }
  if (data === undefined || data === null) {
    diagnostics.push({
      file: agentFile,
      line: 1,
      column: 1,
      message: "agent.yaml is empty.",
      fix: `Write apiVersion: pluto/v1, kind: Agent, metadata.name and spec.model (run \`pluto init ${path.basename(folder)}\` for a commented example).`,
    });
    return done();
  }

  const parsed = agentFileSchema.safeParse(data);
  if (!parsed.success) {
    diagnostics.push(
      ...schemaIssueDiagnostics({
        issues: parsed.error.issues,
        source,
        data,
        schema: agentFileSchema,
        docs: DOCS,
      }),
    );
  }
  checkName(folder, source, data, diagnostics);
  checkProviders(source, data, options.providerNames, diagnostics);
  const systemPrompt = await readPromptFile({
    folder,
    source,
    data,
    key: "system_prompt",
    diagnostics,
    files,
  });
  const instructions = await readPromptFile({
    folder,
    source,
    data,
    key: "instructions",
    diagnostics,
    files,
  });
  const skills = await discoverSkills({ folder, source, data, diagnostics, files });

  if (!parsed.success || systemPrompt === undefined || instructions === undefined || skills === undefined) {
    return done();
  }
  return done(resolveAgent({ folder, file: parsed.data, systemPrompt, instructions, skills }));
}

/**
 * Like {@link loadAgent} but returns the agent or throws.
 * @throws PlutoError `AGENT_INVALID` whose message lists every error (formatted diagnostics) and whose
 *   `details.diagnostics` holds them as data.
 */
export async function assertAgent(directory: string, options: LoadAgentOptions): Promise<AgentDefinition> {
  const result = await loadAgent(directory, options);
  if (result.agent !== undefined) return result.agent;
  throw agentInvalidError(path.basename(path.resolve(directory)), result.diagnostics);
}

/** The `AGENT_INVALID` error for an agent whose load produced `diagnostics`. */
export function agentInvalidError(name: string, diagnostics: readonly Diagnostic[]): PlutoError {
  const errors = diagnostics.filter(isErrorDiagnostic);
  return new PlutoError(
    "AGENT_INVALID",
    `Agent "${name}" is invalid (${errors.length} problem${errors.length === 1 ? "" : "s"}); fix these and retry:\n${formatDiagnostics(errors)}`,
    { details: { agent: name, diagnostics: [...diagnostics] } },
  );
}

async function readAgentFile(
  folder: string,
  file: string,
  diagnostics: Diagnostic[],
): Promise<string | undefined> {
  const folderInfo = await stat(folder).catch((error: unknown) => error);
  if (folderInfo instanceof Error || !(folderInfo as { isDirectory(): boolean }).isDirectory()) {
    diagnostics.push({
      file: folder,
      message: `Agent folder ${folder} ${folderInfo instanceof Error ? `cannot be opened: ${describeFsError(folderInfo)}` : "is not a folder"}.`,
      fix: `Create the agent with \`pluto init ${path.basename(folder)}\` or check the agents_dir in pluto.yaml.`,
    });
    return undefined;
  }
  const read = await readLimited(file, AGENT_FILE_MAX_BYTES);
  if (typeof read === "string") return read;
  const name = path.basename(folder);
  if (read.problem === "too-large") {
    diagnostics.push({
      file,
      message: `agent.yaml is larger than ${AGENT_FILE_MAX_BYTES / 1024} KiB.`,
      fix: "Keep agent.yaml small: move prose into SYSTEM_PROMPT.md, INSTRUCTIONS.md or skills.",
    });
  } else if (read.code === "ENOENT") {
    diagnostics.push({
      file,
      message: `agent.yaml not found in ${folder}.`,
      fix: `Create agent.yaml (run \`pluto init ${name}\` for a commented example).`,
    });
  } else {
    diagnostics.push({
      file,
      message: `agent.yaml cannot be read: ${read.reason}.`,
      fix: "Make agent.yaml a readable regular file (for example chmod 644 agent.yaml).",
    });
  }
  return undefined;
}

/** Why a file could not be used: too large, or a filesystem error (`code` such as `ENOENT`, `reason` in words). */
type ReadProblem = { problem: "too-large" } | { problem: "unreadable"; code: unknown; reason: string };

async function readLimited(file: string, maxBytes: number): Promise<string | ReadProblem> {
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

function checkName(folder: string, source: YamlSource, data: unknown, diagnostics: Diagnostic[]): void {
  const folderName = path.basename(folder);
  if (!isSafeName(folderName)) {
    diagnostics.push({
      file: folder,
      message: `Folder name "${folderName.slice(0, 80)}" is not a valid agent name.`,
      fix: "Rename the folder to 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit.",
    });
    return;
  }
  const name = valueAtPath(data, ["metadata", "name"]);
  if (typeof name === "string" && AGENT_NAME_PATTERN.test(name) && name !== folderName) {
    const location = locateYamlPath(source, ["metadata", "name"]);
    diagnostics.push({
      file: source.file,
      line: location.line,
      column: location.column,
      path: "metadata.name",
      message: `metadata.name "${name}" does not match the folder name "${folderName}".`,
      fix: `Set metadata.name to "${folderName}" or rename the folder to "${name}".`,
    });
  }
}

function checkProviders(
  source: YamlSource,
  data: unknown,
  providerNames: readonly string[],
  diagnostics: Diagnostic[],
): void {
  const known = [...new Set<string>([...BUILTIN_PROVIDER_NAMES, ...providerNames])];
  const fallbacks = valueAtPath(data, ["spec", "fallback_models"]);
  const entries: Array<{ keyPath: Array<string | number>; value: unknown }> = [
    { keyPath: ["spec", "model"], value: valueAtPath(data, ["spec", "model"]) },
    ...(Array.isArray(fallbacks)
      ? fallbacks.map((value, index) => ({ keyPath: ["spec", "fallback_models", index], value }))
      : []),
  ];
  for (const { keyPath, value } of entries) {
    if (typeof value !== "string" || !MODEL_PATTERN.test(value)) continue;
    const provider = splitModelString(value)?.provider;
    if (provider === undefined || known.includes(provider)) continue;
    const location = locateYamlPath(source, keyPath);
    const suggestion = closestMatch(provider, known);
    diagnostics.push({
      file: source.file,
      line: location.line,
      column: location.column,
      path: formatKeyPath(keyPath),
      message: `Unknown provider "${provider}" in "${value}". Known providers: ${known.join(", ")}.`,
      fix: `${suggestion === undefined ? "" : `Did you mean "${suggestion}/${value.slice(provider.length + 1)}"? `}Use one of ${known.join(", ")}, or declare "${provider}" under providers: in pluto.yaml (type: openai-compatible with base_url).`,
    });
  }
}

interface PromptFileOptions {
  folder: string;
  source: YamlSource;
  data: unknown;
  key: "system_prompt" | "instructions";
  diagnostics: Diagnostic[];
  files: string[];
}

async function readPromptFile(options: PromptFileOptions): Promise<string | undefined> {
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
async function escapesFolder(folder: string, file: string): Promise<string | undefined> {
  const realFolder = await realpath(folder).catch(() => folder);
  const realFile = await realpath(file).catch(() => undefined);
  if (realFile === undefined) return undefined;
  return realFile === realFolder || realFile.startsWith(`${realFolder}${path.sep}`) ? undefined : realFile;
}

interface DiscoverSkillsOptions {
  folder: string;
  source: YamlSource;
  data: unknown;
  diagnostics: Diagnostic[];
  files: string[];
}

async function discoverSkills(options: DiscoverSkillsOptions): Promise<SkillInfo[] | undefined> {
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

interface ResolveAgentOptions {
  folder: string;
  file: AgentFile;
  systemPrompt: string;
  instructions: string;
  skills: SkillInfo[];
}

function resolveAgent(options: ResolveAgentOptions): AgentDefinition {
  const { folder, file } = options;
  const { spec, metadata } = file;
  const parameters: AgentDefinition["parameters"] = {};
  if (spec.parameters?.temperature !== undefined) parameters.temperature = spec.parameters.temperature;
  if (spec.parameters?.max_output_tokens !== undefined)
    parameters.maxOutputTokens = spec.parameters.max_output_tokens;
  const mcpServers = spec.tools.mcp.map((server): McpServerSpec => {
    const timeoutMs = Math.round(server.timeout_seconds * 1000);
    if (server.url !== undefined) {
      return {
        name: server.name,
        transport: "http",
        url: server.url,
        headers: { ...server.headers },
        timeoutMs,
      };
    }
    const stdio: McpServerSpec = {
      name: server.name,
      transport: "stdio",
      command: server.command ?? "",
      args: [...(server.args ?? [])],
      env: { ...server.env },
      timeoutMs,
    };
    if (server.cwd !== undefined) stdio.cwd = path.resolve(folder, server.cwd);
    return stdio;
  });
  return {
    name: metadata.name,
    description: metadata.description ?? "",
    labels: { ...metadata.labels },
    directory: folder,
    model: spec.model,
    fallbackModels: [...(spec.fallback_models ?? [])],
    systemPrompt: options.systemPrompt,
    instructions: options.instructions,
    parameters,
    limits: {
      maxSteps: spec.limits.max_steps,
      maxRunSeconds: spec.limits.max_run_seconds,
      maxToolResultChars: spec.limits.max_tool_result_chars,
    },
    tools: { builtins: [...spec.tools.builtin], mcpServers },
    skills: options.skills,
    memory: { enabled: spec.memory.enabled },
  };
}
