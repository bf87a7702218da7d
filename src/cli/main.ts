import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { isPlutoError } from "../core/errors.js";
import type { CliIo, GlobalOptions } from "./cli-context.js";

/** The package version, read once from package.json. */
export function plutoVersion(): string {
  const file = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

function defaultIo(): CliIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  };
}

/**
 * Entry point of the `pluto` binary. Returns the process exit code: 0 on success, 1 on errors (the
 * message and a suggested fix go to stderr), or the run status code for `pluto run`.
 * Heavy modules (providers, HTTP, MCP) load only inside the command that needs them.
 */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  let exitCode = 0;
  const setExit = (code: number) => {
    exitCode = code;
  };
  const program = new Command("pluto")
    .description("Pluto: a self-hosted runtime for AI agents defined as files.")
    .version(plutoVersion(), "-v, --version", "print the version")
    .option("-c, --config <file>", "pluto.yaml to use (default: ./pluto.yaml, then ./.pluto/pluto.yaml)")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();

  program
    .command("init")
    .description("create an agent folder with agent.yaml, SYSTEM_PROMPT.md and INSTRUCTIONS.md")
    .argument("[name]", "agent name (letters, digits, '.', '_', '-')", "assistant")
    .option("-m, --model <provider/model>", "model for spec.model", "openai/gpt-5-mini")
    .action(async (name: string, options: { model: string }) => {
      const { initCommand } = await import("./commands/init-command.js");
      setExit(await initCommand(io, globals(), { name, model: options.model }));
    });

  program
    .command("validate")
    .description("check pluto.yaml and agent definitions; lists every problem with file, line and fix")
    .argument("[path]", "an agent folder or a folder of agents (default: the agents folder)")
    .action(async (path: string | undefined) => {
      const { validateCommand } = await import("./commands/validate-command.js");
      setExit(await validateCommand(io, globals(), { path }));
    });

  program
    .command("run")
    .description("send one message to an agent and print the answer")
    .argument("<agent>", "agent name")
    .argument("<prompt>", "the message")
    .option("-s, --session <id>", "continue this session")
    .option("--json", "print every event as one JSON line (JSONL) instead of text")
    .action(async (agent: string, prompt: string, options: { session?: string; json?: boolean }) => {
      const { runCommand } = await import("./commands/run-command.js");
      setExit(
        await runCommand(io, globals(), {
          agent,
          prompt,
          session: options.session,
          json: options.json === true,
        }),
      );
    });

  program
    .command("chat")
    .description("talk with an agent in the terminal (/new, /reset, /exit)")
    .argument("<agent>", "agent name")
    .option("-s, --session <id>", "resume this session")
    .action(async (agent: string, options: { session?: string }) => {
      const { chatCommand } = await import("./commands/chat-command.js");
      setExit(await chatCommand(io, globals(), { agent, session: options.session }));
    });

  program
    .command("serve")
    .description("start the HTTP API (binds 127.0.0.1 unless configured otherwise)")
    .option("--host <host>", "address to bind (overrides server.host)")
    .option("-p, --port <port>", "port to listen on (overrides server.port; 0 picks a free port)")
    .action(async (options: { host?: string; port?: string }) => {
      const { serveCommand } = await import("./commands/serve-command.js");
      setExit(await serveCommand(io, globals(), options));
    });

  program
    .command("worker")
    .description("run job workers without the HTTP server (jobs in pluto.yaml; docs/jobs.md)")
    .option("--concurrency <n>", "jobs run at once (overrides jobs.concurrency)")
    .action(async (options: { concurrency?: string }) => {
      const { workerCommand } = await import("./commands/worker-command.js");
      setExit(await workerCommand(io, globals(), options));
    });

  program
    .command("migrate")
    .description("apply pending PostgreSQL migrations for the services in pluto.yaml")
    .action(async () => {
      const { migrateCommand } = await import("./commands/migrate-command.js");
      setExit(await migrateCommand(io, globals()));
    });

  program
    .command("export")
    .description("write an agent with its sessions, memory and artifacts to a portable bundle")
    .argument("<agent>", "agent name")
    .requiredOption("-o, --out <file>", "bundle file to write (.tar.gz)")
    .option("-t, --tenant <tenant>", "tenant of the agent", "default")
    .action(async (agent: string, options: { out: string; tenant: string }) => {
      const { exportCommand } = await import("./commands/bundle-commands.js");
      setExit(await exportCommand(io, globals(), { agent, ...options }));
    });

  program
    .command("import")
    .description(
      "load a bundle into the backends pluto.yaml names (checked fully before anything is written)",
    )
    .argument("<file>", "bundle written by `pluto export`")
    .option("-t, --tenant <tenant>", "tenant to import into", "default")
    .option("--overwrite", "replace an existing agent, sessions, memory documents and artifacts")
    .action(async (file: string, options: { tenant: string; overwrite?: boolean }) => {
      const { importCommand } = await import("./commands/bundle-commands.js");
      setExit(
        await importCommand(io, globals(), {
          file,
          tenant: options.tenant,
          overwrite: options.overwrite === true,
        }),
      );
    });

  const keys = program.command("keys").description("manage tenant API keys (stored hashed)");
  keys
    .command("create")
    .description("create an API key and print its token once")
    .option("-t, --tenant <tenant>", "tenant the key belongs to", "default")
    .option("-r, --role <role>", "admin (manages agents and keys) or member (runs agents)", "member")
    .option("-n, --name <name>", "a label for people")
    .action(async (options: { tenant: string; role: string; name?: string }) => {
      const { keysCreateCommand } = await import("./commands/keys-command.js");
      setExit(await keysCreateCommand(io, globals(), options));
    });
  keys
    .command("list")
    .description("list API keys (never their tokens)")
    .option("-t, --tenant <tenant>", "only this tenant's keys")
    .action(async (options: { tenant?: string }) => {
      const { keysListCommand } = await import("./commands/keys-command.js");
      setExit(await keysListCommand(io, globals(), options));
    });
  keys
    .command("revoke")
    .description("revoke an API key at once")
    .argument("<id>", "the key id from `pluto keys list`")
    .action(async (id: string) => {
      const { keysRevokeCommand } = await import("./commands/keys-command.js");
      setExit(await keysRevokeCommand(io, globals(), { id }));
    });

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (isPlutoError(error)) {
      io.stderr.write(`error [${error.code}]: ${error.message}\n`);
      const problems = error.details?.diagnostics;
      if (Array.isArray(problems)) {
        for (const problem of problems) io.stderr.write(`  ${formatProblem(problem)}\n`);
      }
      return 1;
    }
    throw error;
  }
}

function formatProblem(problem: unknown): string {
  if (typeof problem !== "object" || problem === null) return String(problem);
  const record = problem as Record<string, unknown>;
  const where = [record.file, record.line, record.column].filter((part) => part !== undefined).join(":");
  return `${where ? `${where}: ` : ""}${String(record.message ?? "")}${record.fix ? ` (fix: ${String(record.fix)})` : ""}`;
}
