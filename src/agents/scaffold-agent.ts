import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PlutoError } from "../core/errors.js";
import { assertSafeName } from "../core/names.js";
import { MODEL_PATTERN } from "./agent-schema.js";

/** The model a scaffolded agent uses when none is given. */
export const DEFAULT_SCAFFOLD_MODEL = "openai/gpt-5-mini";

/** The files a scaffolded agent starts with, read from `templates/agent/` in the package. */
export const SCAFFOLD_FILES = ["agent.yaml", "SYSTEM_PROMPT.md", "INSTRUCTIONS.md"] as const;

/** Options for {@link scaffoldAgent}. */
export interface ScaffoldAgentOptions {
  /** Folder that holds the agents; created when missing. */
  agentsDir: string;
  /** The new agent's name (a safe name; becomes the folder name and `metadata.name`). */
  name: string;
  /** `provider/model-id`. @default "openai/gpt-5-mini" */
  model?: string;
}

/**
 * The package's `templates/agent/` folder, resolved from this module's URL (`dist/agents/` or `src/agents/`
 * → `../../templates/agent`); `templates/` ships in the npm package ("files" in package.json).
 */
export function agentTemplatesDir(): string {
  return fileURLToPath(new URL("../../templates/agent/", import.meta.url));
}

/**
 * Creates `<agentsDir>/<name>/` with a commented `agent.yaml` (valid PAF v1 explaining every key),
 * `SYSTEM_PROMPT.md` and `INSTRUCTIONS.md` from the templates, replacing `{{name}}` and `{{model}}`.
 * Returns the absolute path of the new folder. An existing empty folder is filled in.
 * @throws PlutoError `INVALID_NAME` for an unsafe name; `BAD_REQUEST` for a model that is not
 *   `provider/model-id` or when the agent folder already exists and is not empty (nothing is overwritten).
 */
export async function scaffoldAgent(options: ScaffoldAgentOptions): Promise<string> {
  const name = assertSafeName("agent", options.name);
  const model = options.model ?? DEFAULT_SCAFFOLD_MODEL;
  if (!MODEL_PATTERN.test(model)) {
    throw new PlutoError(
      "BAD_REQUEST",
      `Model ${JSON.stringify(model.slice(0, 100))} is not "provider/model-id"; pass one such as "${DEFAULT_SCAFFOLD_MODEL}".`,
      { details: { model: model.slice(0, 200) } },
    );
  }
  const agentsDir = path.resolve(options.agentsDir);
  const directory = path.join(agentsDir, name);
  const templates = await Promise.all(
    SCAFFOLD_FILES.map(async (file) => ({
      file,
      text: await readFile(path.join(agentTemplatesDir(), file), "utf8"),
    })),
  );

  await mkdir(agentsDir, { recursive: true });
  try {
    await mkdir(directory);
  } catch (error) {
    if ((error as { code?: unknown }).code !== "EEXIST") throw error;
    const entries = await readdir(directory).catch(() => undefined);
    if (entries === undefined || entries.length > 0) {
      throw new PlutoError(
        "BAD_REQUEST",
        `Agent "${name}" already exists at ${directory}; nothing was overwritten. Pick another name, or delete or rename that folder first.`,
        { details: { agent: name, directory } },
      );
    }
  }
  const values: Record<string, string> = { name, model: yamlScalar(model) };
  for (const { file, text } of templates) {
    const content = text.replace(/\{\{(name|model)\}\}/g, (_, key: string) =>
      file === "agent.yaml" ? (values[key] ?? "") : key === "model" ? model : name,
    );
    await writeFile(path.join(directory, file), content, { encoding: "utf8", flag: "wx" });
  }
  return directory;
}

/** `value` as a YAML scalar: plain when it is made of safe characters, double-quoted (JSON) otherwise. */
function yamlScalar(value: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._/@-]*$/.test(value) ? value : JSON.stringify(value);
}
