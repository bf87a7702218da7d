#!/usr/bin/env node
/**
 * Where `pluto serve`'s start-up time goes: imports the heavy modules one after another in a fresh
 * process, in roughly the order `pluto serve` loads them, and prints one JSON line
 * `{"steps": [{"module": "...", "ms": 12.3}], "totalMs": 123.4}`. Each step's time is what that import
 * adds given the ones before it (shared dependencies count for the first importer). A module that fails
 * to import gets `ms: null` and an `error`.
 *
 *   node bench/import-cost.js
 */
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";

const repo = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = (/** @type {string} */ path) => pathToFileURL(join(repo, "dist", path)).href;

const modules = [
  "zod",
  "ai",
  "@ai-sdk/openai",
  "@ai-sdk/anthropic",
  "@ai-sdk/openai-compatible",
  "@openrouter/ai-sdk-provider",
  "ollama-ai-provider-v2",
  "@modelcontextprotocol/sdk/client/index.js",
  "hono",
  "@hono/node-server",
  "yaml",
  dist("cli/main.js"),
  dist("runtime.js"),
  dist("server/app.js"),
];

/** @type {Array<{ module: string; ms: number | null; error?: string }>} */
const steps = [];
const began = performance.now();
for (const module of modules) {
  const started = performance.now();
  try {
    await import(module);
    steps.push({
      module: module.startsWith("file:") ? `dist/${module.split("/dist/")[1]}` : module,
      ms: performance.now() - started,
    });
  } catch (error) {
    steps.push({
      module,
      ms: null,
      error: error instanceof Error ? error.message.slice(0, 200) : String(error),
    });
  }
}
process.stdout.write(`${JSON.stringify({ steps, totalMs: performance.now() - began })}\n`);
