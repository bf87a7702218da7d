/**
 * Summarises a V8 `.cpuprofile` (written by `node --cpu-prof`) by self time: the top functions and the
 * share of each package or Pluto source folder. Format: the Chrome DevTools Protocol `Profiler.Profile`
 * object (`nodes` with `callFrame` and `id`, `samples` node ids, `timeDeltas` in microseconds).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * @typedef {{ name: string; location: string; category: string; selfMs: number; percent: number }} FunctionRow
 * `selfMs` is self time for `functions`, attributed time for `attributed`, total time for `inclusive`.
 */

/**
 * @typedef {object} ProfileSummary
 * @property {number} sampledMs total sampled time
 * @property {number} idleMs time in `(idle)` (the event loop waiting)
 * @property {number} busyMs sampled minus idle
 * @property {number} unattributedMs busy time with no Pluto frame on the stack (callbacks and promise
 *   jobs of libraries: web stream pumping, HTTP parsing, GC)
 * @property {FunctionRow[]} functions top functions by self time; `percent` of busy time
 * @property {FunctionRow[]} attributed Pluto functions by the self time of everything they call outside
 *   Pluto (each sample charged to the nearest Pluto frame on its stack): which of Pluto's code causes the cost
 * @property {FunctionRow[]} inclusive Pluto functions by total time (self plus everything below them)
 * @property {Array<{ category: string; selfMs: number; percent: number }>} categories
 *   self time per package (`node_modules/<pkg>`), Pluto folder (`pluto/<folder>`), Node internal module
 *   (`node:<module>`) or V8 pseudo-node (`(garbage collector)`, `(program)`); `percent` of busy time
 */

/**
 * Where a function lives, coarsely: the npm package, Pluto's `dist/<folder>`, Node's internal module
 * or V8's pseudo-node name.
 * @param {string} url the call frame's script URL (`file:///…`, `node:…`, or empty)
 * @param {string} functionName
 */
export function categoryOf(url, functionName) {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  const modules = url.lastIndexOf("/node_modules/");
  if (modules !== -1) {
    const parts = url.slice(modules + "/node_modules/".length).split("/");
    return parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
  }
  const dist = url.lastIndexOf("/dist/");
  if (dist !== -1) {
    const rest = url.slice(dist + "/dist/".length).split("/");
    return `pluto/${rest.length > 1 ? rest[0] : rest[0]?.replace(/\.js$/, "")}`;
  }
  if (url.startsWith("node:internal/")) return `node:internal/${url.slice(14).split("/")[0]?.split(":")[0]}`;
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
  return url.slice(url.lastIndexOf("/") + 1);
}

/**
 * Reads the only (or newest) `.cpuprofile` in `dir` and summarises it.
 * @param {string} dir the `--cpu-prof-dir`
 * @param {number} [top] how many functions to keep @default 20
 * @param {{ from: number; to: number }} [window] see {@link summarizeProfile}
 * @returns {ProfileSummary}
 * @throws {Error} when the folder holds no profile
 */
export function summarizeProfileDir(dir, top = 20, window = undefined) {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith(".cpuprofile"))
    .sort();
  const file = files.at(-1);
  if (file === undefined) throw new Error(`no .cpuprofile in ${dir}: did the process exit cleanly?`);
  return summarizeProfile(JSON.parse(readFileSync(join(dir, file), "utf8")), top, window);
}

/**
 * True for Pluto's own compiled code (`…/dist/…` outside node_modules).
 * @param {string} url
 */
function isPluto(url) {
  return url.includes("/dist/") && !url.includes("/node_modules/");
}

/**
 * @param {{ nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] }} profile
 * @param {number} top
 * @param {{ from: number; to: number }} [window] only samples taken in this interval, in microseconds of
 *   the monotonic clock (`process.hrtime.bigint() / 1000n` in any process on the machine; V8 stamps
 *   samples with the same clock)
 * @returns {ProfileSummary}
 */
export function summarizeProfile(profile, top, window) {
  /** @type {Map<number, number>} */
  const selfMicros = new Map();
  let time = profile.startTime;
  profile.samples.forEach((nodeId, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    time += delta;
    if (window !== undefined && (time < window.from || time > window.to)) return;
    selfMicros.set(nodeId, (selfMicros.get(nodeId) ?? 0) + delta);
  });
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  /** @type {Map<number, number>} */
  const parentOf = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

  /** @type {Map<string, Entry>} */
  const functions = new Map();
  /** @type {Map<string, number>} */
  const categories = new Map();
  /** @type {Map<string, Entry>} */
  const attributed = new Map();
  /** @type {Map<string, Entry>} */
  const inclusive = new Map();
  let sampled = 0;
  let idle = 0;
  let unattributed = 0;
  for (const [nodeId, micros] of selfMicros) {
    const node = /** @type {ProfileNode} */ (byId.get(nodeId));
    sampled += micros;
    if (node.callFrame.functionName === "(idle)") {
      idle += micros;
      continue;
    }
    add(functions, node, micros);
    const category = categoryOf(node.callFrame.url, node.callFrame.functionName);
    categories.set(category, (categories.get(category) ?? 0) + micros);
    /** @type {Set<string>} */
    const seen = new Set();
    let nearest;
    for (let current = /** @type {ProfileNode | undefined} */ (node); current !== undefined; ) {
      if (isPluto(current.callFrame.url)) {
        nearest ??= current;
        const key = keyOf(current);
        // A recursive function counts once per sample.
        if (!seen.has(key)) {
          seen.add(key);
          add(inclusive, current, micros);
        }
      }
      const parent = parentOf.get(current.id);
      current = parent === undefined ? undefined : byId.get(parent);
    }
    if (nearest !== undefined) add(attributed, nearest, micros);
    else unattributed += micros;
  }
  const busy = sampled - idle;
  const percentOf = (/** @type {number} */ micros) => (busy === 0 ? 0 : (100 * micros) / busy);
  const rows = (/** @type {Map<string, Entry>} */ entries, /** @type {number} */ count) =>
    [...entries.values()]
      .sort((left, right) => right.micros - left.micros)
      .slice(0, count)
      .map((entry) => ({
        name: entry.name,
        location: entry.location,
        category: entry.category,
        selfMs: entry.micros / 1000,
        percent: percentOf(entry.micros),
      }));
  return {
    sampledMs: sampled / 1000,
    idleMs: idle / 1000,
    busyMs: busy / 1000,
    unattributedMs: unattributed / 1000,
    functions: rows(functions, top),
    attributed: rows(attributed, top),
    inclusive: rows(inclusive, top),
    categories: [...categories.entries()]
      .sort((left, right) => right[1] - left[1])
      .map(([category, micros]) => ({ category, selfMs: micros / 1000, percent: percentOf(micros) })),
  };
}

/**
 * @typedef {{ id: number; children?: number[]; callFrame: { functionName: string; url: string; lineNumber: number } }} ProfileNode
 * @typedef {{ name: string; location: string; category: string; micros: number }} Entry
 */

/** @param {ProfileNode} node */
function keyOf(node) {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName}\u0000${url}:${lineNumber}`;
}

/** Adds `micros` to the entry of `node`'s function. @param {Map<string, Entry>} entries @param {ProfileNode} node @param {number} micros */
function add(entries, node, micros) {
  const key = keyOf(node);
  let entry = entries.get(key);
  if (entry === undefined) {
    const { functionName, url, lineNumber } = node.callFrame;
    entry = {
      name: functionName === "" ? "(anonymous)" : functionName,
      location: url === "" ? "" : `${shortUrl(url)}:${lineNumber + 1}`,
      category: categoryOf(url, functionName),
      micros: 0,
    };
    entries.set(key, entry);
  }
  entry.micros += micros;
}

/** `file:///…/node_modules/pkg/dist/x.js` → `pkg/dist/x.js`; `…/dist/a/b.js` → `dist/a/b.js`. @param {string} url */
function shortUrl(url) {
  const modules = url.lastIndexOf("/node_modules/");
  if (modules !== -1) return url.slice(modules + "/node_modules/".length);
  const dist = url.lastIndexOf("/dist/");
  if (dist !== -1) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, "");
}
