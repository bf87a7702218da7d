import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Scope } from "../../src/core/scope.js";
import type { ArtifactStore } from "../../src/services/artifact/artifact-store.js";
import { rejection } from "./session-store.contract.js";

/** What a contract factory returns: a fresh, empty store and how to dispose of it. */
export interface ArtifactStoreFixture {
  store: ArtifactStore;
  cleanup(): Promise<void>;
}

const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

/** Names no backend may accept. */
export const HOSTILE_ARTIFACT_NAMES = [
  "../x",
  "a/../../x",
  "/etc/passwd",
  "",
  "a\0b",
  ".meta/x.json",
  ".hidden",
  "a//b",
  "a/",
  "a\\b",
  "./a",
  "..",
  "C:\\windows",
  `${"a/".repeat(16)}b`,
];

/**
 * Registers the {@link ArtifactStore} contract: every backend (in-memory, filesystem, S3, …) must pass
 * it unchanged. `factory` is called before each test and must return an empty store.
 */
export function describeArtifactStoreContract(
  name: string,
  factory: () => Promise<ArtifactStoreFixture>,
): void {
  describe(`ArtifactStore contract: ${name}`, () => {
    let fixture: ArtifactStoreFixture;
    let store: ArtifactStore;
    const scope: Scope = { tenant: "default", agent: "assistant" };

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await store.close?.();
      await fixture.cleanup();
    });

    it("round-trips every byte value", async () => {
      const body = new Uint8Array(512).map((_, index) => index % 256);
      const info = await store.put(scope, "bytes.bin", body);
      expect(info).toMatchObject({
        name: "bytes.bin",
        size: 512,
        mediaType: "application/octet-stream",
        metadata: {},
      });
      expect(info.sha256).toBe(sha256(body));
      const got = await store.get(scope, "bytes.bin");
      expect(got?.body).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(got?.body ?? []).equals(Buffer.from(body))).toBe(true);
      expect(got?.info).toEqual(info);
      body[0] = 99;
      expect((await store.get(scope, "bytes.bin"))?.body[0]).toBe(0);
    });

    it("stores a string body as UTF-8 with media type and metadata", async () => {
      const text = "# Q1 report 😀 שלום\n";
      const before = Date.now();
      const info = await store.put(scope, "reports/q1.md", text, {
        mediaType: "text/markdown; charset=utf-8",
        metadata: { runId: "run-1", toolCallId: "call-1" },
      });
      expect(info).toMatchObject({
        name: "reports/q1.md",
        size: Buffer.byteLength(text),
        mediaType: "text/markdown; charset=utf-8",
        sha256: sha256(text),
        metadata: { runId: "run-1", toolCallId: "call-1" },
      });
      expect(Date.parse(info.createdAt)).toBeGreaterThanOrEqual(before - 1000);
      const got = await store.get(scope, "reports/q1.md");
      expect(new TextDecoder().decode(got?.body)).toBe(text);
      expect(got?.info).toEqual(info);
    });

    it("stores empty and 1 MB bodies", async () => {
      expect((await store.put(scope, "empty", "")).size).toBe(0);
      expect((await store.get(scope, "empty"))?.body.byteLength).toBe(0);
      const big = new Uint8Array(1024 * 1024).map((_, index) => (index * 7) % 251);
      const info = await store.put(scope, "big.bin", big);
      expect(info.size).toBe(1024 * 1024);
      expect((await store.get(scope, "big.bin"))?.info.sha256).toBe(sha256(big));
    });

    it("replaces an artifact and its metadata", async () => {
      await store.put(scope, "notes.txt", "first", { mediaType: "text/plain", metadata: { v: "1" } });
      const info = await store.put(scope, "notes.txt", "second version");
      expect(info).toMatchObject({ size: 14, mediaType: "application/octet-stream", metadata: {} });
      const got = await store.get(scope, "notes.txt");
      expect(new TextDecoder().decode(got?.body)).toBe("second version");
      expect(got?.info).toEqual(info);
      expect(await store.list(scope)).toHaveLength(1);
    });

    it("lists with a prefix, sorted by name", async () => {
      for (const name of [
        "reports/q2.md",
        "b.txt",
        "reports/q1.md",
        "a.txt",
        "reports/old/q4.md",
        "reportsX",
      ]) {
        await store.put(scope, name, name);
      }
      expect((await store.list(scope)).map((info) => info.name)).toEqual([
        "a.txt",
        "b.txt",
        "reports/old/q4.md",
        "reports/q1.md",
        "reports/q2.md",
        "reportsX",
      ]);
      expect((await store.list(scope, { prefix: "reports/" })).map((info) => info.name)).toEqual([
        "reports/old/q4.md",
        "reports/q1.md",
        "reports/q2.md",
      ]);
      const [q1] = await store.list(scope, { prefix: "reports/q1" });
      expect(q1).toMatchObject({ name: "reports/q1.md", size: 13, sha256: sha256("reports/q1.md") });
      expect(await store.list(scope, { prefix: "zzz" })).toEqual([]);
      expect(await store.list(scope, { prefix: "../" })).toEqual([]);
    });

    it("deletes; deleting twice or something absent is fine", async () => {
      await store.put(scope, "reports/q1.md", "x");
      await store.delete(scope, "reports/q1.md");
      await store.delete(scope, "reports/q1.md");
      await store.delete(scope, "never/existed");
      expect(await store.get(scope, "reports/q1.md")).toBeUndefined();
      expect(await store.list(scope)).toEqual([]);
      await store.put(scope, "reports", "now a file");
      expect((await store.list(scope)).map((info) => info.name)).toEqual(["reports"]);
    });

    it("refuses a name that is both a file and a folder", async () => {
      await store.put(scope, "a", "file");
      expect((await rejection(store.put(scope, "a/b", "x"))).code).toBe("INVALID_NAME");
      await store.put(scope, "c/d", "x");
      expect((await rejection(store.put(scope, "c", "x"))).code).toBe("INVALID_NAME");
      expect((await store.list(scope)).map((info) => info.name)).toEqual(["a", "c/d"]);
    });

    it("returns undefined and [] for what does not exist", async () => {
      expect(await store.get(scope, "missing.txt")).toBeUndefined();
      expect(await store.list(scope)).toEqual([]);
    });

    it("isolates tenants and agents", async () => {
      const tenantB = { tenant: "tenant-b", agent: "assistant" };
      await store.put(scope, "same.txt", "default");
      await store.put(tenantB, "same.txt", "tenant b");
      expect(new TextDecoder().decode((await store.get(tenantB, "same.txt"))?.body)).toBe("tenant b");
      expect(new TextDecoder().decode((await store.get(scope, "same.txt"))?.body)).toBe("default");
      expect(await store.get({ tenant: "default", agent: "other" }, "same.txt")).toBeUndefined();
      await store.delete(tenantB, "same.txt");
      expect(await store.get(scope, "same.txt")).toBeDefined();
    });

    it("rejects hostile names with INVALID_NAME and writes nothing", async () => {
      for (const name of HOSTILE_ARTIFACT_NAMES) {
        expect((await rejection(store.put(scope, name, "x"))).code).toBe("INVALID_NAME");
        expect((await rejection(store.get(scope, name))).code).toBe("INVALID_NAME");
        expect((await rejection(store.delete(scope, name))).code).toBe("INVALID_NAME");
      }
      for (const bad of [
        { tenant: "../x", agent: "a" },
        { tenant: "default", agent: "/etc" },
        { tenant: "", agent: "a" },
      ]) {
        expect((await rejection(store.put(bad, "ok.txt", "x"))).code).toBe("INVALID_NAME");
        expect((await rejection(store.list(bad))).code).toBe("INVALID_NAME");
      }
      expect(await store.list(scope)).toEqual([]);
    });

    it("rejects malformed bodies, media types and metadata with BAD_REQUEST", async () => {
      const bad: [unknown, unknown][] = [
        [42, undefined],
        [{ not: "bytes" }, undefined],
        ["x", { mediaType: "not a type" }],
        ["x", { mediaType: "text/plain\r\nX-Injected: 1" }],
        ["x", { metadata: { n: 1 } }],
      ];
      for (const [body, options] of bad) {
        const error = await rejection(
          store.put(scope, "x.txt", body as string, options as { mediaType?: string }),
        );
        expect(error.code).toBe("BAD_REQUEST");
      }
      expect(await store.list(scope)).toEqual([]);
    });
  });
}
