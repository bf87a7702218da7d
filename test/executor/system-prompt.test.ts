import { describe, expect, it } from "vitest";
import type { SkillInfo } from "../../src/agents/agent-definition.js";
import { buildSystemPrompt, type MemoryContext } from "../../src/executor/system-prompt.js";
import { agentFixture } from "../support/agent-fixture.js";

const SYSTEM = "You are Ada, a terse research assistant.";
const INSTRUCTIONS = "Cite sources. Never guess.";
const LONG_TERM = "- The user's name is Grace.";
const YESTERDAY = "# 2026-03-09\n\n## Facts Stored\n- Likes tea.";
const TODAY = "# 2026-03-10\n\n## Decisions Made\n- Use metric units.";

const SKILLS: SkillInfo[] = [
  {
    name: "pdf-forms",
    description: "Fill in PDF forms from structured data.",
    path: "/agents/a/skills/pdf-forms/SKILL.md",
  },
  {
    name: "git-notes",
    description: "Write release notes from git history.",
    path: "/agents/a/skills/git-notes/SKILL.md",
  },
  {
    name: "csv-clean",
    description: "Normalise messy CSV files.",
    path: "/agents/a/skills/csv-clean/SKILL.md",
  },
];

function memory(overrides: Partial<MemoryContext> = {}): MemoryContext {
  return {
    today: { day: "2026-03-10", markdown: TODAY },
    yesterday: { day: "2026-03-09", markdown: YESTERDAY },
    longTerm: LONG_TERM,
    ...overrides,
  };
}

describe("buildSystemPrompt", () => {
  it("puts the prompt files first, verbatim, then the date, memory and the skills index", () => {
    const agent = agentFixture({
      systemPrompt: `${SYSTEM}\n`,
      instructions: `\n${INSTRUCTIONS}\n\n`,
      skills: SKILLS,
      tools: { builtins: ["read_skill", "memory_write"], mcpServers: [] },
    });
    const prompt = buildSystemPrompt(agent, memory());
    expect(prompt.startsWith(`${SYSTEM}\n\n${INSTRUCTIONS}\n\n`)).toBe(true);
    expect(prompt).toContain("2026-03-10");
    const order = [
      SYSTEM,
      INSTRUCTIONS,
      "Today is 2026-03-10.",
      LONG_TERM,
      YESTERDAY,
      TODAY,
      "- pdf-forms: Fill in PDF forms",
    ];
    const positions = order.map((part) => prompt.indexOf(part));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    for (const skill of SKILLS) expect(prompt).toContain(`- ${skill.name}: ${skill.description}`);
    // Skill bodies and paths are not loaded into context.
    expect(prompt).not.toContain("SKILL.md\n");
    expect(prompt).not.toContain("/agents/a/skills");
  });

  it("keeps the scaffolding around the user's own text small (DESIGN.md: under 300 tokens)", () => {
    const agent = agentFixture({
      systemPrompt: SYSTEM,
      instructions: INSTRUCTIONS,
      skills: SKILLS,
      tools: { builtins: ["read_skill", "memory_write", "memory_search"], mcpServers: [] },
    });
    const prompt = buildSystemPrompt(agent, memory());
    const userText = [
      SYSTEM,
      INSTRUCTIONS,
      LONG_TERM,
      YESTERDAY,
      TODAY,
      ...SKILLS.flatMap((skill) => [skill.name, skill.description]),
    ];
    const userChars = userText.reduce((sum, part) => sum + part.length, 0);
    const scaffolding = prompt.length - userChars;
    // About 4 characters per token for English: 300 tokens is ~1200 characters. Stay well under.
    expect(scaffolding).toBeGreaterThan(0);
    expect(scaffolding).toBeLessThan(600);
    // With nothing but the prompt files, the only addition is the date line.
    const bare = buildSystemPrompt(
      agentFixture({ systemPrompt: SYSTEM, instructions: INSTRUCTIONS }),
      undefined,
    );
    expect(bare.length - SYSTEM.length - INSTRUCTIONS.length).toBeLessThan(40);
  });

  it("leaves out empty prompt files and sections with nothing in them", () => {
    const agent = agentFixture({ systemPrompt: "  \n", instructions: "" });
    const prompt = buildSystemPrompt(
      agent,
      memory({
        longTerm: undefined,
        today: { day: "2026-03-10", markdown: undefined },
        yesterday: { day: "2026-03-09", markdown: " \n" },
      }),
    );
    expect(prompt).toBe("Today is 2026-03-10.");
  });

  it("loads no memory when memory is off (undefined context) and still states today's date", () => {
    const prompt = buildSystemPrompt(agentFixture({ memory: { enabled: false } }), undefined);
    expect(prompt).not.toContain("## Memory");
    expect(prompt).toMatch(/Today is \d{4}-\d{2}-\d{2}\./);
  });

  it("lists skills only when the read_skill tool is available to read them", () => {
    const without = buildSystemPrompt(agentFixture({ skills: SKILLS }), undefined);
    expect(without).not.toContain("## Skills");
    expect(without).not.toContain("pdf-forms");
    const withTool = buildSystemPrompt(
      agentFixture({ skills: [], tools: { builtins: ["read_skill"], mcpServers: [] } }),
      undefined,
    );
    expect(withTool).not.toContain("## Skills");
  });

  it("includes only the memory documents that exist", () => {
    const prompt = buildSystemPrompt(
      agentFixture(),
      memory({ longTerm: undefined, yesterday: { day: "2026-03-09", markdown: undefined } }),
    );
    expect(prompt).toContain("## Memory");
    expect(prompt).toContain(TODAY);
    expect(prompt).not.toContain("MEMORY.md");
    expect(prompt).not.toContain("Likes tea");
  });
});
