import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { defineConfig } from "vitest/config";

const root = import.meta.dirname;
const corpus = resolve(root, "../shared/corpus");

/** Test files that read the shared corpus (directly or through its helpers). */
function corpusTests(): string[] {
  const found: string[] = [];
  const walk = (directory: string): void => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (
        entry.name.endsWith(".test.ts") &&
        /corpus\.js|\bCORPUS\b|agent-protocol-spec\.js/.test(readFileSync(path, "utf8"))
      ) {
        found.push(relative(root, path));
      }
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
