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

  for (const approved of [true, false]) {
    program
      .command(approved ? "approve" : "deny")
      .description(
        approved
          ? "run a tool call that waits for approval, then continue the session's run"
          : "refuse a tool call that waits for approval (the model is told), then continue the session's run",
      )
      .argument("<session>", "session id (printed by pluto run)")
      .argument("<call>", "tool call id (printed by pluto run)")
      .option("-r, --reason <text>", "why; the model sees it when the call is refused")
      .option("--json", "print every event as one JSON line (JSONL) instead of text")
      .action(async (session: string, call: string, options: { reason?: string; json?: boolean }) => {
        const { decideCommand } = await import("./commands/decide-command.js");
        setExit(
          await decideCommand(io, globals(), {
            session,
            toolCallId: call,
            approved,
            ...(options.reason === undefined ? {} : { reason: options.reason }),
            json: options.json === true,
          }),
        );
      });
  }

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

  program
    .command("schedules")
    .description("agent schedules (spec.schedules; docs/jobs.md)")
    .command("list")
    .description("list each schedule with its next fire times")
    .option("-a, --agent <agent>", "only this agent's schedules")
    .option("-n, --count <n>", "next fire times shown per schedule, 1-20", "3")
    .action(async (options: { agent?: string; count?: string }) => {
      const { schedulesListCommand } = await import("./commands/schedules-command.js");
      setExit(await schedulesListCommand(io, globals(), options));
    });

  const jobs = program.command("jobs").description("durable jobs that workers run (docs/jobs.md)");
  const tenantOption = ["-t, --tenant <tenant>", "the jobs' tenant", "default"] as const;
  jobs
    .command("list")
    .description("list jobs, newest first")
    .option(...tenantOption)
    .option("-s, --status <status>", "only jobs in this status")
    .option("-a, --agent <agent>", "only this agent's jobs")
    .option("-l, --limit <n>", "at most this many, 1-200", "50")
    .action(async (options: { tenant: string; status?: string; agent?: string; limit?: string }) => {
      const { jobsListCommand } = await import("./commands/jobs-command.js");
      setExit(await jobsListCommand(io, globals(), options));
    });
  jobs
    .command("show")
    .description("print a job as JSON")
    .argument("<id>", "the job id")
    .option(...tenantOption)
    .action(async (id: string, options: { tenant: string }) => {
      const { jobsShowCommand } = await import("./commands/jobs-command.js");
      setExit(await jobsShowCommand(io, globals(), { ...options, id }));
    });
  jobs
    .command("create")
    .description("queue a job; a running pluto serve or pluto worker runs it")
    .argument("<agent>", "agent name")
    .argument("<input>", "the message the run starts with")
    .option(...tenantOption)
    .option("--session <id>", "continue this session of the agent")
    .option("--approval", "wait in needs_approval until `pluto jobs approve`")
    .option("--run-at <time>", "RFC 3339 time before which it does not start")
    .option("--max-attempts <n>", "claims allowed when workers die mid-job, 1-100", undefined)
    .action(
      async (
        agent: string,
        input: string,
        options: {
          tenant: string;
          session?: string;
          approval?: boolean;
          runAt?: string;
          maxAttempts?: string;
        },
      ) => {
        const { jobsCreateCommand } = await import("./commands/jobs-command.js");
        setExit(await jobsCreateCommand(io, globals(), { ...options, agent, input }));
      },
    );
  for (const action of ["approve", "abort"] as const) {
    jobs
      .command(action)
      .description(
        action === "approve"
          ? "approve a job waiting in needs_approval"
          : "abort a job (a running one stops at its next heartbeat)",
      )
      .argument("<id>", "the job id")
      .option(...tenantOption)
      .action(async (id: string, options: { tenant: string }) => {
        const { jobsDecideCommand } = await import("./commands/jobs-command.js");
        setExit(await jobsDecideCommand(io, globals(), { ...options, id, action }));
      });
  }
  program
    .command("pause")
    .description("panic switch: no worker starts a new job until `pluto resume`")
    .option(...tenantOption)
    .option("--abort-running", "also abort the running jobs")
    .action(async (options: { tenant: string; abortRunning?: boolean }) => {
      const { pauseCommand } = await import("./commands/jobs-command.js");
      setExit(await pauseCommand(io, globals(), options));
    });
  program
    .command("resume")
    .description("let workers start jobs again after `pluto pause`")
    .option(...tenantOption)
    .action(async (options: { tenant: string }) => {
      const { resumeCommand } = await import("./commands/jobs-command.js");
      setExit(await resumeCommand(io, globals(), options));
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
