import net from "node:net";
import { z } from "zod";
import { checkMcpServerKinds, mcpServerFields } from "./mcp-server-spec.js";

/**
 * The parts of `pluto.yaml` that decide what tenant-written agents may do (docs/security.md): the operator's
 * catalogue of MCP servers (`mcp_servers`) and the `security` section.
 */

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const HOST_NAME_PATTERN =
  /^(\*\.)?(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/**
 * Whether `value` is a network rule: an IP address, a CIDR (`10.0.0.0/8`, `fd00::/8`), a host name
 * (`mcp.internal.example`) or a wildcard for every subdomain (`*.corp.example`).
 */
export function isNetworkRule(value: string): boolean {
  const slash = value.indexOf("/");
  if (slash === -1) return net.isIP(value) !== 0 || HOST_NAME_PATTERN.test(value);
  const address = value.slice(0, slash);
  const prefix = value.slice(slash + 1);
  const family = net.isIP(address);
  if (family === 0 || !/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

const networkRules = (description: string) =>
  z
    .array(
      z.string().refine(isNetworkRule, {
        error: "must be an IP address, a CIDR such as 10.0.0.0/8, a host name or *.domain",
        params: {
          fix: 'Write an address ("192.0.2.7"), a range ("10.20.0.0/16"), or a host name ("mcp.corp.example").',
        },
      }),
    )
    .max(1000)
    .default([])
    .meta({ description });

/** `mcp_servers:` — catalogue name → one MCP server, the same keys as an agent's entry plus `tenants`. */
export const mcpCatalogSchema = z
  .record(
    z.string().regex(NAME_PATTERN, { error: "catalogue names are 1-32 letters, digits, '_' or '-'" }),
    z
      .strictObject({
        ...mcpServerFields,
        cwd: mcpServerFields.cwd.meta({
          description: "stdio server: working directory; relative paths resolve against pluto.yaml's folder.",
        }),
        tenants: z
          .array(z.string().regex(TENANT_PATTERN, { error: "must be a tenant name" }))
          .optional()
          .meta({ description: "Tenants whose agents may use this server. Default: every tenant" }),
      })
      .superRefine(checkMcpServerKinds(["command", "url"]), { when: () => true }),
  )
  .default({})
  .meta({
    description:
      "Operator-defined MCP servers agents reference by name ({ name, server }); the only way tenant-written agents start programs",
  });

/** `security:` — network rules for tenant-trust URL servers and per-tenant allowances. */
export const securitySchema = z
  .strictObject({
    network: z
      .strictObject({
        allow: networkRules(
          "Addresses, ranges or host names tenant agents' URL MCP servers may reach although private. Default []",
        ),
        deny: networkRules(
          "Addresses, ranges or host names tenant agents' URL MCP servers may never reach (besides the private ranges). Default []",
        ),
      })
      .prefault({}),
    tenants: z
      .record(
        z.string().regex(TENANT_PATTERN, { error: "must be a tenant name" }),
        z.strictObject({
          allow_mcp_commands: z.boolean().default(false).meta({
            description:
              "Let this tenant's agents start their own programs (inline MCP `command`), as the server's user. Default false",
          }),
        }),
      )
      .default({})
      .meta({ description: "Tenant name → allowances" }),
  })
  .prefault({})
  .meta({ description: "What tenant-written agents may do (see docs/security.md)" });
