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
 * `?` exactly one; every other character matches itself. Linear matching with one backtrack point
 * (at most |pattern| x |text| steps): patterns come from agent files a tenant admin writes and the text
 * from the model's tool input, so a pattern such as `*a*a*a*…b` must not become a backtracking regular
 * expression that blocks the event loop.
 */
export function globMatches(pattern: string, text: string): boolean {
  const glob = [...pattern];
  const chars = [...text];
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < chars.length) {
    if (p < glob.length && (glob[p] === "?" || (glob[p] !== "*" && glob[p] === chars[t]))) {
      p += 1;
      t += 1;
    } else if (p < glob.length && glob[p] === "*") {
      star = p;
      resume = t;
      p += 1;
    } else if (star !== -1) {
      p = star + 1;
      resume += 1;
      t = resume;
    } else {
      return false;
    }
  }
  while (p < glob.length && glob[p] === "*") p += 1;
  return p === glob.length;
}
