import { relative } from "node:path";
import { scaffoldAgent } from "../../agents/scaffold-agent.js";
import { loadConfig } from "../../config/load-config.js";
import type { CliIo, GlobalOptions } from "../cli-context.js";

/** `pluto init [NAME]`: scaffolds `<agents_dir>/NAME` and says what to do next. */
export async function initCommand(
  io: CliIo,
  globals: GlobalOptions,
  options: { name: string; model: string },
): Promise<number> {
  const config = await loadConfig({
    cwd: io.cwd,
    env: io.env,
    ...(globals.config ? { file: globals.config } : {}),
  });
  const directory = await scaffoldAgent({
    agentsDir: config.agentsDir,
    name: options.name,
    model: options.model,
  });
  const shown =
    relative(io.cwd, typeof directory === "string" ? directory : `${config.agentsDir}/${options.name}`) ||
    ".";
  const provider = options.model.split("/")[0] ?? "";
  const keyVariable: Record<string, string> = {
    openai: "OPENAI_API_KEY",
    anthropic: "ANTHROPIC_API_KEY",
    openrouter: "OPENROUTER_API_KEY",
  };
  const key = keyVariable[provider];
  io.stdout.write(
    [
      `Created agent "${options.name}" in ${shown}/ (agent.yaml, SYSTEM_PROMPT.md, INSTRUCTIONS.md).`,
      "Next:",
      ...(key === undefined ? [] : [`  export ${key}=…            # the model's API key`]),
      `  npx pluto validate ${shown}`,
      `  npx pluto chat ${options.name}`,
      "",
    ].join("\n"),
  );
  return 0;
}
