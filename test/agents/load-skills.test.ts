import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadSkills, parseSkillFrontMatter, readSkillBody } from "../../src/agents/load-skills.js";
import { isPlutoError } from "../../src/core/errors.js";
import { corpusPath } from "../support/corpus.js";
import { type AgentSandbox, createAgentSandbox } from "./agent-fixture.js";

const corpus = corpusPath("skills");

let sandbox: AgentSandbox;
beforeEach(async () => {
  sandbox = await createAgentSandbox();
});
afterEach(async () => {
  await sandbox.remove();
});

describe("loadSkills against the real skills corpus", () => {
  it("loads every skill folder in ../shared/corpus/skills without a diagnostic", async () => {
    const folders = (await readdir(corpus, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    expect(folders.length).toBeGreaterThanOrEqual(5);
    const result = await loadSkills({ roots: [corpus] });
    expect(result.diagnostics).toEqual([]);
    expect(result.skills.map((skill) => skill.name)).toEqual(folders);
    for (const skill of result.skills) {
      expect(skill.path).toBe(path.join(corpus, skill.name, "SKILL.md"));
      expect(skill.description.length).toBeGreaterThan(20);
      expect(skill.description.length).toBeLessThanOrEqual(1024);
    }
    const brand = result.skills.find((skill) => skill.name === "brand-guidelines");
    expect(brand?.description).toMatch(/^Applies Anthropic's official brand colors/);
  });

  it("reads a skill body on demand, without its front matter", async () => {
    const { skills } = await loadSkills({ roots: [corpus] });
    const skill = skills.find((entry) => entry.name === "requesting-code-review");
    if (skill === undefined) throw new Error("corpus skill requesting-code-review is missing");
    const body = await readSkillBody(skill);
    expect(body.startsWith("# Requesting Code Review")).toBe(true);
    expect(body).not.toContain("description:");
    const raw = await readFile(skill.path, "utf8");
    expect(raw.trim().endsWith(body.slice(-40))).toBe(true);
  });

  it("a single skill folder can be given as a root", async () => {
    const result = await loadSkills({ roots: [path.join(corpus, "mcp-builder")] });
    expect(result.skills.map((skill) => skill.name)).toEqual(["mcp-builder"]);
  });

  it("containedIn rejects skills outside the given folder", async () => {
    const result = await loadSkills({ roots: [corpus], containedIn: sandbox.root });
    expect(result.skills).toEqual([]);
    expect(result.diagnostics.length).toBeGreaterThan(0);
    expect(
      result.diagnostics.every((diagnostic) => diagnostic.message.includes("outside the agent folder")),
    ).toBe(true);
  });
});

describe("loadSkills: problems are collected, never thrown", () => {
  it("reports each broken skill with its line and keeps the good ones", async () => {
    const root = path.join(
      await sandbox.agent({
        "skills/good/SKILL.md": "---\nname: good\ndescription: Works.\n---\nbody\n",
        "skills/no-front/SKILL.md": "# Just markdown\n",
        "skills/unclosed/SKILL.md": "---\nname: unclosed\ndescription: never closed\n",
        "skills/syntax/SKILL.md": "---\nname: syntax\ndescription: [broken\n---\n",
        "skills/no-name/SKILL.md": "---\ndescription: nameless\n---\n",
        "skills/no-desc/SKILL.md": "---\nname: no-desc\nlicense: MIT\n---\n",
        "skills/empty-desc/SKILL.md": '---\nname: empty-desc\ndescription: ""\n---\n',
        "skills/Bad_Name/SKILL.md": "---\nname: Bad_Name\ndescription: Loads with a warning.\n---\n",
        "skills/long/SKILL.md": `---\nname: long\ndescription: ${"d".repeat(1100)}\n---\n`,
        "skills/not-a-skill/README.md": "no SKILL.md here",
        "skills/.hidden/SKILL.md": "---\nname: hidden\ndescription: ignored\n---\n",
      }),
      "skills",
    );
    const result = await loadSkills({ roots: [root] });
    expect(result.skills.map((skill) => skill.name).sort()).toEqual(["Bad_Name", "good", "long"]);
    const at = (folder: string) =>
      result.diagnostics.filter((diagnostic) => diagnostic.file === path.join(root, folder, "SKILL.md"));
    expect(at("no-front")[0]).toMatchObject({ line: 1 });
    expect(at("no-front")[0]?.severity).toBeUndefined();
    expect(at("no-front")[0]?.fix).toContain("Start SKILL.md with a '---' line");
    expect(at("unclosed")[0]?.message).toContain("not closed");
    expect(at("syntax")[0]?.line).toBeGreaterThanOrEqual(3);
    expect(at("syntax")[0]?.message).toMatch(/^YAML syntax error/);
    expect(at("no-name")[0]).toMatchObject({ message: 'SKILL.md front matter is missing "name".', line: 2 });
    expect(at("no-desc")[0]).toMatchObject({ message: 'SKILL.md front matter is missing "description".' });
    expect(at("empty-desc")[0]).toMatchObject({
      line: 3,
      message: 'SKILL.md front matter "description" must be non-empty text.',
    });
    const badName = at("Bad_Name");
    expect(badName).toHaveLength(1);
    expect(badName[0]).toMatchObject({ severity: "warning", line: 2, column: 7 });
    expect(badName[0]?.fix).toContain('"bad-name"');
    expect(at("long")[0]).toMatchObject({ severity: "warning", line: 3 });
  });

  it("a later skill with an existing name is skipped with a warning", async () => {
    const directory = await sandbox.agent({
      "a/dup/SKILL.md": "---\nname: dup\ndescription: first\n---\n",
      "b/dup/SKILL.md": "---\nname: dup\ndescription: second\n---\n",
    });
    const result = await loadSkills({ roots: [path.join(directory, "a"), path.join(directory, "b")] });
    expect(result.skills).toEqual([
      { name: "dup", description: "first", path: path.join(directory, "a/dup/SKILL.md") },
    ]);
    expect(result.diagnostics[0]).toMatchObject({
      severity: "warning",
      file: path.join(directory, "b/dup/SKILL.md"),
    });
  });

  it("a missing root is an error diagnostic", async () => {
    const result = await loadSkills({ roots: [path.join(sandbox.root, "nope")] });
    expect(result.diagnostics[0]?.message).toContain("not found");
  });

  it("accepts a BOM and CRLF line endings", async () => {
    const parsed = parseSkillFrontMatter({
      file: "x/SKILL.md",
      text: "\uFEFF---\r\nname: crlf\r\ndescription: Windows file.\r\n---\r\nBody\r\n",
    });
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.frontMatter).toEqual({ name: "crlf", description: "Windows file." });
  });

  it("readSkillBody of a deleted skill throws TOOL_ERROR", async () => {
    const error = await readSkillBody({
      name: "gone",
      description: "",
      path: path.join(sandbox.root, "gone.md"),
    }).catch((caught: unknown) => caught);
    expect(isPlutoError(error, "TOOL_ERROR")).toBe(true);
  });
});
