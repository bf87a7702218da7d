import { z } from "zod";
import { isBuiltinProviderName, PROVIDER_NAME_PATTERN } from "./builtin-providers.js";

/**
 * The zod 4 schema of `pluto.yaml` (snake_case keys as written; strict objects, so unknown keys are errors).
 * `load-config.ts` validates the interpolated file with it and resolves the result into `PlutoConfig`.
 */

/** Storage backends this version of Pluto has, for every service. */
export const SERVICE_BACKENDS = ["filesystem", "memory"] as const;

/** Provider types: the built-in ones plus any OpenAI-compatible endpoint. */
export const PROVIDER_TYPES = ["openai", "anthropic", "openrouter", "ollama", "openai-compatible"] as const;

const backend = (service: string) =>
  z
    .enum(SERVICE_BACKENDS, {
      error: `unknown backend; the backends available in this version of Pluto are ${SERVICE_BACKENDS.join(", ")}`,
    })
    .default("filesystem")
    .meta({
      description: `Where ${service} are kept: "filesystem" (under data_dir) or "memory" (lost on exit). Default "filesystem"`,
    });

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
            backend: backend("session logs"),
            fsync: z.enum(["always", "batch", "never"]).default("batch").meta({
              description:
                'Session log durability: "always" (fsync every append), "batch" (group commit) or "never". Default "batch"',
            }),
          })
          .prefault({}),
        memory: z.strictObject({ backend: backend("memory notes") }).prefault({}),
        artifacts: z.strictObject({ backend: backend("artifacts") }).prefault({}),
      })
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
