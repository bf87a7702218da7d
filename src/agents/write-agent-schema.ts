import { writeFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { z } from "zod";
import { agentFileSchema } from "./agent-schema.js";

/**
 * The JSON Schema (draft 2020-12) of `agent.yaml`, generated from {@link agentFileSchema} with zod 4's
 * `z.toJSONSchema` (input side, so keys with defaults are optional), as the text committed in
 * `schemas/agent.schema.json`: two-space indented, ending with a newline.
 */
export function agentJsonSchemaText(): string {
  const schema = z.toJSONSchema(agentFileSchema, { io: "input", target: "draft-2020-12" });
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** Absolute path of `schemas/agent.schema.json` in the package (from `dist/agents/` or `src/agents/`). */
export function agentJsonSchemaPath(): string {
  return fileURLToPath(new URL("../../schemas/agent.schema.json", import.meta.url));
}

/** Writes {@link agentJsonSchemaText} to `file` (default: the package's `schemas/agent.schema.json`). */
export async function writeAgentJsonSchema(file: string = agentJsonSchemaPath()): Promise<string> {
  await writeFile(file, agentJsonSchemaText(), "utf8");
  return file;
}

// `npm run schema` runs this file directly: `node dist/agents/write-agent-schema.js`.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = await writeAgentJsonSchema();
  process.stdout.write(`wrote ${file}\n`);
}
