import { mkdir, readdir, readFile, rm, unlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FsMemoryIndex, INDEX_FILE } from "../../../src/services/memory/fs-memory-index.js";
import { FsMemoryStore } from "../../../src/services/memory/fs-memory-store.js";
import { tempDataDir } from "../temp-dir.js";

const scope = { tenant: "default", agent: "assistant" };

/** The Markdown of a day with the given bullets under Facts Stored (bullet n on line 9 + n). */
function day(date: string, facts: string[]): string {
  return `# ${date}\n\n## Decisions Made\n\n## Preferences Learned\n\n## Facts Stored\n\n${facts.map((fact) => `- ${fact}\n`).join("")}`;
}

/** `count` consecutive days from 2016-01-01, as YYYY-MM-DD. */
function days(count: number): string[] {
  const start = Date.UTC(2016, 0, 1);
  return Array.from({ length: count }, (_, n) => new Date(start + n * 86_400_000).toISOString().slice(0, 10));
}

describe("FsMemoryStore search index", () => {
  let dataDir: string;
  let directory: string;
  let cleanup: () => Promise<void>;
  let store: FsMemoryStore;

  beforeEach(async () => {
    ({ dataDir, cleanup } = await tempDataDir("memory-index"));
    directory = join(dataDir, "memory/assistant");
    await mkdir(directory, { recursive: true });
    store = new FsMemoryStore({ dataDir, fsync: "never", index: { checkIntervalMs: 0 } });
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  it("picks up a file edited by hand and a file added by hand", async () => {
    await store.add(scope, { day: "2026-03-01", section: "Facts Stored", text: "The cat is called Miso" });
    expect((await store.search(scope, "miso"))[0]).toMatchObject({ document: "2026-03-01", line: 9 });
    await writeFile(join(directory, "2026-03-01.md"), "# 2026-03-01\n\nThe cat is called Tofu now\n");
    expect(await store.search(scope, "miso")).toEqual([]);
    expect(await store.search(scope, "tofu")).toMatchObject([
      { document: "2026-03-01", line: 3, text: "The cat is called Tofu now" },
    ]);
    await writeFile(join(directory, "MEMORY.md"), "# Memory\n\n\nTofu likes tuna\n");
    expect((await store.search(scope, "tofu")).map((hit) => [hit.document, hit.line])).toEqual([
      ["MEMORY", 4],
      ["2026-03-01", 3],
    ]);
  });

  it("removes a deleted file from the results and ignores files that are not documents", async () => {
    await store.add(scope, { day: "2026-03-01", section: "Facts Stored", text: "Parking at level 3" });
    await store.add(scope, { day: "2026-03-02", section: "Facts Stored", text: "Parking moved to level 5" });
    expect(await store.search(scope, "parking")).toHaveLength(2);
    await unlink(join(directory, "2026-03-02.md"));
    expect(await store.search(scope, "parking")).toMatchObject([{ document: "2026-03-01" }]);
    await writeFile(join(directory, "notes.md"), "parking everywhere\n");
    await writeFile(join(directory, "2026-02-30.md"), "parking on a day that does not exist\n");
    expect(await store.search(scope, "parking")).toHaveLength(1);
    await rm(directory, { recursive: true });
    expect(await store.search(scope, "parking")).toEqual([]);
  });

  it("sees the store's own writes at once, and hand edits only after the check interval", async () => {
    const slow = new FsMemoryStore({ dataDir, fsync: "never", index: { checkIntervalMs: 60_000 } });
    await slow.add(scope, { day: "2026-03-01", section: "Facts Stored", text: "alpha" });
    expect(await slow.search(scope, "alpha")).toHaveLength(1);
    await slow.add(scope, { day: "2026-03-01", section: "Facts Stored", text: "beta" });
    await slow.write(scope, "MEMORY", "gamma\n");
    expect(await slow.search(scope, "beta")).toMatchObject([{ document: "2026-03-01", line: 10 }]);
    expect(await slow.search(scope, "gamma")).toMatchObject([{ document: "MEMORY", line: 1 }]);
    await writeFile(join(directory, "2026-03-05.md"), "delta\n");
    expect(await slow.search(scope, "delta")).toEqual([]);
    await slow.close();
  });

  it("applies the check interval with a clock", async () => {
    let now = 0;
    const index = new FsMemoryIndex({ directory, checkIntervalMs: 1000, persist: false, now: () => now });
    await writeFile(join(directory, "2026-03-01.md"), "first line\n");
    expect(await index.search("first", 10)).toHaveLength(1);
    await writeFile(join(directory, "2026-03-01.md"), "second line\n");
    now = 999;
    expect(await index.search("second", 10)).toEqual([]);
    now = 1000;
    expect(await index.search("second", 10)).toMatchObject([{ document: "2026-03-01", line: 1 }]);
    expect(await index.search("first", 10)).toEqual([]);
    await index.close();
  });

  it("finds the right lines among 3,650 day files", async () => {
    const all = days(3650);
    await Promise.all(
      all.map((date, n) =>
        writeFile(
          join(directory, `${date}.md`),
          day(date, [`Routine standup notes number ${n}`, `Ticket PLU-${n} reviewed`, `Weather was mild`]),
        ),
      ),
    );
    await writeFile(
      join(directory, "2019-07-14.md"),
      day("2019-07-14", ["x", "y", "Quokka sighted at Rottnest"]),
    );
    const hits = await store.search(scope, "quokka");
    expect(hits).toEqual([
      { document: "2019-07-14", line: 11, text: "- Quokka sighted at Rottnest", score: expect.any(Number) },
    ]);
    expect((await store.search(scope, "PLU-3000"))[0]).toMatchObject({
      document: all[3000],
      line: 10,
      text: "- Ticket PLU-3000 reviewed",
    });
    const weather = await store.search(scope, "weather", { limit: 5 });
    expect(weather.map((hit) => hit.document)).toEqual(all.slice(-5).reverse());
    expect(weather.every((hit) => hit.line === 11)).toBe(true);
    expect(await store.search(scope, "weather", { limit: 1000 })).toHaveLength(1000);
  }, 60_000);

  it("ranks lines sensibly", async () => {
    await store.write(
      scope,
      "2026-01-01",
      [
        "- Prefers green tea in the morning",
        "- Drinks tea",
        "- Green is the favourite colour",
        "- Kubernetes cluster upgraded",
        "- Tea tea tea",
        "- Migration to PostgreSQL planned",
      ].join("\n"),
    );
    const tea = await store.search(scope, "green tea");
    expect(tea[0]?.text).toBe("- Prefers green tea in the morning");
    expect(tea.map((hit) => hit.line)).toEqual(expect.arrayContaining([2, 3, 5]));
    expect((await store.search(scope, "kubernetes"))[0]?.line).toBe(4);
    expect((await store.search(scope, "kubernets"))[0]?.line).toBe(4);
    expect((await store.search(scope, "migra"))[0]?.line).toBe(6);
    expect((await store.search(scope, "postgresql migration"))[0]?.line).toBe(6);
    expect(await store.search(scope, "te")).toEqual([]);
    expect(await store.search(scope, "zebra")).toEqual([]);
    const scores = tea.map((hit) => hit.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it("saves the index on close and starts warm from it, catching edits made while closed", async () => {
    await store.add(scope, { day: "2026-03-01", section: "Facts Stored", text: "saved fact" });
    await store.search(scope, "saved");
    await store.close();
    const saved = JSON.parse(await readFile(join(directory, INDEX_FILE), "utf8")) as { format: string };
    expect(saved.format).toBe("pluto-memory-index");
    await writeFile(join(directory, "2026-03-01.md"), "edited while closed\n");
    await writeFile(join(directory, "2026-03-02.md"), "saved again\n");
    store = new FsMemoryStore({ dataDir, fsync: "never", index: { checkIntervalMs: 0 } });
    expect(await store.search(scope, "saved")).toMatchObject([{ document: "2026-03-02", line: 1 }]);
    expect(await store.search(scope, "edited")).toMatchObject([{ document: "2026-03-01", line: 1 }]);
    expect(await store.list(scope)).toEqual(["2026-03-01", "2026-03-02"]);
    expect((await readdir(directory)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("rebuilds from the Markdown when the saved index is corrupt or lies", async () => {
    await store.add(scope, { day: "2026-03-01", section: "Facts Stored", text: "truth" });
    await store.search(scope, "truth");
    await store.close();
    const path = join(directory, INDEX_FILE);
    const saved = JSON.parse(await readFile(path, "utf8")) as { files: Record<string, { lines: number[] }> };
    for (const corrupt of [
      "{not json",
      JSON.stringify({ ...saved, version: 99 }),
      JSON.stringify({ ...saved, files: { "2026-03-01": { ...saved.files["2026-03-01"], lines: [500] } } }),
      JSON.stringify({ ...saved, index: { nonsense: true } }),
    ]) {
      await writeFile(path, corrupt);
      const fresh = new FsMemoryStore({ dataDir, fsync: "never", index: { persist: false } });
      expect(await fresh.search(scope, "truth")).toMatchObject([{ document: "2026-03-01", line: 9 }]);
      await fresh.close();
    }
  });

  it("notices an in-place edit that keeps the size", async () => {
    await writeFile(join(directory, "2026-03-01.md"), "apple\n");
    expect(await store.search(scope, "apple")).toHaveLength(1);
    await writeFile(join(directory, "2026-03-01.md"), "mango\n");
    await utimes(join(directory, "2026-03-01.md"), new Date(), new Date(Date.now() + 5000));
    expect(await store.search(scope, "apple")).toEqual([]);
    expect(await store.search(scope, "mango")).toHaveLength(1);
  });

  it("keeps scopes apart and bounds the number of indexes in memory", async () => {
    const small = new FsMemoryStore({ dataDir, fsync: "never", index: { maxScopes: 2, checkIntervalMs: 0 } });
    for (const agent of ["a1", "a2", "a3"]) {
      await small.write({ tenant: "t", agent }, "MEMORY", `secret of ${agent}\n`);
    }
    for (const round of [0, 1]) {
      for (const agent of ["a1", "a2", "a3"]) {
        const hits = await small.search({ tenant: "t", agent }, "secret");
        expect(
          hits.map((hit) => hit.text),
          `round ${round}`,
        ).toEqual([`secret of ${agent}`]);
      }
    }
    await small.close();
  });
});
