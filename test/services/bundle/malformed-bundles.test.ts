import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PlutoError } from "../../../src/core/errors.js";
import type { BundleLimits, BundleProgressCallback } from "../../../src/services/bundle/bundle-format.js";
import { importBundle } from "../../../src/services/bundle/import-bundle.js";
import {
  type CraftedEntry,
  craftBundle,
  fsStores,
  manifestFor,
  minimalEntries,
  sha256,
  tempRoot,
  ustarHeader,
} from "./bundle-fixture.js";

describe("importBundle rejects malformed bundles and writes nothing", () => {
  let root: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ root, cleanup } = await tempRoot("bundle-malformed"));
    await mkdir(join(root, "tmp"));
  });
  afterEach(() => cleanup());

  /** Imports `bytes` into fresh filesystem stores. */
  function load(
    bytes: Buffer,
    options: { limits?: BundleLimits; viaFile?: boolean; onProgress?: BundleProgressCallback } = {},
  ) {
    const target = {
      agentsDir: join(root, "agents"),
      ...fsStores(join(root, "data")),
      tempDir: join(root, "tmp"),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    };
    if (options.viaFile !== true) return importBundle({ stream: Readable.from([bytes]), ...target });
    const file = join(root, "bundle.tar.gz");
    return writeFile(file, bytes).then(() => importBundle({ file, ...target }));
  }

  /** Expects a `BAD_REQUEST` whose message matches `message`, and no trace on disk. */
  async function expectRejected(promise: Promise<unknown>, message: RegExp): Promise<void> {
    const error = await promise.then(
      () => undefined,
      (reason: unknown) => reason as { code?: string; message?: string },
    );
    expect(error, "the import should fail").toBeDefined();
    expect(error?.code).toBe("BAD_REQUEST");
    expect(error?.message).toMatch(/^Invalid bundle: /);
    expect(error?.message).toMatch(message);
    expect((await readdir(root)).sort()).toEqual(expect.not.arrayContaining(["agents", "data"]));
    expect(await readdir(join(root, "tmp"))).toEqual([]);
  }

  it("imports the valid minimal bundle, gzip-compressed or plain (control)", async () => {
    const entries = minimalEntries();
    await expect(load(await craftBundle(entries))).resolves.toMatchObject({
      sessions: 1,
      events: 1,
      memoryDocuments: 1,
    });
    await cleanup();
    await mkdir(join(root, "tmp"), { recursive: true });
    await expect(
      load(await craftBundle(entries, undefined, { gzip: false }), { viaFile: true }),
    ).resolves.toMatchObject({
      agentFiles: 1,
    });
  });

  it("rejects a bad checksum and a wrong size", async () => {
    const entries = minimalEntries();
    const manifest = manifestFor(entries);
    const listed = manifest.entries as { path: string; size: number; sha256: string }[];
    listed[2] = { ...(listed[2] as (typeof listed)[number]), sha256: sha256("something else") };
    await expectRejected(
      load(await craftBundle(entries, manifest)),
      /memory\/MEMORY\.md" does not match the manifest/,
    );
    const tampered = entries.map((entry) =>
      entry.name === "memory/MEMORY.md" ? { ...entry, body: "# Memorx\n" } : entry,
    );
    await expectRejected(
      load(await craftBundle(tampered, manifestFor(entries))),
      /does not match the manifest/,
    );
  });

  it("rejects a truncated file at any cut", async () => {
    const bytes = await craftBundle([
      ...minimalEntries(),
      { name: "artifacts/a.bin", body: Buffer.alloc(20_000, 7) },
      {
        name: "artifacts-meta/a.bin.json",
        body: "{}",
      },
    ]);
    for (const fraction of [0.05, 0.3, 0.5, 0.8, 0.97]) {
      await expectRejected(load(bytes.subarray(0, Math.floor(bytes.length * fraction))), /truncated/);
    }
    const tar = gunzipSync(bytes);
    await expectRejected(load(tar.subarray(0, 1536)), /manifest\.json is missing.*truncated|truncated/);
  });

  it("rejects an unknown format or version and a missing or broken manifest", async () => {
    const entries = minimalEntries();
    await expectRejected(
      load(await craftBundle(entries, { ...manifestFor(entries), version: 2 })),
      /manifest version 2 is not supported; this Pluto reads version 1/,
    );
    await expectRejected(
      load(await craftBundle(entries, { ...manifestFor(entries), format: "zip" })),
      /does not describe a pluto-bundle/,
    );
    await expectRejected(load(await craftBundle(entries, null)), /manifest\.json is missing/);
    await expectRejected(
      load(await craftBundle(entries, "{not json")),
      /manifest\.json is not valid UTF-8 JSON/,
    );
    await expectRejected(
      load(await craftBundle(entries, { ...manifestFor(entries), entries: "all" })),
      /field entries/,
    );
    await expectRejected(load(Buffer.from("just some text, not a bundle")), /truncated or corrupt/);
    await expectRejected(load(Buffer.alloc(0)), /input is empty/);
  });

  it("rejects entry paths that escape or are not part of the format", async () => {
    for (const name of [
      "../x",
      "/etc/passwd",
      "agent/../../x",
      "memory/../../../x.md",
      "agent/./agent.yaml",
      "./agent/agent.yaml",
      "agent/.git/config",
      "agent/a\\b",
      "memory/notes.md",
      "memory/2026-02-30.md",
      "sessions/../s.jsonl",
      "sessions/a/b.jsonl",
      "artifacts-meta/x.txt",
      "other/file",
      "agent/x\u0000y",
    ]) {
      const entries: CraftedEntry[] = [...minimalEntries(), { name, body: "x" }];
      await expectRejected(load(await craftBundle(entries)), /is not allowed/);
    }
  });

  it("rejects symbolic links, hard links, folders and duplicates", async () => {
    const base = minimalEntries();
    for (const [entry, message] of [
      [{ name: "agent/link", header: { type: "symlink", linkname: "/etc/passwd" } }, /is a symbolic link/],
      [{ name: "agent/hard", header: { type: "link", linkname: "agent/agent.yaml" } }, /is a hard link/],
      [
        { name: "agent/skills", header: { type: "directory" } },
        /is a directory; bundles hold regular files only/,
      ],
      [{ name: "memory/MEMORY.md", body: "# Memory\n" }, /appears twice/],
    ] as const) {
      await expectRejected(
        load(await craftBundle([...base, entry as CraftedEntry], manifestFor(base))),
        message,
      );
    }
  });

  it("rejects entries missing from or not listed in the manifest", async () => {
    const entries = minimalEntries();
    const extra = { name: "memory/2026-01-01.md", body: "# 2026-01-01\n" };
    await expectRejected(
      load(await craftBundle([...entries, extra], manifestFor(entries))),
      /"memory\/2026-01-01\.md" is not listed in the manifest/,
    );
    await expectRejected(
      load(await craftBundle(entries, manifestFor([...entries, extra]))),
      /listed in the manifest but missing/,
    );
    const escaping = manifestFor(entries);
    (escaping.entries as unknown[]).push({ path: "../../etc/passwd", size: 1, sha256: sha256("x") });
    await expectRejected(load(await craftBundle(entries, escaping)), /is not allowed/);
  });

  it("rejects oversized entries, totals and entry counts", async () => {
    const entries = [...minimalEntries(), { name: "artifacts/big.bin", body: Buffer.alloc(5000) }];
    const bytes = await craftBundle(entries);
    await expectRejected(
      load(bytes, { limits: { maxEntryBytes: 4096 } }),
      /"artifacts\/big\.bin" is 5000 bytes, more than the limit of 4096/,
    );
    await expectRejected(load(bytes, { limits: { maxTotalBytes: 5100 } }), /more than 5100 bytes/);
    await expectRejected(load(bytes, { limits: { maxEntries: 3 } }), /more than 3 entries/);
  });

  it("refuses 120,000 empty entries at entry 50,001 (the default cap), without reading the rest", async () => {
    const headers = Array.from({ length: 120_000 }, (_, index) => ustarHeader(`artifacts/e${index}`, 0));
    const bytes = gzipSync(Buffer.concat([...headers, Buffer.alloc(1024)]));
    let read = 0;
    const onProgress: BundleProgressCallback = (progress) => {
      if (progress.phase === "read") read = progress.done;
    };
    const refused = load(bytes, { viaFile: true, onProgress });
    const error = (await refused.catch((reason: unknown) => reason)) as PlutoError;
    await expectRejected(refused, /more than 50000 entries; it was refused at entry 50001/);
    expect(error.details).toEqual({ limit: 50_000, entriesRead: 50_001 });
    expect(read).toBeLessThan(bytes.length);
  }, 60_000);

  it("refuses a gzip bomb (1 MB expanding to a 1 GiB entry) after a bounded expansion", async () => {
    // One gzip member with the tar header of a 1 GiB file, then 1024 members of 1 MiB of zeros each
    // (concatenated gzip members are one valid gzip stream).
    const header = ustarHeader("artifacts/bomb.bin", 2 ** 30);
    const zeros = gzipSync(Buffer.alloc(2 ** 20));
    const bytes = Buffer.concat([gzipSync(header), ...Array.from({ length: 1024 }, () => zeros)]);
    expect(bytes.length).toBeLessThan(2 ** 21);
    let read = 0;
    const onProgress: BundleProgressCallback = (progress) => {
      if (progress.phase === "read") read = progress.done;
    };
    const refused = load(bytes, { viaFile: true, onProgress });
    const error = (await refused.catch((reason: unknown) => reason)) as PlutoError;
    await expectRejected(refused, /expands more than 100 times/);
    const details = error.details as { inflatedBytes: number; compressedBytes: number; limit: number };
    expect(details.limit).toBe(100);
    // Stopped soon after the 16 MiB floor, not at 1 GiB.
    expect(details.inflatedBytes).toBeLessThan(64 * 2 ** 20);
    expect(read).toBeLessThan(bytes.length);
  }, 60_000);

  it("accepts a well-compressed real bundle below the ratio floor (control)", async () => {
    const entries = minimalEntries().map((entry) =>
      entry.name === "memory/MEMORY.md"
        ? { ...entry, body: `# Memory\n${"x".repeat(8 * 2 ** 20)}\n` }
        : entry,
    );
    await expect(load(await craftBundle(entries))).resolves.toMatchObject({ memoryDocuments: 1 });
  });

  it("rejects hostile agent and tenant names", async () => {
    for (const agent of ["../evil", "a/b", "", ".hidden", "x\u0000", "..", "/abs"]) {
      const entries = minimalEntries();
      await expectRejected(
        load(await craftBundle(entries, manifestFor(entries, agent))),
        /is not a safe name/,
      );
    }
    const entries = minimalEntries();
    const hostileTenant = { ...manifestFor(entries), source: { tenant: "../t", agent: "assistant" } };
    await expectRejected(
      load(await craftBundle(entries, hostileTenant)),
      /source tenant name "\.\.\/t" is not a safe name/,
    );
  });

  it("rejects broken content with correct checksums", async () => {
    const header = `{"type":"session","version":1,"id":"s-1","agent":"a","tenant":"default","createdAt":"t"}\n`;
    const event = (seq: number, type = "text-delta") =>
      `{"seq":${seq},"type":"${type}","runId":"r","time":"t"}\n`;
    const yaml = minimalEntries()[0] as CraftedEntry;
    for (const [entry, message] of [
      [
        { name: "sessions/s-1.jsonl", body: header + event(1) + event(3) },
        /line 3 has seq 3 where 2 belongs/,
      ],
      [{ name: "sessions/s-1.jsonl", body: header + event(1, "hack") }, /unknown event type "hack"/],
      [{ name: "sessions/s-1.jsonl", body: `${event(1)}` }, /line 1 is not a session header/],
      [{ name: "sessions/s-1.jsonl", body: header.replace('"s-1"', '"other"') }, /names session "other"/],
      [{ name: "sessions/s-1.jsonl", body: `${header}{oops\n` }, /line 2 is not JSON/],
      [{ name: "memory/MEMORY.md", body: Buffer.from([0xff, 0xfe, 0x41]) }, /not valid UTF-8/],
      [{ name: "artifacts/a.txt", body: "abc" }, /has no artifacts-meta\/a\.txt\.json/],
    ] as const) {
      const entries = [yaml, entry as CraftedEntry];
      await expectRejected(load(await craftBundle(entries)), message);
    }
    const meta = (value: unknown) => ({ name: "artifacts-meta/a.txt.json", body: JSON.stringify(value) });
    const info = {
      name: "a.txt",
      size: 3,
      sha256: sha256("abc"),
      mediaType: "text/plain",
      createdAt: "t",
      metadata: {},
    };
    for (const [bad, message] of [
      [{ ...info, sha256: sha256("abd") }, /do not match the body/],
      [{ ...info, name: "b.txt" }, /names artifact "b.txt"/],
      [{ ...info, mediaType: "not a type" }, /Invalid media type/],
      [{ ...info, metadata: { n: 1 } }, /must be a string/],
    ] as const) {
      const entries = [yaml, { name: "artifacts/a.txt", body: "abc" }, meta(bad)];
      await expectRejected(load(await craftBundle(entries)), message);
    }
    const clash = [
      yaml,
      { name: "artifacts/a", body: "abc" },
      meta({ ...info, name: "a" }),
      { name: "artifacts/a/b", body: "abc" },
      meta({ ...info, name: "a/b" }),
    ];
    clash[4] = { name: "artifacts-meta/a/b.json", body: JSON.stringify({ ...info, name: "a/b" }) };
    clash[2] = { name: "artifacts-meta/a.json", body: JSON.stringify({ ...info, name: "a" }) };
    await expectRejected(load(await craftBundle(clash)), /"a" is both a file and the folder of "a\/b"/);
    await expectRejected(
      load(await craftBundle([{ name: "memory/MEMORY.md", body: "m" }])),
      /no agent\/agent\.yaml/,
    );
  });
});
