import { describe, expect, it } from "vitest";
import { scopeOf } from "../../src/core/scope.js";
import { InMemoryArtifactStore } from "../../src/services/artifact/in-memory-artifact-store.js";
import { createArtifactReadTool } from "../../src/tools/builtin/artifact-read-tool.js";
import { limitToolOutput } from "../../src/tools/tool-result-limit.js";
import { toolContext } from "./tool-test-support.js";

const scope = scopeOf("assistant");

describe("limitToolOutput", () => {
  it("returns content that fits unchanged without saving", async () => {
    let saved = 0;
    const output = { content: "short", details: { a: 1 }, isError: true };
    const limited = await limitToolOutput(output, {
      maxChars: 5,
      saveFull: async () => {
        saved += 1;
        return "x";
      },
    });
    expect(limited).toEqual({ content: "short", details: { a: 1 }, isError: true, truncated: false });
    expect(saved).toBe(0);
  });

  it("cuts long content to maxChars, saves it whole as an artifact and says how to read the rest", async () => {
    const artifacts = new InMemoryArtifactStore();
    const full = Array.from({ length: 2000 }, (_, index) => `row ${index}`).join("\n");
    const details = { rows: 2000 };
    const limited = await limitToolOutput(
      { content: full, details },
      {
        maxChars: 1000,
        saveFull: async (text) => (await artifacts.put(scope, "tool-results/call-1.txt", text)).name,
      },
    );
    expect(limited.truncated).toBe(true);
    expect(limited.artifact).toBe("tool-results/call-1.txt");
    expect(limited.content.length).toBeLessThanOrEqual(1000);
    expect(limited.details).toBe(details);
    const marker =
      /\[Output truncated: showing the first (\d+) of (\d+) characters\. The full output was saved as artifact "tool-results\/call-1\.txt"; read the rest with artifact_read \{ "name": "tool-results\/call-1\.txt", "offset": (\d+) \}\.\]$/.exec(
        limited.content,
      );
    expect(marker).not.toBeNull();
    const kept = Number(marker?.[1]);
    expect(Number(marker?.[2])).toBe(full.length);
    expect(Number(marker?.[3])).toBe(kept);
    expect(limited.content.startsWith(full.slice(0, kept))).toBe(true);
    expect(new TextDecoder().decode((await artifacts.get(scope, "tool-results/call-1.txt"))?.body)).toBe(
      full,
    );

    // The model can continue exactly where the cut happened.
    const read = createArtifactReadTool({ artifacts, maxChars: 1000 });
    const next = await read.execute({ name: "tool-results/call-1.txt", offset: kept }, toolContext(scope));
    expect(next.content.startsWith(full.slice(kept, kept + 1000))).toBe(true);
  });

  it("never splits a surrogate pair and handles tiny limits", async () => {
    const full = "😀".repeat(500);
    const limited = await limitToolOutput(
      { content: full },
      { maxChars: 301, saveFull: async () => "a.txt" },
    );
    const kept = limited.content.slice(0, limited.content.indexOf("\n\n[Output truncated"));
    expect(kept.length % 2).toBe(0);
    expect([...kept].every((character) => character === "😀")).toBe(true);

    const tiny = await limitToolOutput(
      { content: "x".repeat(50) },
      { maxChars: 3, saveFull: async () => "t.txt" },
    );
    expect(tiny.content.startsWith("[Output truncated: showing the first 0 of 50 characters.")).toBe(true);
    expect(tiny.artifact).toBe("t.txt");
  });

  it("still cuts when saving fails, and says so", async () => {
    const limited = await limitToolOutput(
      { content: "y".repeat(5000) },
      {
        maxChars: 500,
        saveFull: async () => {
          throw new Error("disk full");
        },
      },
    );
    expect(limited.artifact).toBeUndefined();
    expect(limited.content.length).toBeLessThanOrEqual(500);
    expect(limited.content).toContain("The full output could not be saved (disk full).");
  });
});
