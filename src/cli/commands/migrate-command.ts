import { loadConfig } from "../../config/load-config.js";
import type { CliIo, GlobalOptions } from "../cli-context.js";

/**
 * `pluto migrate`: applies pending PostgreSQL migrations for every postgres service in pluto.yaml
 * (once per distinct URL and schema). Safe to run while workers start: migrations take an advisory lock.
 */
export async function migrateCommand(io: CliIo, globals: GlobalOptions): Promise<number> {
  const config = await loadConfig({
    cwd: io.cwd,
    env: io.env,
    ...(globals.config ? { file: globals.config } : {}),
  });
  const targets = new Map<string, { url: string; schema: string }>();
  const { session, memory, agents, tasks, keys, jobs } = config.services;
  for (const service of [session, memory, agents, tasks, keys, jobs]) {
    if (service.backend === "postgres") targets.set(`${service.url} ${service.schema}`, service);
  }
  if (targets.size === 0) {
    io.stdout.write("No service in pluto.yaml uses PostgreSQL; nothing to migrate.\n");
    return 0;
  }
  const { migratePostgres } = await import("../../services/postgres/migrate-postgres.js");
  const { redactUrl } = await import("../../services/postgres/postgres-pools.js");
  for (const { url, schema } of targets.values()) {
    io.stderr.write(`Migrating ${redactUrl(url)} (schema "${schema}")…\n`);
    const applied = await migratePostgres({ url, schema });
    io.stdout.write(
      applied.length === 0
        ? `Schema "${schema}" is up to date.\n`
        : `Schema "${schema}": applied ${applied.length} migration(s): ${applied.join(", ")}\n`,
    );
  }
  return 0;
}
