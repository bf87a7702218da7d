import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { scopeOf } from "../../src/core/scope.js";
import { FsMemoryStore } from "../../src/services/memory/fs-memory-store.js";
import { FsSessionStore } from "../../src/services/session/fs-session-store.js";
import type { SessionKey } from "../../src/services/session/session-store.js";
import { textEvent } from "../contracts/session-store.contract.js";
import { tempDataDir } from "./temp-dir.js";

const key: SessionKey = { tenant: "default", agent: "assistant", session: "s1" };

describe("FsSessionStore reads that skip the disk", () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dataDir, cleanup } = await tempDataDir("fs-fast-sessions"));
  });
  afterEach(() => cleanup());

  it("answers [] and undefined for a session that does not exist, and creates nothing", async () => {
    const store = new FsSessionStore({ dataDir, fsync: "never" });
    expect(await store.read(key)).toEqual([]);
    expect(await store.read(key, { after: 3 })).toEqual([]);
    expect(await store.info(key)).toBeUndefined();
    await expect(readFile(store.pathOf(key))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("reading after the last committed seq returns [] until someone appends, by this store or on disk", async () => {
    const store = new FsSessionStore({ dataDir, fsync: "never" });
    await store.append(key, [textEvent("a"), textEvent("b")], { expectedSeq: 0 });
    expect(await store.read(key, { after: 2 })).toEqual([]);
    expect(await store.read(key, { after: 9 })).toEqual([]);
    await store.append(key, [textEvent("c")], { expectedSeq: 2 });
    expect(await store.read(key, { after: 2 })).toMatchObject([{ seq: 3, text: "c" }]);

    // Another store instance (as if another process broke the one-process rule) appends: the file's
    // length no longer matches what this store wrote, so it reads the file again.
    await new FsSessionStore({ dataDir, fsync: "never" }).append(key, [textEvent("d")], { expectedSeq: 3 });
    expect(await store.read(key, { after: 3 })).toMatchObject([{ seq: 4, text: "d" }]);
  });

  it("still reports a torn tail and a corrupt line written by hand after its own appends", async () => {
    const store = new FsSessionStore({ dataDir, fsync: "never" });
    await store.append(key, [textEvent("a"), textEvent("b")], { expectedSeq: 0 });
    const path = store.pathOf(key);
    await appendFile(path, '{"seq":3,"type":"text-delta","te');
    expect(await store.read(key, { after: 2 })).toEqual([]);
    expect((await store.read(key)).map((event) => event.seq)).toEqual([1, 2]);
    const lines = (await readFile(path, "utf8")).split("\n");
    lines[2] = '{"seq":2,"type":"text-delta","text":"hand-edited"}';
    lines[1] = "{not json";
    await writeFile(path, `${lines.slice(0, 3).join("\n")}\n`);
    await expect(store.read(key)).rejects.toMatchObject({ code: "SESSION_CORRUPT" });
    expect(await store.read(key, { after: 1 })).toMatchObject([{ seq: 2, text: "hand-edited" }]);
  });
});

describe("FsMemoryStore reads of absent documents", () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;
  const scope = scopeOf("assistant");
  beforeEach(async () => {
    ({ dataDir, cleanup } = await tempDataDir("fs-fast-memory"));
  });
  afterEach(() => cleanup());

  it("sees a note or file the moment it exists: written by the store, or by hand right after an absent read", async () => {
    const store = new FsMemoryStore({ dataDir, fsync: "never", index: { persist: false } });
    expect(await store.read(scope, "2026-11-22")).toBeUndefined();
    expect(await store.read(scope, "MEMORY")).toBeUndefined();
    await store.add(scope, { day: "2026-11-22", section: "Facts Stored", text: "The sky is blue" });
    expect(await store.read(scope, "2026-11-22")).toContain("- The sky is blue");

    const path = store.pathOf(scope, "MEMORY");
    await mkdir(join(path, ".."), { recursive: true });
    await writeFile(path, "# Memory\n\n- typed by hand\n");
    expect(await store.read(scope, "MEMORY")).toBe("# Memory\n\n- typed by hand\n");
  });

  it("still throws for a document path it cannot read (a folder in its place)", async () => {
    const store = new FsMemoryStore({ dataDir, fsync: "never", index: { persist: false } });
    await mkdir(store.pathOf(scope, "MEMORY"), { recursive: true });
    await expect(store.read(scope, "MEMORY")).rejects.toMatchObject({ code: "EISDIR" });
  });
});
