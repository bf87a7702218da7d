import { describe, expect, it } from "vitest";
import { mcpResultToToolOutput } from "../../src/tools/mcp/mcp-result.js";
import { MAX_TOOL_NAME_LENGTH, mcpToolName } from "../../src/tools/mcp/mcp-tool-name.js";

describe("mcpToolName", () => {
  it("prefixes and sanitises", () => {
    expect(mcpToolName("fs", "read_text_file")).toBe("fs__read_text_file");
    expect(mcpToolName("files", "read.text file")).toBe("files__read_text_file");
    expect(mcpToolName("my server", "tool/ü")).toBe("my_server__tool__");
    expect(mcpToolName("everything", "get-sum")).toBe("everything__get-sum");
  });

  it("keeps long names within 64 characters, distinct and stable", () => {
    const long = "a".repeat(80);
    const first = mcpToolName("server", `${long}1`);
    const second = mcpToolName("server", `${long}2`);
    expect(first).toHaveLength(MAX_TOOL_NAME_LENGTH);
    expect(second).toHaveLength(MAX_TOOL_NAME_LENGTH);
    expect(first).not.toBe(second);
    expect(mcpToolName("server", `${long}1`)).toBe(first);
    expect(first).toMatch(/^server__a+_[0-9a-f]{8}$/);
    expect(mcpToolName("s", "x".repeat(61))).toHaveLength(64);
    expect(mcpToolName("s", "x".repeat(61))).not.toMatch(/_[0-9a-f]{8}$/);
  });
});

describe("mcpResultToToolOutput", () => {
  const source = { server: "srv", tool: "t" };

  it("joins text and summarises other content", () => {
    const output = mcpResultToToolOutput(
      {
        content: [
          { type: "text", text: "first" },
          { type: "image", data: Buffer.alloc(1234).toString("base64"), mimeType: "image/png" },
          { type: "audio", data: Buffer.alloc(10).toString("base64"), mimeType: "audio/wav" },
          { type: "resource_link", name: "report", uri: "file:///r.md", mimeType: "text/markdown" },
          { type: "resource", resource: { uri: "demo://a", mimeType: "text/plain", text: "inline text" } },
          { type: "resource", resource: { uri: "demo://b", blob: Buffer.alloc(7).toString("base64") } },
          { type: "text", text: "last" },
        ],
      },
      source,
    );
    expect(output.content).toBe(
      [
        "first",
        "[image image/png 1234 bytes]",
        "[audio audio/wav 10 bytes]",
        "[resource link report file:///r.md text/markdown]",
        "[resource demo://a text/plain 11 bytes]\ninline text",
        "[resource demo://b application/octet-stream 7 bytes]",
        "last",
      ].join("\n\n"),
    );
    expect(output.isError).toBeUndefined();
    expect(output.details).toMatchObject({ server: "srv", tool: "t" });
  });

  it("keeps structured content in details and shows it when there is no text", () => {
    const output = mcpResultToToolOutput({ content: [], structuredContent: { temperature: 21 } }, source);
    expect(output.content).toBe('{\n  "temperature": 21\n}');
    expect(output.details).toEqual({
      server: "srv",
      tool: "t",
      content: [],
      structuredContent: { temperature: 21 },
    });
    expect(mcpResultToToolOutput({ content: [] }, source).content).toBe("(no output)");
    expect(mcpResultToToolOutput({ toolResult: { ok: true } }, source).content).toContain('"ok": true');
  });

  it("carries isError", () => {
    const output = mcpResultToToolOutput(
      { content: [{ type: "text", text: "boom" }], isError: true },
      source,
    );
    expect(output).toMatchObject({ content: "boom", isError: true });
  });
});
