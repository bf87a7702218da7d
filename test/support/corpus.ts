import { existsSync } from "node:fs";
import { resolve } from "node:path";

/**
 * The shared real-world corpus (`../shared/corpus` beside the repository: recorded provider streams,
 * Agent Skills, A2A cards, the Agent Protocol spec). Tests read it in place; it is never copied into
 * the repository. One definition, so every test finds it the same way whatever the working directory.
 */
export const CORPUS_DIR = resolve(import.meta.dirname, "../../../shared/corpus");

/** An absolute path inside the corpus. */
export function corpusPath(...parts: string[]): string {
  return resolve(CORPUS_DIR, ...parts);
}

/** True when the corpus is present (always on CI and the team's machines). */
export function corpusAvailable(): boolean {
  return existsSync(CORPUS_DIR);
}
