import { describe, expect, it } from "vitest";
import { closestMatch } from "../../src/config/closest-match.js";
import { formatKeyPath, locateYamlPath, parseYamlSource } from "../../src/config/yaml-source.js";
import { formatDiagnostic } from "../../src/core/diagnostic.js";

const text = `# comment
top:
  list:
    - name: a
    - { name: b, extra: 1 }
  empty:
other: 1
`;

describe("locateYamlPath", () => {
  const source = parseYamlSource({ file: "/x/f.yaml", text });

  it("finds values, list items and keys", () => {
    expect(locateYamlPath(source, ["other"])).toEqual({ line: 7, column: 8, found: true });
    expect(locateYamlPath(source, ["top", "list", 0, "name"])).toEqual({ line: 4, column: 13, found: true });
    expect(locateYamlPath(source, ["top", "list", 1, "extra"], { at: "key" })).toEqual({
      line: 5,
      column: 18,
      found: true,
    });
  });

  it("falls back to the nearest existing parent's key for missing paths", () => {
    expect(locateYamlPath(source, ["top", "missing"])).toEqual({ line: 2, column: 1, found: false });
    expect(locateYamlPath(source, ["top", "empty", "deep"])).toEqual({ line: 6, column: 3, found: false });
    expect(locateYamlPath(source, ["top", "list", 9])).toEqual({ line: 3, column: 3, found: false });
    expect(locateYamlPath(source, ["nothing"])).toMatchObject({ line: 2, found: false });
  });

  it("applies a line offset (front matter)", () => {
    const embedded = parseYamlSource({ file: "SKILL.md", text: "name: x\n", lineOffset: 1 });
    expect(locateYamlPath(embedded, ["name"])).toEqual({ line: 2, column: 7, found: true });
  });

  it("reports syntax errors and warnings with positions", () => {
    const broken = parseYamlSource({ file: "b.yaml", text: "a: 1\nb: !custom x\nc: [\n" });
    expect(
      broken.diagnostics.some((diagnostic) => diagnostic.severity === "warning" && diagnostic.line === 2),
    ).toBe(true);
    expect(broken.diagnostics.some((diagnostic) => diagnostic.severity === undefined)).toBe(true);
    const multi = parseYamlSource({ file: "m.yaml", text: "a: 1\n---\nb: 2\n" });
    expect(multi.diagnostics[0]).toMatchObject({ line: 2 });
  });
});

describe("helpers", () => {
  it("formatKeyPath", () => {
    expect(formatKeyPath([])).toBe("(top level)");
    expect(formatKeyPath(["spec", "tools", "mcp", 0, "name"])).toBe("spec.tools.mcp[0].name");
  });

  it("closestMatch", () => {
    expect(closestMatch("max_step", ["max_steps", "max_run_seconds"])).toBe("max_steps");
    expect(closestMatch("maxSteps", ["max_steps"])).toBe("max_steps");
    expect(closestMatch("zzzz", ["max_steps"])).toBeUndefined();
  });

  it("formatDiagnostic", () => {
    expect(
      formatDiagnostic({ file: "/a/agent.yaml", line: 3, column: 5, message: "Bad.", fix: "Fix it." }),
    ).toBe("/a/agent.yaml:3:5: Bad.\n  fix: Fix it.");
    expect(formatDiagnostic({ file: "/a/SYSTEM_PROMPT.md", message: "Missing.", fix: "Create it." })).toBe(
      "/a/SYSTEM_PROMPT.md: Missing.\n  fix: Create it.",
    );
    expect(
      formatDiagnostic(
        { file: "/a/b/agent.yaml", line: 1, message: "Odd.", fix: "Look.", severity: "warning" },
        { relativeTo: "/a" },
      ),
    ).toBe("b/agent.yaml:1: warning: Odd.\n  fix: Look.");
  });
});
