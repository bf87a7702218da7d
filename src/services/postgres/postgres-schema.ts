import { PlutoError } from "../../core/errors.js";

/** The PostgreSQL schema Pluto's tables live in unless configured otherwise. */
export const DEFAULT_POSTGRES_SCHEMA = "pluto";

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Validates a schema name: lower-case letters, digits and `_`, starting with a letter or `_`, at most
 * 63 characters (PostgreSQL's identifier limit), so it can be quoted into SQL safely.
 * @returns the quoted identifier, e.g. `"pluto"`.
 * @throws PlutoError `CONFIG_INVALID` naming the rule.
 */
export function quoteSchema(schema: string): string {
  if (typeof schema !== "string" || !SCHEMA_NAME.test(schema)) {
    throw new PlutoError(
      "CONFIG_INVALID",
      `Invalid PostgreSQL schema name ${JSON.stringify(String(schema).slice(0, 80))}: use 1-63 lower-case letters, digits or '_', starting with a letter or '_' (default "${DEFAULT_POSTGRES_SCHEMA}").`,
      { details: { schema: String(schema).slice(0, 200) } },
    );
  }
  return `"${schema}"`;
}
