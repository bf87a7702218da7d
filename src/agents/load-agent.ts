import { stat } from "node:fs/promises";
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
import type { AgentDefinition } from "./agent-definition.js";
import { AGENT_NAME_PATTERN, agentFileSchema, MODEL_PATTERN } from "./agent-schema.js";
import { discoverAgentSkills } from "./discover-agent-skills.js";
import { readLimited, readPromptFile } from "./read-prompt-file.js";
import { resolveAgent } from "./resolve-agent.js";

export { PROMPT_FILE_MAX_BYTES } from "./read-prompt-file.js";

/** The file name of an agent definition inside its folder. */
export const AGENT_FILE_NAME = "agent.yaml";
/** Largest accepted agent.yaml. */
export const AGENT_FILE_MAX_BYTES = 256 * 1024;

const DOCS = "docs/agent-format.md";

/** Options for {@link loadAgent}. */
export interface LoadAgentOptions {
  /** Provider names declared in pluto.yaml `providers` (built-in names are always known). */
  providerNames: readonly string[];
  /**
   * Names of the operator's catalogue (`mcp_servers` in pluto.yaml); when given, an `mcp` entry whose
   * `server` is not among them is an error. When absent, references are checked when a run connects.
   */
  mcpServerNames?: readonly string[];
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
  if (options.mcpServerNames !== undefined)
    checkCatalogNames(source, data, options.mcpServerNames, diagnostics);
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
  const skills = await discoverAgentSkills({ folder, source, data, diagnostics, files });

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

function checkCatalogNames(
  source: YamlSource,
  data: unknown,
  names: readonly string[],
  diagnostics: Diagnostic[],
): void {
  const servers = valueAtPath(data, ["spec", "tools", "mcp"]);
  if (!Array.isArray(servers)) return;
  servers.forEach((server: unknown, index) => {
    const name = (server as { server?: unknown } | null)?.server;
    if (typeof name !== "string" || names.includes(name)) return;
    const keyPath = ["spec", "tools", "mcp", index, "server"];
    const location = locateYamlPath(source, keyPath);
    const suggestion = closestMatch(name, names);
    diagnostics.push({
      file: source.file,
      line: location.line,
      column: location.column,
      path: formatKeyPath(keyPath),
      message: `MCP server "${name}" is not in mcp_servers of pluto.yaml (${names.length === 0 ? "it has none" : `it has ${names.join(", ")}`}).`,
      fix: `${suggestion === undefined ? "" : `Did you mean "${suggestion}"? `}Use a name from mcp_servers, or add "${name}" under mcp_servers in pluto.yaml.`,
    });
  });
}
