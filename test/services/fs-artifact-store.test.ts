import { mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FsArtifactStore } from "../../src/services/artifact/fs-artifact-store.js";
import { HOSTILE_ARTIFACT_NAMES } from "../contracts/artifact-store.contract.js";
import { tempDataDir } from "./temp-dir.js";

const scope = { tenant: "default", agent: "assistant" };

describe("FsArtifactStore on disk", () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;
  let store: FsArtifactStore;

  beforeEach(async () => {
    ({ dataDir, cleanup } = await tempDataDir("fs-artifacts"));
    store = new FsArtifactStore({ dataDir });
  });
  afterEach(() => cleanup());

  it("keeps bodies as plain files and metadata as JSON under .meta", async () => {
    const info = await store.put(scope, "reports/q1.md", "# Q1\n", {
      mediaType: "text/markdown",
      metadata: { runId: "r1" },
    });
    await store.put({ tenant: "acme", agent: "assistant" }, "a.txt", "tenant");
    const root = join(dataDir, "artifacts/assistant");
    expect(await readFile(join(root, "reports/q1.md"), "utf8")).toBe("# Q1\n");
    expect(JSON.parse(await readFile(join(root, ".meta/reports/q1.md.json"), "utf8"))).toEqual(info);
    expect(await readFile(join(dataDir, "tenants/acme/artifacts/assistant/a.txt"), "utf8")).toBe("tenant");
    expect((await readdir(join(root, "reports"))).filter((name) => name.startsWith("."))).toEqual([]);
  });

  it("serves files copied in by hand with computed metadata, and repairs stale metadata", async () => {
    const root = join(dataDir, "artifacts/assistant");
    await mkdir(join(root, "docs"), { recursive: true });
    await writeFile(join(root, "docs/hand.txt"), "by hand");
    const [listed] = await store.list(scope);
    expect(listed).toMatchObject({
      name: "docs/hand.txt",
      size: 7,
      mediaType: "application/octet-stream",
      metadata: {},
    });
    expect((await store.get(scope, "docs/hand.txt"))?.info.sha256).toBe(listed?.sha256);

    await store.put(scope, "x.txt", "old", { mediaType: "text/plain" });
    await writeFile(join(root, "x.txt"), "changed by hand");
    const got = await store.get(scope, "x.txt");
    expect(got?.info).toMatchObject({ size: 15, mediaType: "text/plain" });
    expect(new TextDecoder().decode(got?.body)).toBe("changed by hand");
  });

  it("removes empty folders on delete", async () => {
    await store.put(scope, "a/b/c.txt", "x");
    await store.delete(scope, "a/b/c.txt");
    expect(await readdir(join(dataDir, "artifacts/assistant"))).toEqual([".meta"]);
    expect(await readdir(join(dataDir, "artifacts/assistant/.meta"))).toEqual([]);
  });

  it("never follows a symbolic link out of the data directory", async () => {
    const { dataDir: outside, cleanup: cleanupOutside } = await tempDataDir("outside");
    try {
      await writeFile(join(outside, "secret.txt"), "secret");
      const root = join(dataDir, "artifacts/assistant");
      await mkdir(root, { recursive: true });
      await symlink(outside, join(root, "link"));
      await expect(store.get(scope, "link/secret.txt")).rejects.toMatchObject({ code: "INVALID_NAME" });
      await expect(store.put(scope, "link/new.txt", "x")).rejects.toMatchObject({ code: "INVALID_NAME" });
      await expect(store.delete(scope, "link/secret.txt")).rejects.toMatchObject({ code: "INVALID_NAME" });
      expect(await store.list(scope)).toEqual([]);
      expect(await readdir(outside)).toEqual(["secret.txt"]);
    } finally {
      await cleanupOutside();
    }
  });

  it("writes nothing anywhere for hostile names", async () => {
    for (const name of HOSTILE_ARTIFACT_NAMES) {
      await expect(store.put(scope, name, "x")).rejects.toMatchObject({ code: "INVALID_NAME" });
    }
    expect(await readdir(dataDir)).toEqual([]);
  });
});
