import type {
  ToolAnnotations,
  ToolPolicy,
  ToolPolicyAction,
  ToolPolicyRule,
} from "../agents/agent-definition.js";

/** What {@link decideToolCall} looks at. */
export interface ToolCallFacts {
  /** The tool's full name as the model calls it (`<server>__<tool>` for MCP tools). */
  toolName: string;
  /** The call's parsed arguments. */
  input: unknown;
  /** What the tool declares about itself; `{}` when nothing. */
  annotations?: ToolAnnotations;
}

/** The policy's verdict: `rule` is the 0-based index of the matching rule, absent when the default applied. */
export interface ToolCallVerdict {
  action: ToolPolicyAction;
  reason?: string;
  rule?: number;
}

/**
 * Decides one tool call by `spec.tools.policy`: the first rule whose `tool` glob, `when` fields and
 * `annotations` all match wins; with none, `policy.default`, else `fallback` (pluto.yaml `policy.default`).
 * Pure: no I/O, no clock. Never throws.
 */
export function decideToolCall(
  policy: ToolPolicy,
  call: ToolCallFacts,
  fallback: ToolPolicyAction = "allow",
): ToolCallVerdict {
  for (const [index, rule] of policy.rules.entries()) {
    if (!ruleMatches(rule, call)) continue;
    const verdict: ToolCallVerdict = { action: rule.action, rule: index };
    if (rule.reason !== undefined) verdict.reason = rule.reason;
    return verdict;
  }
  return { action: policy.default ?? fallback };
}

function ruleMatches(rule: ToolPolicyRule, call: ToolCallFacts): boolean {
  if (!globMatches(rule.tool, call.toolName)) return false;
  if (rule.when !== undefined) {
    const input = typeof call.input === "object" && call.input !== null ? call.input : {};
    for (const [field, expected] of Object.entries(rule.when)) {
      const actual = Object.hasOwn(input, field) ? (input as Record<string, unknown>)[field] : undefined;
      const matches =
        typeof expected === "string"
          ? typeof actual === "string" && globMatches(expected, actual)
          : actual === expected;
      if (!matches) return false;
    }
  }
  if (rule.annotations !== undefined) {
    const declared = call.annotations ?? {};
    for (const [name, expected] of Object.entries(rule.annotations)) {
      if (declared[name as keyof ToolAnnotations] !== expected) return false;
    }
  }
  return true;
}

/**
 * Whether `text` matches `pattern` as a whole: `*` matches any run of characters (slashes included),
 * `?` exactly one; every other character matches itself.
 */
export function globMatches(pattern: string, text: string): boolean {
  const source = [...pattern]
    .map((character) =>
      character === "*" ? "[\\s\\S]*" : character === "?" ? "[\\s\\S]" : escapeRegExp(character),
    )
    .join("");
  return new RegExp(`^${source}$`, "u").test(text);
}

function escapeRegExp(character: string): string {
  return /[\\^$.|+()[\]{}*?/]/.test(character) ? `\\${character}` : character;
}
