import { describe, expect, it } from "vitest";
import type { ToolPolicy } from "../../src/agents/agent-definition.js";
import { decideToolCall, globMatches } from "../../src/policy/decide-tool-call.js";

const policy: ToolPolicy = {
  rules: [
    { tool: "fs__read_*", action: "allow" },
    { tool: "fs__write_file", action: "allow", when: { path: "/tmp/*" } },
    { tool: "fs__write_file", action: "ask", reason: "Writes a file" },
    { tool: "*", action: "deny", reason: "Destructive", annotations: { destructive: true } },
    { tool: "shell__run", action: "deny", when: { dry_run: false } },
  ],
};

describe("decideToolCall", () => {
  it("takes the first matching rule, with its index and reason", () => {
    expect(decideToolCall(policy, { toolName: "fs__read_text_file", input: {} })).toEqual({
      action: "allow",
      rule: 0,
    });
    expect(decideToolCall(policy, { toolName: "fs__write_file", input: { path: "/tmp/a.txt" } })).toEqual({
      action: "allow",
      rule: 1,
    });
    expect(decideToolCall(policy, { toolName: "fs__write_file", input: { path: "/etc/passwd" } })).toEqual({
      action: "ask",
      reason: "Writes a file",
      rule: 2,
    });
  });

  it("matches `when` values exactly for numbers and booleans and as globs for strings only on strings", () => {
    expect(decideToolCall(policy, { toolName: "shell__run", input: { dry_run: false } }).action).toBe("deny");
    expect(decideToolCall(policy, { toolName: "shell__run", input: { dry_run: "false" } }).action).toBe(
      "allow",
    );
    // A non-string field never matches a string pattern, and a missing field never matches.
    expect(decideToolCall(policy, { toolName: "fs__write_file", input: { path: 7 } }).rule).toBe(2);
    expect(decideToolCall(policy, { toolName: "fs__write_file", input: "not an object" }).rule).toBe(2);
  });

  it("matches annotations the tool declares, and never undeclared ones", () => {
    const destructive = {
      toolName: "memory__delete_entities",
      input: {},
      annotations: { destructive: true },
    };
    expect(decideToolCall(policy, destructive)).toMatchObject({ action: "deny", rule: 3 });
    expect(decideToolCall(policy, { toolName: "memory__delete_entities", input: {} }).rule).toBeUndefined();
  });

  it("falls back to the policy's default, then to the configured default, then to allow", () => {
    expect(decideToolCall(policy, { toolName: "other", input: {} })).toEqual({ action: "allow" });
    expect(decideToolCall(policy, { toolName: "other", input: {} }, "ask")).toEqual({ action: "ask" });
    expect(decideToolCall({ ...policy, default: "deny" }, { toolName: "other", input: {} }, "ask")).toEqual({
      action: "deny",
    });
  });

  it("does not read inherited input fields", () => {
    const sneaky = Object.create({ dry_run: false }) as object;
    expect(decideToolCall(policy, { toolName: "shell__run", input: sneaky }).action).toBe("allow");
  });
});

describe("globMatches", () => {
  it("matches the whole name, * any run (slashes too), ? one character, everything else literally", () => {
    expect(globMatches("memory__*", "memory__create_entities")).toBe(true);
    expect(globMatches("memory__*", "xmemory__create")).toBe(false);
    expect(globMatches("*write*", "fs__write_file")).toBe(true);
    expect(globMatches("/tmp/*", "/tmp/a/b.txt")).toBe(true);
    expect(globMatches("a?c", "abc")).toBe(true);
    expect(globMatches("a?c", "ac")).toBe(false);
    expect(globMatches("a.c", "abc")).toBe(false);
    expect(globMatches("(x)+[y]{2}|z$^\\", "(x)+[y]{2}|z$^\\")).toBe(true);
  });

  it("backtracks to the last star only: stars, empty runs, multi-byte characters", () => {
    expect(globMatches("*", "")).toBe(true);
    expect(globMatches("a**b", "ab")).toBe(true);
    expect(globMatches("*.txt", "notes.txt.bak")).toBe(false);
    expect(globMatches("*a*b*c", "xxaxxbxxbxxc")).toBe(true);
    expect(globMatches("*a*b*c", "xxaxxcxxb")).toBe(false);
    expect(globMatches("?é*", "xé!")).toBe(true);
    expect(globMatches("?", "😀")).toBe(true);
  });

  it("answers a hostile pattern against a long model-written value (a backtracking regex never returned)", () => {
    // A tenant admin writes the rule; the model writes the input. `(.*a){200}b`-like patterns hung the
    // event loop when globs were compiled to regular expressions.
    const hostile = `${"*a".repeat(200)}*b`;
    const long = "a".repeat(100_000);
    expect(globMatches(hostile, long)).toBe(false);
    expect(globMatches(hostile, `${long}b`)).toBe(true);
    expect(
      decideToolCall(
        { rules: [{ tool: "*", action: "ask", when: { path: hostile } }] },
        { toolName: "files__write_file", input: { path: long } },
      ),
    ).toMatchObject({ action: "allow" });
  });
});
