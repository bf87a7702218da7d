import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import { type ServeProcess, startServe, tempProject } from "../support/pluto-process.js";

const run = promisify(execFile);
const FILESYSTEM_SERVER = resolve(
  import.meta.dirname,
  "../../node_modules/@modelcontextprotocol/server-filesystem/dist/index.js",
);

/** The commands of the first ```sh block after `heading`, each with the answer comment lines after it. */
async function docCommands(heading: string): Promise<{ command: string; comment: string }[]> {
  const docs = await readFile(resolve(import.meta.dirname, "../../docs/approvals.md"), "utf8");
  const block = new RegExp(`${heading}\\n[\\s\\S]*?\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(docs)?.[1] ?? "";
  const commands: { command: string; comment: string }[] = [];
  let current: { command: string; comment: string } | undefined;
  for (const line of block.split("\n")) {
    if (line.startsWith("#")) {
      // Answer lines ("# {…", continued by "#   …") follow their command; other comments introduce the next one.
      if (current !== undefined && /^# (\{| {2})/.test(line)) current.comment += `${line}\n`;
      continue;
    }
    if (line.trim() === "") continue;
    if (current?.command.endsWith("\\")) {
      current.command = `${current.command.slice(0, -1)}${line}`;
      continue;
    }
    current = { command: line, comment: "" };
    commands.push(current);
  }
  return commands;
}

/**
 * docs/approvals.md "Over HTTP": its curl lines run verbatim (only the host and port are this server's)
 * against `pluto serve` with an agent like the doc's: the real filesystem MCP server, `ask` on
 * `files__write_file`. The fake model makes the call the doc shows.
 */
describe("docs/approvals.md curl examples", () => {
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let server: ServeProcess;
  let notes: string;

  beforeAll(async () => {
    fake = await startFakeModel();
    project = await tempProject();
    notes = join(project.dir, "notes");
    await mkdir(notes);
    const agent = join(project.dir, ".pluto/agents/notes");
    await mkdir(agent, { recursive: true });
    await writeFile(join(agent, "SYSTEM_PROMPT.md"), "You keep notes.\n");
    await writeFile(join(agent, "INSTRUCTIONS.md"), "Save what you are asked to.\n");
    await writeFile(
      join(agent, "agent.yaml"),
      [
        "apiVersion: pluto/v1",
        "kind: Agent",
        "metadata:",
        "  name: notes",
        "spec:",
        "  model: openai/gpt-5-mini",
        "  tools:",
        "    mcp:",
        "      - name: files",
        `        command: ${JSON.stringify(process.execPath)}`,
        `        args: [${JSON.stringify(FILESYSTEM_SERVER)}, ${JSON.stringify(notes)}]`,
        "    policy:",
        "      rules:",
        "        - tool: files__write_file",
        "          action: ask",
        "          reason: Writes a file outside drafts",
        "",
      ].join("\n"),
    );
    server = await startServe({
      cwd: project.dir,
      env: { OPENAI_API_KEY: "sk-test-approvals-doc", OPENAI_BASE_URL: `${fake.url}/v1` },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
    await project?.cleanup();
  });

  it("pause, list, approve: the file is written once and each answer is what the doc's comment shows", async () => {
    const commands = await docCommands("## Over HTTP");
    expect(commands).toHaveLength(3);
    const todo = join(notes, "todo.md");
    fake.enqueue(
      {
        toolCalls: [
          { id: "call_1", name: "files__write_file", input: { path: todo, content: "buy milk\n" } },
        ],
      },
      { text: "Saved." },
    );
    const host = new URL(server.url).host;
    const answers = [];
    let checked = 0;
    for (const { command, comment } of commands) {
      const { stdout } = await run("bash", ["-c", command.replaceAll("localhost:7400", host)]);
      const answer = JSON.parse(stdout);
      answers.push(answer);
      // The doc's comment shows the answer's shape: each "key":"value" it spells out literally holds.
      for (const [, key, value] of comment.matchAll(
        /"(status|output|session_id|agent|tool_call_id|tool_name|reason)":"([^"…]*)"/g,
      )) {
        const actual =
          key === "tool_call_id" || key === "tool_name" || key === "reason"
            ? answer.approvals[0][key!]
            : answer[key!];
        expect(actual, `${key} in the answer to: ${command}`).toBe(value);
        checked += 1;
      }
      if (answers.length === 1) await expect(readFile(todo, "utf8")).rejects.toThrow();
    }
    expect(checked).toBeGreaterThanOrEqual(10);
    expect(answers.map((answer) => answer.status)).toEqual(["awaiting-approval", undefined, "completed"]);
    expect(await readFile(todo, "utf8")).toBe("buy milk\n");
  });
});
