import { describe, expect, it } from "vitest";
import { scopeOf } from "../../src/core/scope.js";
import { InMemoryMemoryStore } from "../../src/services/memory/in-memory-memory-store.js";
import { createMemorySearchTool } from "../../src/tools/builtin/memory-search-tool.js";
import { createMemoryWriteTool } from "../../src/tools/builtin/memory-write-tool.js";
import { toolContext } from "./tool-test-support.js";

const scope = scopeOf("assistant");
const now = () => new Date("2026-03-14T22:30:00Z");

describe("memory_write", () => {
  it("adds a note to today's day file under the mapped section", async () => {
    const memory = new InMemoryMemoryStore();
    const tool = createMemoryWriteTool({ memory, now });
    const output = await tool.execute(
      { text: "User prefers\nshort answers", section: "preference" },
      toolContext(scope),
    );
    expect(output).toEqual({
      content: 'Saved to 2026-03-14 under "Preferences Learned".',
      details: { document: "2026-03-14", section: "Preferences Learned" },
    });
    await tool.execute({ text: "Chose PostgreSQL for jobs", section: "decision" }, toolContext(scope));
    await tool.execute({ text: "The office is in Lisbon", section: "fact" }, toolContext(scope));
    const day = await memory.read(scope, "2026-03-14");
    expect(day).toContain("## Preferences Learned\n\n- User prefers short answers");
    expect(day).toContain("## Decisions Made\n\n- Chose PostgreSQL for jobs");
    expect(day).toContain("## Facts Stored\n\n- The office is in Lisbon");
  });

  it("appends a bullet to MEMORY when long_term, keeping what is there", async () => {
    const memory = new InMemoryMemoryStore();
    const tool = createMemoryWriteTool({ memory, now });
    await tool.execute({ text: "Name is Ada", section: "fact", long_term: true }, toolContext(scope));
    expect(await memory.read(scope, "MEMORY")).toBe("# Memory\n\n- Name is Ada\n");
    await memory.write(scope, "MEMORY", "# Long-term\n\nHand-written intro.\n\n\n");
    const output = await tool.execute(
      { text: "Likes tea", section: "preference", long_term: true },
      toolContext(scope),
    );
    expect(output.content).toBe("Saved to long-term memory (MEMORY).");
    expect(await memory.read(scope, "MEMORY")).toBe("# Long-term\n\nHand-written intro.\n\n- Likes tea\n");
    await tool.execute({ text: "Lives in Porto", section: "fact", long_term: true }, toolContext(scope));
    expect(await memory.read(scope, "MEMORY")).toBe(
      "# Long-term\n\nHand-written intro.\n\n- Likes tea\n- Lives in Porto\n",
    );
    expect(await memory.list(scope)).toEqual(["MEMORY"]);
  });

  it("uses the pinned scope over the call's scope", async () => {
    const memory = new InMemoryMemoryStore();
    const pinned = scopeOf("pinned", "acme");
    const tool = createMemoryWriteTool({ memory, now, scope: pinned });
    await tool.execute({ text: "x marks the spot", section: "fact" }, toolContext(scope));
    expect(await memory.list(pinned)).toEqual(["2026-03-14"]);
    expect(await memory.list(scope)).toEqual([]);
  });

  it("rejects malformed and oversized input with a message the model can act on", async () => {
    const memory = new InMemoryMemoryStore();
    const tool = createMemoryWriteTool({ memory, now });
    const bad = [
      undefined,
      "just a string",
      { text: "", section: "fact" },
      { text: "   ", section: "fact" },
      { text: "ok", section: "opinion" },
      { text: "ok", section: "fact", long_term: "yes" },
      { text: "x".repeat(2001), section: "fact" },
      { text: 42, section: "fact" },
    ];
    for (const input of bad) {
      const output = await tool.execute(input, toolContext(scope));
      expect(output.isError, JSON.stringify(input)).toBe(true);
      expect(output.content).toContain("Invalid input for memory_write");
      expect(output.content).toContain("call memory_write again");
    }
    const section = await tool.execute({ text: "ok", section: "opinion" }, toolContext(scope));
    expect(section.content).toContain('"decision"|"preference"|"fact"');
    expect(section.content).toContain("section");
    expect(await memory.list(scope)).toEqual([]);
  });

  it("describes its input as JSON Schema", () => {
    const tool = createMemoryWriteTool({ memory: new InMemoryMemoryStore() });
    expect(tool.inputSchema).toMatchObject({
      type: "object",
      required: ["text", "section"],
      properties: { section: { enum: ["decision", "preference", "fact"] }, long_term: { type: "boolean" } },
    });
  });
});

describe("memory_search", () => {
  it("returns ranked hits as DOC:LINE: text with the hits in details", async () => {
    const memory = new InMemoryMemoryStore();
    const write = createMemoryWriteTool({ memory, now });
    await write.execute(
      { text: "User prefers dark roast coffee", section: "preference" },
      toolContext(scope),
    );
    await write.execute(
      { text: "Coffee machine is a Gaggia", section: "fact", long_term: true },
      toolContext(scope),
    );
    const search = createMemorySearchTool({ memory });
    const output = await search.execute({ query: "coffee" }, toolContext(scope));
    expect(output.isError).toBeUndefined();
    const lines = output.content.split("\n");
    expect(lines).toHaveLength(2);
    expect(lines).toContain("MEMORY:3: - Coffee machine is a Gaggia");
    expect(lines.some((line) => /^2026-03-14:\d+: - User prefers dark roast coffee$/.test(line))).toBe(true);
    const details = output.details as { hits: { document: string; line: number; score: number }[] };
    expect(details.hits).toHaveLength(2);
    expect(details.hits[0]?.score).toBeGreaterThan(0);

    const limited = await search.execute({ query: "coffee", limit: 1 }, toolContext(scope));
    expect(limited.content.split("\n")).toHaveLength(1);
  });

  it("says when nothing matches and rejects bad input", async () => {
    const search = createMemorySearchTool({ memory: new InMemoryMemoryStore() });
    expect((await search.execute({ query: "nothing" }, toolContext(scope))).content).toBe(
      'No memory matches "nothing".',
    );
    for (const input of [
      {},
      { query: "" },
      { query: "x", limit: 0 },
      { query: "x", limit: 51 },
      { query: "x", limit: 1.5 },
    ]) {
      const output = await search.execute(input, toolContext(scope));
      expect(output.isError, JSON.stringify(input)).toBe(true);
      expect(output.content).toContain("Invalid input for memory_search");
    }
  });
});
