import { z } from "zod";
import { isBuiltinProviderName, PROVIDER_NAME_PATTERN } from "./builtin-providers.js";
import { mcpCatalogSchema, securitySchema } from "./security-schema.js";

/**
 * The zod 4 schema of `pluto.yaml` (snake_case keys as written; strict objects, so unknown keys are errors).
 * `load-config.ts` validates the interpolated file with it and resolves the result into `PlutoConfig`.
 */

/** Storage backends this version of Pluto has, per service. */
export const SERVICE_BACKENDS = {
  session: ["filesystem", "memory", "postgres", "redis"],
  memory: ["filesystem", "memory", "postgres"],
  artifacts: ["filesystem", "memory", "s3"],
  coordination: ["local", "redis"],
  agents: ["filesystem", "postgres"],
  tasks: ["filesystem", "memory", "postgres"],
  keys: ["filesystem", "memory", "postgres"],
  jobs: ["filesystem", "memory", "postgres"],
} as const;

/** Provider types: the built-in ones plus any OpenAI-compatible endpoint. */
export const PROVIDER_TYPES = ["openai", "anthropic", "openrouter", "ollama", "openai-compatible"] as const;

/** Which optional keys each backend of each service takes (everything else under the service is an error). */
const BACKEND_KEYS: Record<keyof typeof SERVICE_BACKENDS, Record<string, readonly string[]>> = {
  session: {
    filesystem: ["fsync"],
    memory: [],
    postgres: ["url", "schema", "pool_max"],
    redis: ["url", "prefix"],
  },
  memory: { filesystem: [], memory: [], postgres: ["url", "schema", "pool_max"] },
  artifacts: {
    filesystem: [],
    memory: [],
    s3: ["bucket", "endpoint", "region", "prefix", "force_path_style", "access_key_id", "secret_access_key"],
  },
  coordination: { local: [], redis: ["url", "prefix", "lease_ttl_ms"] },
  agents: { filesystem: [], postgres: ["url", "schema", "pool_max"] },
  tasks: { filesystem: [], memory: [], postgres: ["url", "schema", "pool_max"] },
  keys: {
    filesystem: ["max_login_links_per_tenant"],
    memory: ["max_login_links_per_tenant"],
    postgres: ["url", "schema", "pool_max", "max_login_links_per_tenant"],
  },
  jobs: { filesystem: [], memory: [], postgres: ["url", "schema", "pool_max"] },
};

/** Keys a backend cannot do without. */
const REQUIRED_KEYS: Record<string, readonly string[]> = {
  postgres: ["url"],
  redis: ["url"],
  s3: ["bucket"],
};

const backend = <const Names extends readonly [string, ...string[]]>(
  service: string,
  names: Names,
  fallback: Names[number],
) =>
  z
    .enum(names, {
      error: `unknown backend; the backends available in this version of Pluto are ${names.join(", ")}`,
    })
    .default(fallback as never)
    .meta({
      description: `Where ${service} are kept: ${names.map((name) => `"${name}"`).join(", ")}. Default "${fallback}"`,
    });

/** Reports keys that do not belong to the chosen backend of `service`, and keys it requires. */
const checkBackendKeys =
  (service: keyof typeof SERVICE_BACKENDS) =>
  (value: Record<string, unknown>, context: z.RefinementCtx): void => {
    if (value.backend === undefined) {
      // tasks, keys and jobs may leave their backend to the default, which follows the session service.
      for (const key of ["url", "schema", "pool_max"]) {
        if (value[key] === undefined) continue;
        context.addIssue({
          code: "custom",
          path: [key],
          message: `"${key}" needs an explicit backend`,
          params: { fix: 'Add "backend: postgres", or remove it.' },
        });
      }
      return;
    }
    const chosen = String(value.backend);
    const allowed = BACKEND_KEYS[service][chosen] ?? [];
    for (const key of Object.keys(value)) {
      if (key === "backend" || value[key] === undefined || allowed.includes(key)) continue;
      context.addIssue({
        code: "custom",
        path: [key],
        message: `"${key}" does not apply to the ${chosen} backend`,
        params: {
          fix:
            allowed.length > 0
              ? `Remove it; the ${chosen} backend takes ${allowed.join(", ")}.`
              : "Remove it.",
        },
      });
    }
    for (const key of REQUIRED_KEYS[chosen] ?? []) {
      if (value[key] === undefined) {
        context.addIssue({
          code: "custom",
          path: [],
          message: `the ${chosen} backend needs "${key}"`,
          params: {
            fix: `Add "${key}: …" (for example \${${key === "url" ? (chosen === "redis" ? "REDIS_URL" : "DATABASE_URL") : "S3_BUCKET"}}).`,
          },
        });
      }
    }
  };

const serviceUrl = (description: string) =>
  z
    .string()
    .regex(/^(postgres|postgresql|redis|rediss):\/\/\S+$/, { error: "must be a postgres:// or redis:// URL" })
    .optional()
    .meta({ description });
// biome-ignore lint/suspicious/noTemplateCurlyInString: the description shows pluto.yaml's ${VAR} syntax
const postgresUrl = serviceUrl("postgres: connection URL, e.g. ${DATABASE_URL}");
const sqlSchemaName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: "must be a lowercase SQL identifier" })
  .optional()
  .meta({ description: 'PostgreSQL schema holding Pluto\'s tables. Default "pluto"' });
const poolMax = z
  .int()
  .min(1)
  .max(1000)
  .optional()
  .meta({ description: "Largest PostgreSQL pool size. Default 10" });
const keyPrefix = z
  .string()
  .regex(/^[A-Za-z0-9:_./-]{1,100}$/, { error: "1-100 letters, digits or :_./-" })
  .optional()
  .meta({ description: 'Key prefix. Default "pluto"' });

/**
 * `services.tasks`, `services.keys` and `services.jobs`: like the other services, but the backend may be
 * left to the default.
 */
const sharedRecordService = (service: "tasks" | "keys" | "jobs", what: string) =>
  z
    .enum(SERVICE_BACKENDS[service], {
      error: `unknown backend; the backends available in this version of Pluto are ${SERVICE_BACKENDS[service].join(", ")}`,
    })
    .optional()
    .meta({
      description: `Where ${what} are kept: ${SERVICE_BACKENDS[service].map((name) => `"${name}"`).join(", ")}. Default: "postgres" (same url and schema) when session is postgres, "memory" when session is memory, else "filesystem"`,
    });

/** What each shared record service holds, as the refusal below names it. */
const SHARED_RECORDS = {
  tasks: "protocol tasks",
  keys: "API keys and login links",
  jobs: "durable jobs",
} as const;

/**
 * With `coordination: redis` several workers serve the same tenants, so protocol tasks, API keys and
 * durable jobs must be shared: files under each worker's data_dir (single-process) or process memory
 * would split them per worker.
 */
function checkSharedRecords(services: Record<string, unknown>, context: z.RefinementCtx): void {
  const coordination = services.coordination as { backend?: unknown } | undefined;
  if (coordination?.backend !== "redis") return;
  const session = services.session as { backend?: unknown } | undefined;
  for (const [name, what] of Object.entries(SHARED_RECORDS)) {
    const written = services[name] as { backend?: unknown } | undefined;
    const backend =
      written?.backend ??
      (session?.backend === "postgres" || session?.backend === "memory" ? session.backend : "filesystem");
    if (backend === "postgres") continue;
    context.addIssue({
      code: "custom",
      path: written?.backend === undefined ? ["coordination", "backend"] : [name, "backend"],
      message: `with coordination: redis (several workers), ${what} in ${backend} would be separate in every worker`,
      params: {
        fix: `Add "${name}: { backend: postgres, url: \${DATABASE_URL} }" under services (or use "session: { backend: postgres, … }", which ${name} follow by default).`,
      },
    });
  }
}

const pathString = (description: string) =>
  z
    .string()
    .min(1)
    .refine((value) => !value.includes("\0"), {
      error: "contains a NUL character",
      params: { fix: "Remove it." },
    })
    .meta({ description });

const httpUrl = (description: string) =>
  z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).meta({ description });

const providerSchema = z
  .strictObject({
    type: z.enum(PROVIDER_TYPES).optional().meta({
      description:
        "openai, anthropic, openrouter, ollama or openai-compatible. Inferred for the built-in names; required for other names",
    }),
    api_key: z.string().min(1).optional().meta({
      description:
        "API key; usually an interpolated environment variable. Default: the provider's usual environment variable",
    }),
    base_url: httpUrl("Endpoint URL; required for openai-compatible").optional(),
    api: z
      .enum(["chat", "responses"])
      .optional()
      .meta({ description: 'OpenAI API flavour: "chat" (chat completions) or "responses"' }),
    headers: z.record(z.string().min(1), z.string()).optional().meta({ description: "Extra HTTP headers" }),
  })
  .meta({ description: "One model provider" });

/** A `server.allowed_hosts` entry: a DNS name, optionally `*.`-prefixed, or `*`. */
const HOST_PATTERN = /^(\*|(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?)$/;

/** The `pluto.yaml` schema. */
export const configFileSchema = z
  .strictObject({
    data_dir: pathString(
      'State folder (sessions, memory, artifacts); relative to the config file. Default "<cwd>/.pluto"',
    ).optional(),
    agents_dir: pathString(
      'Agents folder; relative to the config file. Default "<data_dir>/agents"',
    ).optional(),
    services: z
      .strictObject({
        session: z
          .strictObject({
            backend: backend("session logs", SERVICE_BACKENDS.session, "filesystem"),
            fsync: z.enum(["always", "batch", "never"]).optional().meta({
              description:
                'filesystem only: "always" (fsync every append), "batch" (group commit) or "never". Default "batch"',
            }),
            url: serviceUrl("postgres or redis: connection URL, e.g. ${DATABASE_URL}"),
            schema: sqlSchemaName,
            pool_max: poolMax,
            prefix: keyPrefix,
          })
          .superRefine(checkBackendKeys("session"))
          .prefault({}),
        memory: z
          .strictObject({
            backend: backend("memory notes", SERVICE_BACKENDS.memory, "filesystem"),
            url: serviceUrl("postgres: connection URL, e.g. ${DATABASE_URL}"),
            schema: sqlSchemaName,
            pool_max: poolMax,
          })
          .superRefine(checkBackendKeys("memory"))
          .prefault({}),
        artifacts: z
          .strictObject({
            backend: backend("artifacts", SERVICE_BACKENDS.artifacts, "filesystem"),
            bucket: z.string().min(3).max(63).optional().meta({ description: "s3: bucket name" }),
            endpoint: httpUrl("s3: endpoint of an S3-compatible service. Default: AWS").optional(),
            region: z.string().min(1).optional().meta({ description: 's3: region. Default "us-east-1"' }),
            prefix: z.string().max(200).optional().meta({ description: "s3: key prefix inside the bucket" }),
            force_path_style: z
              .boolean()
              .optional()
              .meta({ description: "s3: path-style URLs (MinIO, s3rver)" }),
            access_key_id: z
              .string()
              .min(1)
              .optional()
              .meta({ description: "s3: access key. Default: AWS credential chain" }),
            secret_access_key: z.string().min(1).optional().meta({ description: "s3: secret key" }),
          })
          .superRefine(checkBackendKeys("artifacts"))
          .prefault({}),
        coordination: z
          .strictObject({
            backend: backend("run leases and event fan-out", SERVICE_BACKENDS.coordination, "local"),
            url: serviceUrl("redis: connection URL, e.g. ${REDIS_URL}"),
            prefix: keyPrefix,
            lease_ttl_ms: z
              .int()
              .min(1000)
              .max(600_000)
              .optional()
              .meta({ description: "redis: run lease time-to-live. Default 15000" }),
          })
          .superRefine(checkBackendKeys("coordination"))
          .prefault({}),
        agents: z
          .strictObject({
            backend: backend("agent definitions", SERVICE_BACKENDS.agents, "filesystem"),
            url: serviceUrl("postgres: connection URL, e.g. ${DATABASE_URL}"),
            schema: sqlSchemaName,
            pool_max: poolMax,
          })
          .superRefine(checkBackendKeys("agents"))
          .prefault({}),
        tasks: z
          .strictObject({
            backend: sharedRecordService("tasks", "protocol tasks (Agent Protocol, A2A)"),
            url: postgresUrl,
            schema: sqlSchemaName,
            pool_max: poolMax,
          })
          .superRefine(checkBackendKeys("tasks"))
          .optional(),
        keys: z
          .strictObject({
            backend: sharedRecordService("keys", "API keys, login links and browser sessions"),
            url: postgresUrl,
            schema: sqlSchemaName,
            pool_max: poolMax,
            max_login_links_per_tenant: z.int().min(1).max(100_000).optional().meta({
              description:
                "Live (unused, unexpired) login links one tenant may hold; more are refused with LIMIT_EXCEEDED (429). Default 100",
            }),
          })
          .superRefine(checkBackendKeys("keys"))
          .optional(),
        jobs: z
          .strictObject({
            backend: sharedRecordService("jobs", "durable jobs"),
            url: postgresUrl,
            schema: sqlSchemaName,
            pool_max: poolMax,
          })
          .superRefine(checkBackendKeys("jobs"))
          .optional(),
        timeout_seconds: z.int().min(1).max(3600).optional().meta({
          description:
            "Client-side bound on one call to a state store, in seconds: PostgreSQL queries (statement and read timeout) and every session-log read and write of a run; a run whose store does not answer in time fails with BACKEND_UNAVAILABLE. Default 30",
        }),
      })
      .superRefine(checkSharedRecords)
      .prefault({}),
    providers: z
      .record(
        z.string().regex(PROVIDER_NAME_PATTERN, {
          error: "provider names are 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
        }),
        providerSchema,
      )
      .superRefine(
        (providers, context) => {
          if (providers === null || typeof providers !== "object") return;
          for (const [name, provider] of Object.entries(providers)) {
            if (provider === null || typeof provider !== "object") continue;
            const type = provider.type ?? (isBuiltinProviderName(name) ? name : undefined);
            if (type === undefined) {
              context.addIssue({
                code: "custom",
                path: [name],
                message: `"${name}" is not a built-in provider, so it needs a type`,
                params: {
                  fix: `Add "type: openai-compatible" and "base_url: https://…" under providers.${name} (built-in names: openai, anthropic, openrouter, ollama).`,
                },
              });
            } else if (type === "openai-compatible" && provider.base_url === undefined) {
              context.addIssue({
                code: "custom",
                path: [name],
                message: "an openai-compatible provider needs base_url",
                params: { fix: `Add "base_url: https://…/v1" under providers.${name}.` },
              });
            }
            if (provider.api !== undefined && type !== "openai" && type !== "openai-compatible") {
              context.addIssue({
                code: "custom",
                path: [name, "api"],
                message: `"api" applies only to openai and openai-compatible providers, not ${type ?? "this one"}`,
                params: { fix: `Remove "api" from providers.${name}.` },
              });
            }
          }
        },
        { when: () => true },
      )
      .default({})
      .meta({ description: "Provider name → settings" }),
    server: z
      .strictObject({
        host: z
          .string()
          .min(1)
          .default("127.0.0.1")
          .meta({ description: 'Listen address. Default "127.0.0.1"' }),
        port: z
          .int()
          .min(0)
          .max(65_535)
          .default(7400)
          .meta({ description: "Listen port, 0-65535 (0: any free port). Default 7400" }),
        auth: z
          .strictObject({
            token: z
              .string()
              .min(1)
              .optional()
              .meta({ description: "Bearer token required on the HTTP API. Default: none" }),
          })
          .prefault({}),
        max_body_bytes: z
          .int()
          .min(1024)
          .max(1024 * 1024 * 1024)
          .default(1_048_576)
          .meta({ description: "Largest accepted request body in bytes, 1024-1073741824. Default 1048576" }),
        public_url: httpUrl(
          "URL clients reach this server at (agent cards, login links). Default: from the request",
        ).optional(),
        allowed_hosts: z
          .array(
            z.string().refine((value) => HOST_PATTERN.test(value), {
              error:
                'must be a host name without scheme or port ("pluto.example.com"), a subdomain wildcard ("*.example.com") or "*"',
              params: {
                fix: 'Write the name only, e.g. "pluto.example.com" for https://pluto.example.com:8443/.',
              },
            }),
          )
          .max(1000)
          .default([])
          .meta({
            description:
              'Host names (the Host header, without port) the server answers to besides loopback names, IP addresses and public_url\'s host; "*.example.com" for subdomains, "*" for any (no DNS-rebinding defence). Default: none',
          }),
        timeouts: z
          .strictObject({
            headers_ms: z.int().min(100).max(600_000).default(10_000).meta({
              description:
                "Time a client has to send the request headers, in ms (slow-header attacks). Default 10000",
            }),
            request_ms: z.int().min(0).max(86_400_000).default(120_000).meta({
              description:
                "Time a client has to send the whole request, body included, in ms; 0: no limit. Does not limit responses (SSE) or WebSockets. Default 120000",
            }),
            keep_alive_ms: z.int().min(0).max(600_000).default(5_000).meta({
              description:
                "How long an idle keep-alive connection stays open, in ms; set it above a load balancer's idle timeout. Default 5000",
            }),
            max_connections: z.int().min(1).max(1_000_000).default(20_000).meta({
              description:
                "Open connections (SSE streams and WebSockets included) this process accepts; more are closed at once. Default 20000",
            }),
          })
          .prefault({})
          .meta({ description: "HTTP server timeouts and connection cap" }),
        default_agent: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, { error: "must be an agent name" })
          .optional()
          .meta({
            description:
              "Agent for protocol requests that name none (Agent Protocol, the instance's A2A card)",
          }),
        limits: z
          .strictObject({
            requests_per_minute: z.int().min(1).max(1_000_000).optional().meta({
              description: "Requests per minute per tenant (token bucket; per worker). Default: unlimited",
            }),
            concurrent_runs_per_tenant: z
              .int()
              .min(1)
              .max(100_000)
              .optional()
              .meta({ description: "Runs in flight per tenant (per worker). Default: unlimited" }),
            streams: z.int().min(1).max(1_000_000).default(10_000).meta({
              description:
                "Open streams (SSE and WebSocket) per worker, all tenants; above it 503. 1-1000000. Default 10000",
            }),
            streams_per_tenant: z.int().min(1).max(1_000_000).optional().meta({
              description:
                "Open streams (SSE and WebSocket) per tenant per worker; above it 429. Default: streams",
            }),
            slow_reader_timeout_ms: z.int().min(100).max(3_600_000).default(30_000).meta({
              description:
                "Milliseconds a stream write may wait for a client that does not read before it is closed, 100-3600000. Default 30000",
            }),
          })
          .prefault({}),
      })
      .prefault({}),
    mcp_servers: mcpCatalogSchema,
    security: securitySchema,
    policy: z
      .strictObject({
        default: z.enum(["allow", "deny", "ask"]).default("allow").meta({
          description:
            "What a tool call gets when its agent's spec.tools.policy has no matching rule and no default of its own: allow, deny or ask. Default allow.",
        }),
      })
      .prefault({})
      .meta({ description: "Tool policy defaults for every agent (see docs/approvals.md)." }),
    jobs: z
      .strictObject({
        concurrency: z.int().min(0).max(256).default(2).meta({
          description: "Jobs each `pluto serve` or `pluto worker` runs at once, 0-256 (0: none). Default 2",
        }),
        poll_interval_ms: z.int().min(50).max(60_000).default(500).meta({
          description:
            "Milliseconds an idle worker waits before looking for due jobs again, 50-60000. Default 500",
        }),
        lease_ms: z.int().min(1000).max(3_600_000).default(30_000).meta({
          description:
            "Milliseconds after a worker's last heartbeat until its job is retried elsewhere, 1000-3600000. Default 30000",
        }),
      })
      .prefault({}),
    retry: z
      .strictObject({
        max_retries: z
          .int()
          .min(0)
          .max(10)
          .default(3)
          .meta({ description: "Model retries after the first attempt on 429/5xx, 0-10. Default 3" }),
        max_delay_ms: z
          .int()
          .min(0)
          .max(300_000)
          .default(8000)
          .meta({ description: "Backoff cap in milliseconds, 0-300000. Default 8000" }),
      })
      .prefault({}),
  })
  .meta({ title: "Pluto configuration (pluto.yaml)" });

/** `pluto.yaml` after validation, defaults applied. */
export type ConfigFile = z.output<typeof configFileSchema>;
