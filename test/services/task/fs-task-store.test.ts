import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FsTaskStore } from "../../../src/services/task/fs-task-store.js";
import { rejection } from "../../contracts/session-store.contract.js";
import { describeTaskStoreContract } from "../../contracts/task-store.contract.js";
import { tempDataDir } from "../temp-dir.js";

for (const fsync of ["batch", "never"] as const) {
  describeTaskStoreContract(`filesystem, fsync ${fsync}`, async () => {
    const { dataDir, cleanup } = await tempDataDir("tasks");
    return { store: new FsTaskStore({ dataDir, fsync }), cleanup };
  });
}

describe("FsTaskStore layout", () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;
  const task = (id: string) => ({
    id,
    protocol: "agent-protocol" as const,
    agent: "assistant",
    session: "s1",
    createdAt: "2025-01-01T00:00:00.000Z",
    data: { input: "hi" },
  });

  beforeEach(async () => {
    ({ dataDir, cleanup } = await tempDataDir("tasks-layout"));
  });
  afterEach(async () => {
    await cleanup();
  });

  it("writes <dataDir>/tasks/<protocol>/<id>.json for the default tenant and tenants/<t>/tasks/… otherwise", async () => {
    const store = new FsTaskStore({ dataDir });
    await store.put("default", task("t1"), { expectedVersion: 0 });
    await store.put("acme", { ...task("t2"), protocol: "a2a" }, { expectedVersion: 0 });
    const first = JSON.parse(await readFile(join(dataDir, "tasks", "agent-protocol", "t1.json"), "utf8"));
    expect(first).toMatchObject({ id: "t1", version: 1, data: { input: "hi" } });
    const second = JSON.parse(
      await readFile(join(dataDir, "tenants", "acme", "tasks", "a2a", "t2.json"), "utf8"),
    );
    expect(second).toMatchObject({ id: "t2", protocol: "a2a", version: 1 });
    expect(await readdir(join(dataDir, "tasks", "agent-protocol"))).toEqual(["t1.json"]);
  });

  it("survives a new store instance on the same directory (state is the files)", async () => {
    await new FsTaskStore({ dataDir }).put("default", task("t1"), { expectedVersion: 0 });
    const reopened = new FsTaskStore({ dataDir });
    expect((await reopened.get("default", "agent-protocol", "t1"))?.version).toBe(1);
    expect((await reopened.put("default", task("t1"), { expectedVersion: 1 })).version).toBe(2);
  });

  it("ignores temporary and unsafe file names when listing and reports a corrupt file by path", async () => {
    const store = new FsTaskStore({ dataDir });
    await store.put("default", task("t1"), { expectedVersion: 0 });
    const folder = join(dataDir, "tasks", "agent-protocol");
    await writeFile(join(folder, ".t1.json.abc.tmp"), "partial");
    await writeFile(join(folder, "notes.txt"), "hand-written");
    await mkdir(join(folder, "sub"));
    expect((await store.list("default", "agent-protocol")).tasks.map((record) => record.id)).toEqual(["t1"]);
    await writeFile(join(folder, "t2.json"), "{ not json");
    const error = await rejection(store.get("default", "agent-protocol", "t2"));
    expect(error.code).toBe("SESSION_CORRUPT");
    expect(error.message).toContain("t2.json");
    await writeFile(join(folder, "t3.json"), JSON.stringify({ ...task("other"), version: 1 }));
    expect((await rejection(store.get("default", "agent-protocol", "t3"))).code).toBe("SESSION_CORRUPT");
    expect((await rejection(store.list("default", "agent-protocol"))).code).toBe("SESSION_CORRUPT");
  });
});
