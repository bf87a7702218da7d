import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../src");

/** Every `.ts` file under `directory`, as absolute paths. */
function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Relative imports and re-exports of a file (type-only ones included), as absolute `.ts` paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:import|export)[^;]*?from "(\.[^"]+)\.js"/gs)].map((match) =>
    normalize(join(dirname(file), `${match[1]}.ts`)),
  );
}

describe("source structure (DESIGN.md layers, STYLE.md)", () => {
  it("has no import cycles, not even type-only ones", () => {
    const graph = new Map(sourceFiles(SRC).map((file) => [file, importsOf(file)]));
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const cycles: string[] = [];
    const visit = (file: string): void => {
      state.set(file, "open");
      stack.push(file);
      for (const next of graph.get(file) ?? []) {
        if (!graph.has(next)) continue;
        if (state.get(next) === "open") {
          cycles.push(
            [...stack.slice(stack.indexOf(next)), next].map((path) => relative(SRC, path)).join(" -> "),
          );
        } else if (state.get(next) === undefined) visit(next);
      }
      stack.pop();
      state.set(file, "done");
    };
    for (const file of graph.keys()) if (state.get(file) === undefined) visit(file);
    expect(cycles).toEqual([]);
  });
});
