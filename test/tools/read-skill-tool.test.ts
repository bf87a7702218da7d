import { mkdir, readdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SkillInfo } from "../../src/agents/agent-definition.js";
import { scopeOf } from "../../src/core/scope.js";
import { createReadSkillTool } from "../../src/tools/builtin/read-skill-tool.js";
import { corpusPath } from "../support/corpus.js";
import { removeDir, tempDir, toolContext } from "./tool-test-support.js";

const scope = scopeOf("assistant");
const corpusSkills = corpusPath("skills");

describe("read_skill with the real skills corpus", () => {
  let skills: SkillInfo[];

  beforeAll(async () => {
    const entries = await readdir(corpusSkills, { withFileTypes: true });
    skills = entries
      .filter((entry) => entry.isDirectory())
      .map((entry) => ({
        name: entry.name,
        description: "",
        path: join(corpusSkills, entry.name, "SKILL.md"),
      }));
    expect(skills.map((skill) => skill.name)).toContain("mcp-builder");
  });

  it("returns the SKILL.md body without front matter, then the skill's other files", async () => {
    const tool = createReadSkillTool({ skills });
    const output = await tool.execute({ name: "mcp-builder" }, toolContext(scope));
    expect(output.isError).toBeUndefined();
    expect(output.content.startsWith("# MCP Server Development Guide")).toBe(true);
    expect(output.content).not.toContain("license: Complete terms");
    expect(output.content).toContain("Other files in this skill (read with path):");
    expect(output.content).toContain("reference/node_mcp_server.md");
    expect(output.details).toMatchObject({ skill: "mcp-builder", path: "SKILL.md" });
    expect(tool.description).toContain("mcp-builder");
  });

  it("reads a file inside the skill folder", async () => {
    const tool = createReadSkillTool({ skills });
    const output = await tool.execute(
      { name: "mcp-builder", path: "reference/evaluation.md" },
      toolContext(scope),
    );
    expect(output.isError).toBeUndefined();
    expect(output.content.length).toBeGreaterThan(100);
    expect(output.details).toEqual({ skill: "mcp-builder", path: "reference/evaluation.md" });
  });

  it("rejects paths that leave the skill folder", async () => {
    const tool = createReadSkillTool({ skills });
    for (const path of [
      "../brand-guidelines/SKILL.md",
      "reference/../../brand-guidelines/SKILL.md",
      "/etc/passwd",
      join(corpusSkills, "mcp-builder", "SKILL.md"),
      "reference\\evaluation.md",
      "SKILL.md\0.png",
      "..",
    ]) {
      const output = await tool.execute({ name: "mcp-builder", path }, toolContext(scope));
      expect(output.isError, path).toBe(true);
      expect(output.content, path).toContain("Invalid path");
    }
  });

  it("names the available skills for an unknown name", async () => {
    const tool = createReadSkillTool({ skills });
    const output = await tool.execute({ name: "no-such-skill" }, toolContext(scope));
    expect(output.isError).toBe(true);
    expect(output.content).toContain('Unknown skill "no-such-skill". Available skills:');
    expect(output.content).toContain("mcp-builder");
    const invalid = await tool.execute({ path: "x" }, toolContext(scope));
    expect(invalid).toMatchObject({
      isError: true,
      content: expect.stringContaining("Invalid input for read_skill"),
    });
  });
});

describe("read_skill with a temp skill folder", () => {
  let root: string;
  let skill: SkillInfo;

  beforeAll(async () => {
    root = await tempDir("skills");
    const folder = join(root, "skills", "notes");
    await mkdir(join(folder, "docs"), { recursive: true });
    await writeFile(
      join(folder, "SKILL.md"),
      "---\r\nname: notes\r\ndescription: Take notes.\r\n---\r\n\r\n# Notes\r\nWrite things down.\r\n",
    );
    await writeFile(join(folder, "docs", "style.md"), "Use short sentences.\n");
    await writeFile(join(folder, "logo.bin"), Buffer.from([0x00, 0x01, 0x02]));
    await writeFile(join(root, "secret.txt"), "top secret\n");
    await symlink(join(root, "secret.txt"), join(folder, "leak.md"));
    await symlink(join(root), join(folder, "up"));
    skill = { name: "notes", description: "Take notes.", path: join(folder, "SKILL.md") };
  });

  afterAll(async () => {
    await removeDir(root);
  });

  it("strips CRLF front matter and lists files", async () => {
    const tool = createReadSkillTool({ skills: [skill] });
    const output = await tool.execute({ name: "notes" }, toolContext(scope));
    expect(output.content.startsWith("# Notes\r\nWrite things down.")).toBe(true);
    expect(output.content).toContain("docs/style.md");
  });

  it("refuses symlinks that resolve outside the folder", async () => {
    const tool = createReadSkillTool({ skills: [skill] });
    for (const path of ["leak.md", "up/secret.txt"]) {
      const output = await tool.execute({ name: "notes", path }, toolContext(scope));
      expect(output.isError, path).toBe(true);
      expect(output.content).toContain("leads outside the skill's folder");
      expect(output.content).not.toContain("top secret");
    }
  });

  it("explains directories, missing files and binary files", async () => {
    const tool = createReadSkillTool({ skills: [skill] });
    const directory = await tool.execute({ name: "notes", path: "docs" }, toolContext(scope));
    expect(directory).toMatchObject({
      isError: true,
      content: '"docs" is a directory. Files in it: docs/style.md.',
    });
    const missing = await tool.execute({ name: "notes", path: "docs/nope.md" }, toolContext(scope));
    expect(missing.isError).toBe(true);
    expect(missing.content).toContain('No file "docs/nope.md" in skill "notes". Files:');
    const binary = await tool.execute({ name: "notes", path: "logo.bin" }, toolContext(scope));
    expect(binary).toMatchObject({
      isError: true,
      content: expect.stringContaining("is a binary file (3 bytes)"),
    });
    const ok = await tool.execute({ name: "notes", path: "./docs/style.md" }, toolContext(scope));
    expect(ok.content).toBe("Use short sentences.\n");
  });

  it("works with no skills at all", async () => {
    const tool = createReadSkillTool({ skills: [] });
    const output = await tool.execute({ name: "notes" }, toolContext(scope));
    expect(output).toMatchObject({
      isError: true,
      content: 'Unknown skill "notes". This agent has no skills.',
    });
  });
});
