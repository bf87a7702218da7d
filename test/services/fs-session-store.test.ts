import { appendFile, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FsyncPolicy } from "../../src/config/pluto-config.js";
import { isPlutoError } from "../../src/core/errors.js";
import { FsSessionStore } from "../../src/services/session/fs-session-store.js";
import type { SessionCommit } from "../../src/services/session/session-log-file.js";
import type { SessionKey } from "../../src/services/session/session-store.js";
import { rejection, textEvent } from "../contracts/session-store.contract.js";
import { tempDataDir } from "./temp-dir.js";

const key: SessionKey = { tenant: "default", agent: "assistant", session: "s1" };

/** Every line of a JSONL file parsed; fails on a missing final newline or a bad line. */
async function jsonLines(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, "utf8");
  expect(text.endsWith("\n")).toBe(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function listTree(directory: string, prefix = ""): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const names: string[] = [];
  for (const entry of entries) {
    const name = `${prefix}${entry.name}`;
    if (entry.isDirectory())
      names.push(`${name}/`, ...(await listTree(join(directory, entry.name), `${name}/`)));
    else names.push(name);
  }
  return names.sort();
}

describe("FsSessionStore on disk", () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;
  const commits: SessionCommit[] = [];
  const open = (fsync: FsyncPolicy = "batch", cacheSize?: number) =>
    new FsSessionStore({ dataDir, fsync, cacheSize, onCommit: (commit) => commits.push(commit) });

  beforeEach(async () => {
    ({ dataDir, cleanup } = await tempDataDir("fs-sessions"));
    commits.length = 0;
  });
  afterEach(() => cleanup());

  it("writes the documented layout: a header line, then one event per line with seq first", async () => {
    const store = open();
    await store.append(key, [textEvent("hello"), textEvent("world")], { expectedSeq: 0 });
    await store.append({ ...key, tenant: "acme" }, [textEvent("tenant")], { expectedSeq: 0 });
    expect(await listTree(dataDir)).toEqual([
      "sessions/",
      "sessions/assistant/",
      "sessions/assistant/s1.jsonl",
      "tenants/",
      "tenants/acme/",
      "tenants/acme/sessions/",
      "tenants/acme/sessions/assistant/",
      "tenants/acme/sessions/assistant/s1.jsonl",
    ]);
    const path = join(dataDir, "sessions/assistant/s1.jsonl");
    expect(store.pathOf(key)).toBe(path);
    const text = await readFile(path, "utf8");
    const createdAt = (await store.info(key))?.createdAt;
    expect(text).toBe(
      `{"type":"session","version":1,"id":"s1","agent":"assistant","tenant":"default","createdAt":"${createdAt}"}\n` +
        '{"seq":1,"type":"text-delta","runId":"run-1","time":"2026-11-22T10:00:00.000Z","step":1,"text":"hello"}\n' +
        '{"seq":2,"type":"text-delta","runId":"run-1","time":"2026-11-22T10:00:00.000Z","step":1,"text":"world"}\n',
    );
    const tenantHeader = (await jsonLines(join(dataDir, "tenants/acme/sessions/assistant/s1.jsonl")))[0];
    expect(tenantHeader).toMatchObject({ type: "session", version: 1, id: "s1", tenant: "acme" });
  });

  it("survives a restart: a new store reads the events and continues the numbering", async () => {
    await open().append(key, [textEvent("a"), textEvent("b")], { expectedSeq: 0 });
    const reopened = open();
    expect((await reopened.read(key)).map((event) => event.seq)).toEqual([1, 2]);
    expect(
      isPlutoError(
        await rejection(reopened.append(key, [textEvent("c")], { expectedSeq: 0 })),
        "SESSION_CONFLICT",
      ),
    ).toBe(true);
    await reopened.append(key, [textEvent("c")], { expectedSeq: 2 });
    expect((await jsonLines(reopened.pathOf(key))).map((line) => line.seq)).toEqual([undefined, 1, 2, 3]);
  });

  it("ignores a torn final line when reading and cuts it off before the next append", async () => {
    await open().append(key, [textEvent("a"), textEvent("b")], { expectedSeq: 0 });
    const path = open().pathOf(key);
    await appendFile(path, '{"seq":3,"type":"text-delta","runId":"run-1","te');
    const store = open();
    expect((await store.read(key)).map((event) => event.seq)).toEqual([1, 2]);
    expect((await store.info(key))?.lastSeq).toBe(2);
    expect((await store.list(key)).map((info) => info.lastSeq)).toEqual([2]);
    const [event] = await store.append(key, [textEvent("c")], { expectedSeq: 2 });
    expect(event?.seq).toBe(3);
    const lines = await jsonLines(path);
    expect(lines.map((line) => line.seq)).toEqual([undefined, 1, 2, 3]);
    expect(lines[3]).toMatchObject({ text: "c" });
  });

  it("treats an unparsable last line that ends in a newline (e.g. NUL blocks) as torn", async () => {
    await open().append(key, [textEvent("a")], { expectedSeq: 0 });
    const path = open().pathOf(key);
    await appendFile(path, Buffer.from([0, 0, 0, 0, 0x0a]));
    const store = open();
    expect((await store.read(key)).map((event) => event.seq)).toEqual([1]);
    await store.append(key, [textEvent("b")], { expectedSeq: 1 });
    expect((await jsonLines(path)).map((line) => line.seq)).toEqual([undefined, 1, 2]);
  });

  it("treats a file torn while its header was written as a session that does not exist yet", async () => {
    const path = open().pathOf(key);
    await mkdir(join(dataDir, "sessions/assistant"), { recursive: true });
    await writeFile(path, '{"type":"session","vers');
    const store = open();
    expect(await store.read(key)).toEqual([]);
    expect(await store.info(key)).toBeUndefined();
    expect(await store.list(key)).toEqual([]);
    await store.append(key, [textEvent("a")], { expectedSeq: 0 });
    const lines = await jsonLines(path);
    expect(lines.map((line) => line.type)).toEqual(["session", "text-delta"]);
  });

  it("reports a corrupt line in the middle as SESSION_CORRUPT naming the session, line and relative file, never the absolute path", async () => {
    await open().append(key, [textEvent("a"), textEvent("b"), textEvent("c")], { expectedSeq: 0 });
    const path = open().pathOf(key);
    const lines = (await readFile(path, "utf8")).split("\n");
    lines[2] = "{not json";
    await writeFile(path, lines.join("\n"));
    const error = await rejection(open().read(key));
    expect(error.code).toBe("SESSION_CORRUPT");
    expect(error.details).toEqual({ agent: key.agent, session: key.session, line: 3 });
    expect(error.message).toContain(
      `Session "${key.session}" of agent "${key.agent}" has a broken log: line 3`,
    );
    expect(error.message).toContain(`sessions/${key.agent}/${key.session}.jsonl under the data directory`);
    expect(JSON.stringify(error.toJSON())).not.toContain(dataDir);
    expect((await open().read(key, { after: 2 })).map((event) => event.seq)).toEqual([3]);
  });

  it("refuses to append after a last line whose seq does not match its position", async () => {
    await open().append(key, [textEvent("a"), textEvent("b")], { expectedSeq: 0 });
    const path = open().pathOf(key);
    const lines = (await readFile(path, "utf8")).split("\n");
    lines.splice(1, 1);
    await writeFile(path, lines.join("\n"));
    const error = await rejection(open().append(key, [textEvent("c")], { expectedSeq: 1 }));
    expect(error.code).toBe("SESSION_CORRUPT");
    expect(error.details).toEqual({ agent: key.agent, session: key.session, line: 2 });
  });

  it("refuses a header from a newer format version", async () => {
    await mkdir(join(dataDir, "sessions/assistant"), { recursive: true });
    await writeFile(
      open().pathOf(key),
      '{"type":"session","version":2,"id":"s1","createdAt":"2026-11-22T00:00:00.000Z"}\n',
    );
    const error = await rejection(open().info(key));
    expect(error.code).toBe("SESSION_CORRUPT");
    expect(error.message).toContain("version 2");
  });

  it("group-commits: 100 concurrent appends share a few fsyncs, all stored gap-free", async () => {
    const store = open("batch");
    const order: string[] = [];
    const appends = Array.from({ length: 100 }, (_, n) =>
      store.append(key, [textEvent(`e${n}`)], { expectedSeq: n }).then((events) => {
        order.push(`resolved ${events[0]?.seq}`);
        return events;
      }),
    );
    const results = await Promise.all(appends);
    expect(results.map((events) => events[0]?.seq)).toEqual(Array.from({ length: 100 }, (_, n) => n + 1));
    expect(commits.length).toBeGreaterThanOrEqual(1);
    expect(commits.length).toBeLessThanOrEqual(5);
    expect(commits.every((commit) => commit.synced)).toBe(true);
    expect(commits.reduce((sum, commit) => sum + commit.events, 0)).toBe(100);
    expect(commits.reduce((sum, commit) => sum + commit.appends, 0)).toBe(100);
    const lines = await jsonLines(store.pathOf(key));
    expect(lines.slice(1).map((line) => [line.seq, line.text])).toEqual(
      Array.from({ length: 100 }, (_, n) => [n + 1, `e${n}`]),
    );
  });

  it("resolves each append only after the commit that covers it", async () => {
    const events: string[] = [];
    const store = new FsSessionStore({
      dataDir,
      onCommit: (commit) => events.push(`commit ${commit.events}`),
    });
    await Promise.all(
      [0, 1, 2].map((n) =>
        store.append(key, [textEvent(`${n}`)], { expectedSeq: n }).then(() => events.push(`resolved ${n}`)),
      ),
    );
    for (let n = 0; n < 3; n++) {
      const resolvedAt = events.indexOf(`resolved ${n}`);
      expect(events.slice(0, resolvedAt).some((entry) => entry.startsWith("commit"))).toBe(true);
    }
  });

  it("checks expectedSeq in call order inside one batch", async () => {
    const store = open("batch");
    const results = await Promise.allSettled([
      store.append(key, [textEvent("first")], { expectedSeq: 0 }),
      store.append(key, [textEvent("second")], { expectedSeq: 1 }),
      store.append(key, [textEvent("stale")], { expectedSeq: 1 }),
      store.append(key, [textEvent("third"), textEvent("fourth")], { expectedSeq: 2 }),
    ]);
    expect(results.map((result) => result.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    const stale = (results[2] as PromiseRejectedResult).reason;
    expect(isPlutoError(stale, "SESSION_CONFLICT") && stale.details).toMatchObject({
      expectedSeq: 1,
      actualSeq: 2,
    });
    expect((await store.read(key)).map((event) => (event.type === "text-delta" ? event.text : ""))).toEqual([
      "first",
      "second",
      "third",
      "fourth",
    ]);
  });

  it("fsync always: one synced write per append call; never: no fsync", async () => {
    const always = open("always");
    await Promise.all(
      Array.from({ length: 10 }, (_, n) => always.append(key, [textEvent(`${n}`)], { expectedSeq: n })),
    );
    expect(commits).toHaveLength(10);
    expect(commits.every((commit) => commit.synced && commit.appends === 1)).toBe(true);
    commits.length = 0;
    const never = open("never");
    await never.append({ ...key, session: "s2" }, [textEvent("x")], { expectedSeq: 0 });
    expect(commits).toEqual([expect.objectContaining({ synced: false, events: 1 })]);
  });

  it("runs a delete after appends queued before it", async () => {
    const store = open();
    const append = store.append(key, [textEvent("a")], { expectedSeq: 0 });
    const removal = store.delete(key);
    await Promise.all([append, removal]);
    expect(await store.info(key)).toBeUndefined();
    expect(await listTree(join(dataDir, "sessions/assistant"))).toEqual([]);
  });

  it("keeps working when idle writers are dropped from a small cache", async () => {
    const store = open("never", 2);
    for (const session of ["a", "b", "c", "d"]) {
      await store.append({ ...key, session }, [textEvent(session)], { expectedSeq: 0 });
    }
    for (const session of ["a", "b", "c", "d"]) {
      await store.append({ ...key, session }, [textEvent(`${session}2`)], { expectedSeq: 1 });
      expect((await store.info({ ...key, session }))?.lastSeq).toBe(2);
    }
  });

  it("works with open files kept between appends, closed after each write, and after close()", async () => {
    for (const maxOpenFiles of [0, 1]) {
      const store = new FsSessionStore({ dataDir, fsync: "never", maxOpenFiles });
      const keys = ["a", "b", "c"].map((session) => ({ ...key, session: `${session}${maxOpenFiles}` }));
      for (let n = 0; n < 3; n++) {
        await Promise.all(keys.map((k) => store.append(k, [textEvent(`${n}`)], { expectedSeq: n })));
      }
      await store.close();
      await store.append(keys[0] ?? key, [textEvent("after close")], { expectedSeq: 3 });
      await store.delete(keys[1] ?? key);
      await store.close();
      expect((await open().read(keys[0] ?? key)).map((event) => event.seq)).toEqual([1, 2, 3, 4]);
      expect(await open().info(keys[1] ?? key)).toBeUndefined();
      expect((await jsonLines(store.pathOf(keys[2] ?? key))).length).toBe(4);
    }
  });

  it("lists only well-named .jsonl files and writes nothing for hostile names", async () => {
    const store = open();
    await store.append(key, [textEvent("a")], { expectedSeq: 0 });
    const directory = join(dataDir, "sessions/assistant");
    await writeFile(join(directory, "notes.txt"), "not a session");
    await writeFile(join(directory, ".hidden.jsonl"), "{}\n");
    expect((await store.list(key)).map((info) => info.id)).toEqual(["s1"]);
    for (const session of ["../x", "/etc/passwd", "a/b", "", "a\0b"]) {
      await rejection(store.append({ ...key, session }, [textEvent("x")], { expectedSeq: 0 }));
    }
    expect(await listTree(dataDir)).toEqual([
      "sessions/",
      "sessions/assistant/",
      "sessions/assistant/.hidden.jsonl",
      "sessions/assistant/notes.txt",
      "sessions/assistant/s1.jsonl",
    ]);
  });
});
