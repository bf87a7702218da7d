import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { defineConfig } from "vitest/config";

const root = import.meta.dirname;
const corpus = resolve(root, "../shared/corpus");

/** True when `file`, or a local module it imports (transitively), reads the shared corpus. */
function readsCorpus(file: string, seen = new Set<string>()): boolean {
  if (seen.has(file) || !existsSync(file)) return false;
  seen.add(file);
  const text = readFileSync(file, "utf8");
  if (/\/corpus\.js"/.test(text)) return true;
  for (const match of text.matchAll(/from "(\.[^"]+)\.js"/g)) {
    if (readsCorpus(resolve(dirname(file), `${match[1]}.ts`), seen)) return true;
  }
  return false;
}

/** Test files that read the shared corpus (directly or through their helpers). */
function corpusTests(): string[] {
  const found: string[] = [];
  const walk = (directory: string): void => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".test.ts") && readsCorpus(path)) found.push(relative(root, path));
    }
  };
  walk(join(root, "test"));
  return found;
}

// The corpus lives beside the repository (../shared/corpus). Without it, on a laptop, the tests that read
// it are left out with a visible reason; under CI=true they always run (and fail if it is missing).
const withoutCorpus = !existsSync(corpus) && process.env.CI !== "true" ? corpusTests() : [];
if (withoutCorpus.length > 0) {
  process.stderr.write(
    `[skip] ${withoutCorpus.length} test files need the shared corpus at ${corpus}, which is missing: ${withoutCorpus.join(", ")}\n`,
  );
}

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**", ...withoutCorpus],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
