import { describe, expect, it } from "vitest";
import { scopeOf } from "../../src/core/scope.js";
import { InMemoryArtifactStore } from "../../src/services/artifact/in-memory-artifact-store.js";
import { createArtifactReadTool } from "../../src/tools/builtin/artifact-read-tool.js";
import { createArtifactWriteTool } from "../../src/tools/builtin/artifact-write-tool.js";
import { toolContext } from "./tool-test-support.js";

const scope = scopeOf("assistant");

describe("artifact_write and artifact_read", () => {
  it("writes text with a guessed media type and call metadata, then reads it back", async () => {
    const artifacts = new InMemoryArtifactStore();
    const write = createArtifactWriteTool({ artifacts });
    const read = createArtifactReadTool({ artifacts });
    const written = await write.execute(
      { name: "reports/q1.md", content: "# Q1\n\nÜber gut ✓\n" },
      toolContext(scope),
    );
    expect(written.isError).toBeUndefined();
    expect(written.content).toMatch(/^Saved artifact reports\/q1\.md \(\d+ bytes, text\/markdown\)\.$/);
    const stored = await artifacts.get(scope, "reports/q1.md");
    expect(stored?.info.metadata).toEqual({ sessionId: "s1", runId: "r1", toolCallId: "call-1" });

    const output = await read.execute({ name: "reports/q1.md" }, toolContext(scope));
    expect(output.content).toBe("# Q1\n\nÜber gut ✓\n");
    expect(output.details).toMatchObject({ name: "reports/q1.md", mediaType: "text/markdown", offset: 0 });

    await write.execute(
      { name: "data.bin.txt", content: "x", media_type: "application/x-custom" },
      toolContext(scope),
    );
    expect((await artifacts.get(scope, "data.bin.txt"))?.info.mediaType).toBe("application/x-custom");
    await write.execute({ name: "notes", content: "plain" }, toolContext(scope));
    expect((await artifacts.get(scope, "notes"))?.info.mediaType).toBe("text/plain");
  });

  it("replaces what a tool wrote, but never an artifact a user or the operator supplied", async () => {
    const artifacts = new InMemoryArtifactStore();
    const write = createArtifactWriteTool({ artifacts });
    await write.execute({ name: "draft.md", content: "v1" }, toolContext(scope));
    const again = await write.execute({ name: "draft.md", content: "v2" }, toolContext(scope));
    expect(again.isError).toBeUndefined();
    expect(new TextDecoder().decode((await artifacts.get(scope, "draft.md"))?.body)).toBe("v2");

    // As the Agent Protocol upload route and an operator's own file store them: no toolCallId.
    await artifacts.put(scope, "tasks/t1/a1/report.csv", "a,b\n1,2\n", {
      metadata: { taskId: "t1", artifactId: "a1", session: "s1" },
    });
    await artifacts.put(scope, "handbook", "operator text");
    for (const [name, original, suggestion] of [
      ["tasks/t1/a1/report.csv", "a,b\n1,2\n", "tasks/t1/a1/report.edited.csv"],
      ["handbook", "operator text", "handbook.edited"],
    ] as const) {
      const refused = await write.execute({ name, content: "model text" }, toolContext(scope));
      expect(refused.isError, name).toBe(true);
      expect(refused.content, name).toContain("cannot be replaced");
      expect(refused.content, name).toContain(suggestion);
      expect(refused.details, name).toEqual({ name, protected: true });
      expect(new TextDecoder().decode((await artifacts.get(scope, name))?.body), name).toBe(original);
    }
    // A new name beside the protected one is fine.
    const beside = await write.execute(
      { name: "tasks/t1/a1/report.edited.csv", content: "x" },
      toolContext(scope),
    );
    expect(beside.isError).toBeUndefined();
  });

  it("rejects hostile names with a clear tool error and writes nothing", async () => {
    const artifacts = new InMemoryArtifactStore();
    const write = createArtifactWriteTool({ artifacts });
    const read = createArtifactReadTool({ artifacts });
    for (const name of [
      "../escape.txt",
      "/etc/passwd",
      "a/../../b",
      "a\\b",
      "nul\0.txt",
      "a//b",
      ".hidden",
      "x/",
    ]) {
      const output = await write.execute({ name, content: "x" }, toolContext(scope));
      expect(output.isError, name).toBe(true);
      expect(output.content).toContain("Invalid artifact path");
      expect(output.details).toMatchObject({ code: "INVALID_NAME" });
      const reading = await read.execute({ name }, toolContext(scope));
      expect(reading.isError, name).toBe(true);
    }
    expect(await artifacts.list(scope)).toEqual([]);
    const badType = await write.execute(
      { name: "a.txt", content: "x", media_type: "not a type" },
      toolContext(scope),
    );
    expect(badType.isError).toBe(true);
    expect(badType.content).toContain("media_type must look like type/subtype");
  });

  it("lists existing names when an artifact is missing", async () => {
    const artifacts = new InMemoryArtifactStore();
    const read = createArtifactReadTool({ artifacts });
    const none = await read.execute({ name: "missing.txt" }, toolContext(scope));
    expect(none).toMatchObject({
      isError: true,
      content: 'No artifact named "missing.txt". There are no artifacts yet.',
    });
    await artifacts.put(scope, "a.txt", "a");
    await artifacts.put(scope, "b/c.txt", "c");
    const some = await read.execute({ name: "missing.txt" }, toolContext(scope));
    expect(some.content).toContain("Existing artifacts: a.txt, b/c.txt.");
  });

  it("describes binary artifacts instead of showing them", async () => {
    const artifacts = new InMemoryArtifactStore();
    await artifacts.put(scope, "image.png", new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 0xff]), {
      mediaType: "image/png",
    });
    await artifacts.put(scope, "latin1.txt", new Uint8Array([0x63, 0x61, 0x66, 0xe9]));
    const read = createArtifactReadTool({ artifacts });
    const image = await read.execute({ name: "image.png" }, toolContext(scope));
    expect(image.content).toBe(
      "Artifact image.png is binary (image/png, 8 bytes); it cannot be shown as text.",
    );
    const latin1 = await read.execute({ name: "latin1.txt" }, toolContext(scope));
    expect(latin1.content).toContain("is binary (application/octet-stream, 4 bytes)");
  });

  it("reads a long artifact in pieces with offsets", async () => {
    const artifacts = new InMemoryArtifactStore();
    const text = Array.from({ length: 100 }, (_, index) => `line ${index}`).join("\n");
    await artifacts.put(scope, "long.txt", text);
    const read = createArtifactReadTool({ artifacts, maxChars: 300 });
    const first = await read.execute({ name: "long.txt" }, toolContext(scope));
    expect(first.content.startsWith(text.slice(0, 300))).toBe(true);
    expect(first.content).toContain(
      `[Showing characters 0-300 of ${text.length}. Call artifact_read with offset 300 for more.]`,
    );
    let offset = 300;
    let collected = text.slice(0, 300);
    while (offset < text.length) {
      const piece = await read.execute({ name: "long.txt", offset }, toolContext(scope));
      const details = piece.details as { offset: number; end: number };
      collected += text.slice(details.offset, details.end);
      offset = details.end;
    }
    expect(collected).toBe(text);
    const past = await read.execute({ name: "long.txt", offset: 10_000 }, toolContext(scope));
    expect(past.isError).toBeUndefined();
    const negative = await read.execute({ name: "long.txt", offset: -1 }, toolContext(scope));
    expect(negative.isError).toBe(true);
  });
});
