import { PlutoError } from "../../core/errors.js";
import { DEFAULT_TENANT } from "../../core/scope.js";
import type { ApiKeyRole } from "../../services/auth/api-key-store.js";
import { createApiKey } from "../../services/auth/api-keys.js";
import { type CliIo, type GlobalOptions, openRuntime } from "../cli-context.js";

/** `pluto keys create`: prints the new token once (it is stored only as a hash). */
export async function keysCreateCommand(
  io: CliIo,
  globals: GlobalOptions,
  options: { tenant?: string; role: string; name?: string },
): Promise<number> {
  if (options.role !== "admin" && options.role !== "member") {
    throw new PlutoError(
      "BAD_REQUEST",
      `--role must be admin or member, not ${JSON.stringify(options.role)}.`,
    );
  }
  const runtime = await openRuntime(io, globals);
  try {
    const { record, token } = await createApiKey(runtime.apiKeys, {
      tenant: options.tenant ?? DEFAULT_TENANT,
      role: options.role as ApiKeyRole,
      ...(options.name === undefined ? {} : { name: options.name }),
    });
    io.stderr.write(
      `Created ${record.role} key ${record.id} for tenant "${record.tenant}". Store the token now: it is not shown again.\n`,
    );
    io.stdout.write(`${token}\n`);
    return 0;
  } finally {
    await runtime.close();
  }
}

/** `pluto keys list`: one line per key (id, tenant, role, created, state, name); never the token. */
export async function keysListCommand(
  io: CliIo,
  globals: GlobalOptions,
  options: { tenant?: string },
): Promise<number> {
  const runtime = await openRuntime(io, globals);
  try {
    const records = (await runtime.apiKeys.list(options.tenant)).filter(
      (record) => (record.kind ?? "api") === "api",
    );
    if (records.length === 0)
      io.stderr.write("No API keys. Create one with `pluto keys create --tenant NAME`.\n");
    for (const record of records) {
      const state = record.revokedAt === undefined ? "active" : `revoked ${record.revokedAt}`;
      io.stdout.write(
        `${record.id}\t${record.tenant}\t${record.role}\t${record.createdAt}\t${state}\t${record.name}\n`,
      );
    }
    return 0;
  } finally {
    await runtime.close();
  }
}

/** `pluto keys revoke ID`: the key stops working at once, also in a running server. */
export async function keysRevokeCommand(
  io: CliIo,
  globals: GlobalOptions,
  options: { id: string },
): Promise<number> {
  const runtime = await openRuntime(io, globals);
  try {
    if (!(await runtime.apiKeys.revoke(options.id, new Date().toISOString()))) {
      throw new PlutoError(
        "NOT_FOUND",
        `No API key ${JSON.stringify(options.id)}. List keys with \`pluto keys list\`.`,
      );
    }
    io.stdout.write(`Revoked ${options.id}.\n`);
    return 0;
  } finally {
    await runtime.close();
  }
}
