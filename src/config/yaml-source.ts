import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from "yaml";
import type { Diagnostic } from "../core/diagnostic.js";

/** A 1-based line and column inside a YAML file. */
export interface YamlPosition {
  line: number;
  column: number;
}

/** Where a key path points inside a parsed YAML document. */
export interface YamlLocation extends YamlPosition {
  /** True when the whole path exists; false when the position is that of the nearest existing parent. */
  found: boolean;
}

/** A parsed YAML file that still knows where every node came from. Produced by {@link parseYamlSource}. */
export interface YamlSource {
  /** Absolute path of the file, used in diagnostics. */
  file: string;
  text: string;
  /** The `yaml` package's document (keeps node ranges). */
  document: Document.Parsed;
  lineCounter: LineCounter;
  /** Lines to add to every computed line (for YAML embedded in another file, such as SKILL.md front matter). */
  lineOffset: number;
  /** Syntax errors (severity error) and YAML warnings (severity warning), each with a line and column. */
  diagnostics: Diagnostic[];
}

/** Options for {@link parseYamlSource}. */
export interface ParseYamlSourceOptions {
  file: string;
  text: string;
  /** Added to every line number; use 1 for front matter that starts on the file's second line. @default 0 */
  lineOffset?: number;
}

/**
 * Parses one YAML document (YAML 1.2 core schema, unique keys enforced) with a `LineCounter`, turning
 * syntax errors and warnings into diagnostics instead of throwing. Multiple documents in one file are an error.
 */
export function parseYamlSource(options: ParseYamlSourceOptions): YamlSource {
  const lineCounter = new LineCounter();
  const document = parseDocument(options.text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    keepSourceTokens: false,
  });
  const source: YamlSource = {
    file: options.file,
    text: options.text,
    document,
    lineCounter,
    lineOffset: options.lineOffset ?? 0,
    diagnostics: [],
  };
  for (const error of document.errors) {
    source.diagnostics.push({
      file: options.file,
      ...positionOf(source, error.pos[0]),
      message: `YAML syntax error: ${error.message}`,
      fix: syntaxFix(error.code),
    });
  }
  for (const warning of document.warnings) {
    source.diagnostics.push({
      file: options.file,
      ...positionOf(source, warning.pos[0]),
      message: `YAML warning: ${warning.message}`,
      fix: "Remove custom tags (such as !foo) and write plain YAML values.",
      severity: "warning",
    });
  }
  return source;
}

function syntaxFix(code: string): string {
  switch (code) {
    case "DUPLICATE_KEY":
      return "Keep only one of the repeated keys; each key may appear once per mapping.";
    case "TAB_AS_INDENT":
      return "Indent with spaces, not tabs.";
    case "MULTIPLE_DOCS":
      return "Keep one YAML document per file (remove the extra '---' and what follows).";
    default:
      return "Check the indentation, colons and quotes on this line (a value containing ': ' or '#' needs quotes).";
  }
}

/** Converts a character offset into a 1-based position, applying the source's line offset. */
export function positionOf(source: YamlSource, offset: number): YamlPosition {
  const { line, col } = source.lineCounter.linePos(offset);
  return { line: Math.max(line, 1) + source.lineOffset, column: Math.max(col, 1) };
}

/**
 * The plain JavaScript value of the document (maps become objects). Returns `undefined` for an empty file.
 * @throws when aliases expand beyond the `yaml` package's `maxAliasCount` (100): a "billion laughs" guard;
 *   callers catch it and report a diagnostic.
 */
export function yamlValue(source: YamlSource): unknown {
  return source.document.toJS({ maxAliasCount: 100 }) ?? undefined;
}

/**
 * Finds the node at `path` (object keys and array indexes, as in a zod issue path) and returns its position.
 * With `at: "key"` the position is that of the last key itself (used for unknown keys).
 * When the path does not exist, the position is that of the nearest existing parent's key (so a missing
 * `spec.model` points at the `spec:` line), or line 1 column 1 when even the top level is empty.
 */
export function locateYamlPath(
  source: YamlSource,
  path: readonly PropertyKey[],
  options: { at?: "key" | "value" } = {},
): YamlLocation {
  let node: unknown = source.document.contents;
  let keyNode: Node | undefined;
  let best: YamlPosition | undefined = rangeStart(source, node);
  for (let index = 0; index < path.length; index += 1) {
    const segment = path[index];
    if (isAlias(node)) node = node.resolve(source.document);
    let next: unknown;
    let nextKey: Node | undefined;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
      if (pair !== undefined) {
        next = pair.value;
        nextKey = isScalar(pair.key) || isMap(pair.key) || isSeq(pair.key) ? pair.key : undefined;
      }
    } else if (isSeq(node) && typeof segment === "number") {
      next = node.items[segment];
    }
    if (next === undefined && nextKey === undefined) {
      return {
        ...(keyPosition(source, keyNode) ?? best ?? { line: 1 + source.lineOffset, column: 1 }),
        found: false,
      };
    }
    const last = index === path.length - 1;
    if (last && options.at === "key" && nextKey !== undefined) {
      return { ...(rangeStart(source, nextKey) ?? best ?? { line: 1, column: 1 }), found: true };
    }
    node = next;
    keyNode = nextKey;
    best = rangeStart(source, next) ?? keyPosition(source, nextKey) ?? best;
  }
  return { ...(best ?? { line: 1 + source.lineOffset, column: 1 }), found: true };
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function keyPosition(source: YamlSource, key: Node | undefined): YamlPosition | undefined {
  return key === undefined ? undefined : rangeStart(source, key);
}

function rangeStart(source: YamlSource, node: unknown): YamlPosition | undefined {
  if (node === null || typeof node !== "object" || !("range" in node)) return undefined;
  const range = (node as { range?: [number, number, number] | null }).range;
  if (!range) return undefined;
  return positionOf(source, range[0]);
}

/** Reads a value from plain JavaScript data by a zod-style path; `undefined` when any step is missing. */
export function valueAtPath(value: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = value;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    if (Array.isArray(current)) {
      if (typeof segment !== "number") return undefined;
      current = current[segment];
    } else {
      if (!Object.hasOwn(current, segment)) return undefined;
      current = (current as Record<PropertyKey, unknown>)[segment];
    }
  }
  return current;
}

/** Renders a zod-style path as `spec.tools.mcp[0].name`; the empty path is `(top level)`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else text += text === "" ? String(segment) : `.${String(segment)}`;
  }
  return text === "" ? "(top level)" : text;
}
