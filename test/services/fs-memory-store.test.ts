import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FsMemoryStore } from "../../src/services/memory/fs-memory-store.js";
import { tempDataDir } from "./temp-dir.js";

const scope = { tenant: "default", agent: "assistant" };

describe("FsMemoryStore on disk", () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;
  let store: FsMemoryStore;

  beforeEach(async () => {
    ({ dataDir, cleanup } = await tempDataDir("fs-memory"));
    store = new FsMemoryStore({ dataDir });
  });
  afterEach(() => cleanup());

  it("writes day files and MEMORY.md as plain Markdown where the layout says", async () => {
    await store.add(scope, { day: "2026-11-22", section: "Decisions Made", text: "text" });
    await store.write({ tenant: "acme", agent: "assistant" }, "MEMORY", "# Memory\n");
    expect(await readFile(join(dataDir, "memory/assistant/2026-11-22.md"), "utf8")).toBe(
      "# 2026-11-22\n\n## Decisions Made\n\n- text\n\n## Preferences Learned\n\n## Facts Stored\n",
    );
    expect(await readFile(join(dataDir, "tenants/acme/memory/assistant/MEMORY.md"), "utf8")).toBe(
      "# Memory\n",
    );
    expect(store.pathOf(scope, "MEMORY")).toBe(join(dataDir, "memory/assistant/MEMORY.md"));
  });

  it("adds to a file edited by hand, keeping the edits, and searches its lines", async () => {
    const directory = join(dataDir, "memory/assistant");
    await mkdir(directory, { recursive: true });
    const hand = [
      "# 2026-11-21",
      "",
      "Notes I typed myself about the *launch*.",
      "",
      "## Facts Stored",
      "- The launch is on Monday",
      "",
      "## My own section",
      "",
      "Keep this.",
      "",
    ].join("\n");
    await writeFile(join(directory, "2026-11-21.md"), hand);
    await store.add(scope, { day: "2026-11-21", section: "Facts Stored", text: "Launch moved to Tuesday" });
    await store.add(scope, {
      day: "2026-11-21",
      section: "Decisions Made",
      text: "Announce the launch by mail",
    });
    expect(await readFile(join(directory, "2026-11-21.md"), "utf8")).toBe(
      [
        "# 2026-11-21",
        "",
        "Notes I typed myself about the *launch*.",
        "",
        "## Facts Stored",
        "- The launch is on Monday",
        "- Launch moved to Tuesday",
        "",
        "## My own section",
        "",
        "Keep this.",
        "",
        "## Decisions Made",
        "",
        "- Announce the launch by mail",
        "",
      ].join("\n"),
    );
    const hits = await store.search(scope, "launch tuesday");
    expect(hits[0]).toMatchObject({ document: "2026-11-21", line: 7, text: "- Launch moved to Tuesday" });
    expect(hits.map((hit) => hit.line)).toContain(3);
  });

  it("lists only document files and leaves no temporary files behind", async () => {
    await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        store.add(scope, { day: "2026-11-22", section: "Facts Stored", text: `f${n}` }),
      ),
    );
    await store.write(scope, "MEMORY", "m");
    const directory = join(dataDir, "memory/assistant");
    await writeFile(join(directory, "notes.txt"), "x");
    await writeFile(join(directory, "2026-02-30.md"), "not a real day");
    await writeFile(join(directory, "readme.md"), "x");
    expect(await store.list(scope)).toEqual(["2026-11-22", "MEMORY"]);
    expect((await readdir(directory)).filter((name) => name.startsWith("."))).toEqual([]);
    expect(await store.search(scope, "real day")).toEqual([]);
  });

  it("writes nothing for hostile names", async () => {
    for (const document of ["../MEMORY", "/etc/passwd", "a/b", "", "MEMORY\0"]) {
      await expect(store.write(scope, document, "x")).rejects.toMatchObject({ code: "INVALID_NAME" });
    }
    await expect(store.write({ tenant: "..", agent: "x" }, "MEMORY", "x")).rejects.toMatchObject({
      code: "INVALID_NAME",
    });
    expect(await readdir(dataDir)).toEqual([]);
  });
});
