/**
 * Provider names that work without a `providers` entry in pluto.yaml (their type is the name itself).
 * Any other name used in `spec.model` must be declared in pluto.yaml `providers`.
 */
export const BUILTIN_PROVIDER_NAMES = ["openai", "anthropic", "openrouter", "ollama"] as const;

/** One of {@link BUILTIN_PROVIDER_NAMES}. */
export type BuiltinProviderName = (typeof BUILTIN_PROVIDER_NAMES)[number];

/** True when `name` is a built-in provider. */
export function isBuiltinProviderName(name: string): name is BuiltinProviderName {
  return (BUILTIN_PROVIDER_NAMES as readonly string[]).includes(name);
}

/**
 * Provider names (in `provider/model-id`) and keys of pluto.yaml `providers`: a letter or digit, then
 * letters, digits, `.`, `_`, `-`; at most 64 characters; never a `/`.
 */
export const PROVIDER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Splits `provider/model-id` at the first `/` (the model id may itself contain `/`, as in
 * `openrouter/anthropic/claude-sonnet-4`). Returns `undefined` when the string has no provider part,
 * an empty model id or whitespace.
 */
export function splitModelString(model: string): { provider: string; modelId: string } | undefined {
  const slash = model.indexOf("/");
  if (slash <= 0) return undefined;
  const provider = model.slice(0, slash);
  const modelId = model.slice(slash + 1);
  if (
    !PROVIDER_NAME_PATTERN.test(provider) ||
    modelId === "" ||
    /\s/.test(model) ||
    modelId.startsWith("/")
  ) {
    return undefined;
  }
  return { provider, modelId };
}
