import { open, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  type Diagnostic,
  describeFsError,
  formatDiagnostics,
  isErrorDiagnostic,
  sortDiagnostics,
} from "../core/diagnostic.js";
import { PlutoError } from "../core/errors.js";
import { isBuiltinProviderName } from "./builtin-providers.js";
import { type ConfigFile, configFileSchema } from "./config-schema.js";
import { type Environment, interpolateDocument, protectInterpolations } from "./interpolate.js";
import { toMcpServerSpec } from "./mcp-server-spec.js";
import type {
  AgentServiceConfig,
  ArtifactServiceConfig,
  CoordinationServiceConfig,
  MemoryServiceConfig,
  PlutoConfig,
  ProviderConfig,
  SessionServiceConfig,
  TaskServiceConfig,
} from "./pluto-config.js";
import { schemaIssueDiagnostics } from "./schema-diagnostics.js";
import { parseYamlSource, yamlValue } from "./yaml-source.js";

/** Where `loadConfig` looks for a config file when none is given, relative to `cwd`, in order. */
export const CONFIG_FILE_CANDIDATES = ["pluto.yaml", ".pluto/pluto.yaml"] as const;
/** Largest accepted pluto.yaml. */
export const CONFIG_FILE_MAX_BYTES = 1024 * 1024;

const DOCS = "docs/configuration.md";

/** Options for {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Directory to search from and to resolve defaults against (the process's working directory). */
  cwd: string;
  /** Explicit config file (absolute or relative to `cwd`); it must exist. @default first of {@link CONFIG_FILE_CANDIDATES} that exists */
  file?: string;
  /** Variables for `${VAR}` interpolation (usually `process.env`). `HOME` also expands a leading `~/` in paths. */
  env: Environment;
}

/**
 * Reads, interpolates (`${VAR}`, `${VAR:-default}`, `$${` escape) and validates `pluto.yaml`, returning
 * the resolved {@link PlutoConfig}. Without a file, every default applies (`dataDir` = `<cwd>/.pluto`).
 * Relative `data_dir` / `agents_dir` resolve against the config file's folder. Every problem in the file is
 * collected before failing.
 * @throws PlutoError `CONFIG_INVALID` listing every problem as `FILE:LINE:COL: message` + fix lines, with
 *   `details.file` and `details.diagnostics`; also for an explicit `file` that does not exist or cannot be read.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<PlutoConfig> {
  const cwd = path.resolve(options.cwd);
  const file = await findConfigFile(cwd, options.file);
  if (file === undefined) return resolveConfig({ cwd, env: options.env, data: configFileSchema.parse({}) });

  const text = await readConfigFile(file);
  const hidden = protectInterpolations(text);
  const source = parseYamlSource({ file, text: hidden.text });
  const diagnostics: Diagnostic[] = [...source.diagnostics];
  if (!diagnostics.some(isErrorDiagnostic)) {
    diagnostics.push(...interpolateDocument(source, options.env, hidden.restore));
    let data: unknown;
    try {
      data = yamlValue(source) ?? {};
    } catch (error) {
      diagnostics.push({
        file,
        line: 1,
        column: 1,
        message: `${path.basename(file)} cannot be expanded: ${describeFsError(error)}.`,
        fix: "Remove YAML aliases (*name); write the values out.",
      });
    }
    if (data !== undefined) {
      const parsed = configFileSchema.safeParse(data);
      if (!parsed.success) {
        diagnostics.push(
          ...schemaIssueDiagnostics({
            issues: parsed.error.issues,
            source,
            data,
            schema: configFileSchema,
            docs: DOCS,
          }),
        );
      } else if (!diagnostics.some(isErrorDiagnostic)) {
        return resolveConfig({ cwd, env: options.env, data: parsed.data, file });
      }
    }
  }
  const sorted = sortDiagnostics(diagnostics);
  const errors = sorted.filter(isErrorDiagnostic);
  throw new PlutoError(
    "CONFIG_INVALID",
    `${file} has ${errors.length} problem${errors.length === 1 ? "" : "s"}; fix ${errors.length === 1 ? "it" : "them"} and retry:\n${formatDiagnostics(errors)}`,
    { details: { file, diagnostics: sorted } },
  );
}

async function findConfigFile(cwd: string, explicit: string | undefined): Promise<string | undefined> {
  if (explicit !== undefined) {
    const file = path.resolve(cwd, explicit);
    const info = await stat(file).catch((error: unknown) => error as Error);
    if (info instanceof Error || !info.isFile()) {
      throw new PlutoError(
        "CONFIG_INVALID",
        `Config file ${file} ${info instanceof Error ? `cannot be opened: ${describeFsError(info)}` : "is not a file"}. Check the path, or leave it out to use ./pluto.yaml or ./.pluto/pluto.yaml.`,
        { details: { file }, ...(info instanceof Error ? { cause: info } : {}) },
      );
    }
    return file;
  }
  for (const candidate of CONFIG_FILE_CANDIDATES) {
    const file = path.join(cwd, candidate);
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile()) return file;
  }
  return undefined;
}

async function readConfigFile(file: string): Promise<string> {
  try {
    const handle = await open(file, "r");
    try {
      const info = await handle.stat();
      if (info.size > CONFIG_FILE_MAX_BYTES) {
        throw new PlutoError(
          "CONFIG_INVALID",
          `Config file ${file} is larger than ${CONFIG_FILE_MAX_BYTES / 1024} KiB; a pluto.yaml is a few hundred lines at most. Check that this is the right file.`,
          { details: { file } },
        );
      }
      return await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof PlutoError) throw error;
    throw new PlutoError(
      "CONFIG_INVALID",
      `Config file ${file} cannot be read: ${describeFsError(error)}. Make it a readable file.`,
      { details: { file }, cause: error },
    );
  }
}

interface ResolveConfigOptions {
  cwd: string;
  env: Environment;
  data: ConfigFile;
  file?: string;
}

function resolveConfig(options: ResolveConfigOptions): PlutoConfig {
  const { cwd, env, data, file } = options;
  const base = file === undefined ? cwd : path.dirname(file);
  const resolvePath = (value: string) => path.resolve(base, expandHome(value, env));
  const dataDir = data.data_dir === undefined ? path.join(cwd, ".pluto") : resolvePath(data.data_dir);
  const agentsDir =
    data.agents_dir === undefined ? path.join(dataDir, "agents") : resolvePath(data.agents_dir);
  const providers: Record<string, ProviderConfig> = {};
  for (const [name, entry] of Object.entries(data.providers)) {
    // The schema guarantees a type for non-built-in names.
    const type = entry.type ?? (isBuiltinProviderName(name) ? name : "openai-compatible");
    const provider: ProviderConfig = { type, headers: { ...entry.headers } };
    if (entry.api_key !== undefined) provider.apiKey = entry.api_key;
    if (entry.base_url !== undefined) provider.baseUrl = entry.base_url;
    if (entry.api !== undefined) provider.api = entry.api;
    providers[name] = provider;
  }
  const config: PlutoConfig = {
    dataDir,
    agentsDir,
    services: {
      session: resolveSessionService(data.services.session),
      memory: resolveMemoryService(data.services.memory),
      artifacts: resolveArtifactService(data.services.artifacts),
      coordination: resolveCoordinationService(data.services.coordination),
      agents: resolveAgentService(data.services.agents),
      tasks: resolveSharedRecordService(data.services.tasks, data.services.session),
      keys: {
        ...resolveSharedRecordService(data.services.keys, data.services.session),
        maxLoginLinksPerTenant: data.services.keys?.max_login_links_per_tenant ?? 100,
      },
      jobs: resolveSharedRecordService(data.services.jobs, data.services.session),
      timeoutMs: (data.services.timeout_seconds ?? 30) * 1000,
    },
    providers,
    server: {
      host: data.server.host,
      port: data.server.port,
      auth: data.server.auth.token === undefined ? {} : { token: data.server.auth.token },
      maxBodyBytes: data.server.max_body_bytes,
      ...(data.server.public_url === undefined
        ? {}
        : { publicUrl: data.server.public_url.replace(/\/+$/, "") }),
      ...(data.server.default_agent === undefined ? {} : { defaultAgent: data.server.default_agent }),
      allowedHosts: data.server.allowed_hosts,
      timeouts: {
        headersMs: data.server.timeouts.headers_ms,
        requestMs: data.server.timeouts.request_ms,
        keepAliveMs: data.server.timeouts.keep_alive_ms,
        maxConnections: data.server.timeouts.max_connections,
      },
      limits: {
        ...(data.server.limits.requests_per_minute === undefined
          ? {}
          : { requestsPerMinute: data.server.limits.requests_per_minute }),
        ...(data.server.limits.concurrent_runs_per_tenant === undefined
          ? {}
          : { concurrentRunsPerTenant: data.server.limits.concurrent_runs_per_tenant }),
        streams: data.server.limits.streams,
        ...(data.server.limits.streams_per_tenant === undefined
          ? {}
          : { streamsPerTenant: data.server.limits.streams_per_tenant }),
        slowReaderTimeoutMs: data.server.limits.slow_reader_timeout_ms,
      },
    },
    mcpServers: Object.fromEntries(
      Object.entries(data.mcp_servers).map(([name, entry]) => [
        name,
        {
          ...toMcpServerSpec(name, entry, base),
          ...(entry.tenants === undefined ? {} : { tenants: [...entry.tenants] }),
        },
      ]),
    ),
    security: {
      network: { allow: [...data.security.network.allow], deny: [...data.security.network.deny] },
      tenants: Object.fromEntries(
        Object.entries(data.security.tenants).map(([tenant, entry]) => [
          tenant,
          { allowMcpCommands: entry.allow_mcp_commands },
        ]),
      ),
    },
    jobs: {
      concurrency: data.jobs.concurrency,
      pollIntervalMs: data.jobs.poll_interval_ms,
      leaseMs: data.jobs.lease_ms,
    },
    retry: { maxRetries: data.retry.max_retries, maxDelayMs: data.retry.max_delay_ms },
    policy: { default: data.policy.default },
  };
  if (file !== undefined) config.file = file;
  return config;
}

/** Expands a leading `~` or `~/` to `env.HOME` (or the OS home folder). */
function expandHome(value: string, env: Environment): string {
  if (value !== "~" && !value.startsWith("~/")) return value;
  return path.join(env.HOME ?? os.homedir(), value.slice(1));
}

type Services = ConfigFile["services"];

/** Turns the validated `services.session` block into its resolved union member (required keys were checked by the schema). */
function resolveSessionService(service: Services["session"]): SessionServiceConfig {
  switch (service.backend) {
    case "memory":
      return { backend: "memory" };
    case "postgres":
      return {
        backend: "postgres",
        url: service.url!,
        schema: service.schema ?? "pluto",
        poolMax: service.pool_max ?? 10,
      };
    case "redis":
      return { backend: "redis", url: service.url!, prefix: service.prefix ?? "pluto" };
    default:
      return { backend: "filesystem", fsync: service.fsync ?? "batch" };
  }
}

function resolveMemoryService(service: Services["memory"]): MemoryServiceConfig {
  if (service.backend === "postgres") {
    return {
      backend: "postgres",
      url: service.url!,
      schema: service.schema ?? "pluto",
      poolMax: service.pool_max ?? 10,
    };
  }
  return { backend: service.backend };
}

function resolveAgentService(service: Services["agents"]): AgentServiceConfig {
  if (service.backend === "filesystem") return { backend: "filesystem" };
  return {
    backend: "postgres",
    url: service.url!,
    schema: service.schema ?? "pluto",
    poolMax: service.pool_max ?? 10,
  };
}

/**
 * Resolves `services.tasks`, `services.keys` or `services.jobs`: the written backend, else the session's PostgreSQL (same
 * url and schema) or memory, else files (schema checks made sure coordination: redis is not left with files).
 */
function resolveSharedRecordService(
  service: Services["tasks"] | Services["keys"] | Services["jobs"],
  session: Services["session"],
): TaskServiceConfig {
  const backend =
    service?.backend ??
    (session.backend === "postgres" || session.backend === "memory" ? session.backend : "filesystem");
  if (backend !== "postgres") return { backend };
  const source = service?.backend === "postgres" ? service : session;
  return {
    backend: "postgres",
    url: source.url!,
    schema: source.schema ?? "pluto",
    poolMax: source.pool_max ?? 10,
  };
}

function resolveArtifactService(service: Services["artifacts"]): ArtifactServiceConfig {
  if (service.backend !== "s3") return { backend: service.backend };
  const resolved: ArtifactServiceConfig = {
    backend: "s3",
    bucket: service.bucket!,
    region: service.region ?? "us-east-1",
    prefix: service.prefix ?? "",
    forcePathStyle: service.force_path_style ?? false,
  };
  if (service.endpoint !== undefined) resolved.endpoint = service.endpoint;
  if (service.access_key_id !== undefined) resolved.accessKeyId = service.access_key_id;
  if (service.secret_access_key !== undefined) resolved.secretAccessKey = service.secret_access_key;
  return resolved;
}

function resolveCoordinationService(service: Services["coordination"]): CoordinationServiceConfig {
  if (service.backend === "local") return { backend: "local" };
  return {
    backend: "redis",
    url: service.url!,
    prefix: service.prefix ?? "pluto",
    leaseTtlMs: service.lease_ttl_ms ?? 15_000,
  };
}
