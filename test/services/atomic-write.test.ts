import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileAtomic } from "../../src/services/fs/atomic-write.js";
import { KeyedLock } from "../../src/services/fs/keyed-lock.js";
import { resolveInside } from "../../src/services/fs/scope-directory.js";
import { tempDataDir } from "./temp-dir.js";

describe("writeFileAtomic", () => {
  let dataDir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dataDir, cleanup } = await tempDataDir("atomic")));
  afterEach(() => cleanup());

  it("creates missing folders and replaces content whole", async () => {
    const path = join(dataDir, "a/b/file.txt");
    await writeFileAtomic(path, "one");
    await writeFileAtomic(path, new Uint8Array([0, 255, 10]));
    expect([...(await readFile(path))]).toEqual([0, 255, 10]);
    expect(await readdir(join(dataDir, "a/b"))).toEqual(["file.txt"]);
  });

  it("never exposes a partial file to concurrent readers", async () => {
    const path = join(dataDir, "file.txt");
    const big = (fill: string) => fill.repeat(256 * 1024);
    await writeFile(path, big("a"));
    const writes = ["b", "c", "d", "e"].map((fill) => writeFileAtomic(path, big(fill), { fsync: false }));
    const reads = Array.from({ length: 20 }, () => readFile(path, "utf8"));
    for (const content of await Promise.all(reads)) {
      expect(content.length).toBe(256 * 1024);
      expect(new Set(content).size).toBe(1);
    }
    await Promise.all(writes);
  });

  it("removes its temporary file when the rename fails", async () => {
    const path = join(dataDir, "folder");
    await mkdir(join(path, "child"), { recursive: true });
    await expect(writeFileAtomic(path, "x")).rejects.toThrow();
    expect(await readdir(dataDir)).toEqual(["folder"]);
  });
});

describe("KeyedLock", () => {
  it("runs tasks of one key in order and keeps going after a failure", async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    const task =
      (label: string, ms: number, fail = false) =>
      async () => {
        order.push(`start ${label}`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        order.push(`end ${label}`);
        if (fail) throw new Error(label);
        return label;
      };
    const results = await Promise.allSettled([
      lock.run("k", task("1", 20, true)),
      lock.run("k", task("2", 1)),
      lock.run("other", task("x", 1)),
    ]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
    expect(order.indexOf("start 2")).toBeGreaterThan(order.indexOf("end 1"));
    expect(order.indexOf("end x")).toBeLessThan(order.indexOf("end 1"));
  });
});

describe("resolveInside", () => {
  it("accepts paths inside the root and refuses escapes", () => {
    expect(resolveInside("/data/root", "a/b.txt")).toBe("/data/root/a/b.txt");
    for (const path of ["../x", "a/../../x", "/etc/passwd", "", "."]) {
      expect(() => resolveInside("/data/root", path)).toThrow(
        expect.objectContaining({ code: "INVALID_NAME" }),
      );
    }
  });
});
