import { createHash, randomBytes } from "node:crypto";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, it } from "vitest";
import type { Scope } from "../../../src/core/scope.js";
import { buildInfo } from "../../../src/services/artifact/artifact-input.js";
import { mapConcurrent } from "../../../src/services/s3/map-concurrent.js";
import { S3ArtifactStore } from "../../../src/services/s3/s3-artifact-store.js";
import { encodeMetadata } from "../../../src/services/s3/s3-object-metadata.js";
import { rejection } from "../../contracts/session-store.contract.js";
import { s3TestClient, startS3rver } from "../../support/s3rver.js";
import { allKeys, countCommands, freshStore } from "./s3-test-support.js";

const server = await startS3rver();
afterAll(() => server.close());

const scope: Scope = { tenant: "default", agent: "assistant" };
const MIB = 1024 * 1024;
const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

/** A store with its own client whose commands are counted. */
function countingStore(options: { listPageSize?: number } = {}) {
  const client = s3TestClient(server.endpoint);
  const counts = countCommands(client);
  const prefix = `test-${randomBytes(6).toString("hex")}`;
  const store = new S3ArtifactStore({ client, bucket: server.bucket, prefix, ...options });
  return { store, counts, prefix, close: () => client.destroy() };
}

describe("S3ArtifactStore: keys and layout", () => {
  it("stores objects at <prefix>/<tenant>/<agent>/<name>", async () => {
    const { store, prefix } = freshStore(server);
    await store.put({ tenant: "acme", agent: "helper" }, "reports/q1.md", "x");
    expect(await allKeys(server.client, server.bucket, prefix)).toEqual([
      `${prefix}/acme/helper/reports/q1.md`,
    ]);
    const unprefixed = new S3ArtifactStore({ client: server.client, bucket: server.bucket });
    const tenant = `t${randomBytes(4).toString("hex")}`;
    await unprefixed.put({ tenant, agent: "a" }, "x.txt", "x");
    expect(await allKeys(server.client, server.bucket, `${tenant}/`)).toEqual([`${tenant}/a/x.txt`]);
    await unprefixed.delete({ tenant, agent: "a" }, "x.txt");
  });
});

describe("S3ArtifactStore: multipart upload", () => {
  it("uploads a 20 MiB body in parts and reads back the same bytes", async () => {
    const { store, counts, close } = countingStore();
    try {
      const body = randomBytes(20 * MIB);
      const info = await store.put(scope, "big/video.bin", body, { metadata: { runId: "run-1" } });
      expect(info).toMatchObject({ size: 20 * MIB, sha256: sha256(body), metadata: { runId: "run-1" } });
      // 8 MiB default parts: 8 + 8 + 4.
      expect(counts.get("CreateMultipartUploadCommand")).toBe(1);
      expect(counts.get("UploadPartCommand")).toBe(3);
      expect(counts.get("CompleteMultipartUploadCommand")).toBe(1);
      const got = await store.get(scope, "big/video.bin");
      expect(got?.info).toEqual(info);
      expect(sha256(got?.body ?? new Uint8Array())).toBe(sha256(body));
    } finally {
      close();
    }
  }, 60_000);

  it("uses one PutObject at or below the threshold", async () => {
    const { store, counts, close } = countingStore();
    try {
      await store.put(scope, "small.bin", randomBytes(MIB));
      expect(counts.get("PutObjectCommand")).toBe(1);
      expect(counts.get("CreateMultipartUploadCommand")).toBeUndefined();
    } finally {
      close();
    }
  });
});

describe("S3ArtifactStore: streaming download", () => {
  it("streams a large object chunk by chunk without buffering it", async () => {
    const { store } = freshStore(server);
    const body = randomBytes(12 * MIB);
    const info = await store.put(scope, "stream.bin", body);
    const streamed = await store.getStream(scope, "stream.bin");
    expect(streamed?.info).toEqual(info);
    const hash = createHash("sha256");
    let chunks = 0;
    let largest = 0;
    let total = 0;
    for await (const chunk of streamed?.body ?? []) {
      const bytes = chunk as Buffer;
      chunks++;
      largest = Math.max(largest, bytes.byteLength);
      total += bytes.byteLength;
      hash.update(bytes);
    }
    expect(total).toBe(body.byteLength);
    expect(hash.digest("hex")).toBe(sha256(body));
    expect(chunks).toBeGreaterThan(10);
    expect(largest).toBeLessThan(MIB);
  }, 30_000);

  it("can stop early, and answers undefined for an absent artifact", async () => {
    const { store } = freshStore(server);
    await store.put(scope, "stream.bin", randomBytes(4 * MIB));
    const streamed = await store.getStream(scope, "stream.bin");
    for await (const chunk of streamed?.body ?? []) {
      expect((chunk as Buffer).byteLength).toBeGreaterThan(0);
      break;
    }
    expect(streamed?.body.destroyed).toBe(true);
    expect(await store.getStream(scope, "missing.bin")).toBeUndefined();
    expect((await rejection(store.getStream(scope, "../x"))).code).toBe("INVALID_NAME");
  });
});

describe("S3ArtifactStore: list pagination", () => {
  it("follows continuation tokens across small pages", async () => {
    const { store, counts, close } = countingStore({ listPageSize: 7 });
    try {
      // Flat names: s3rver orders keys by walking folders, which only matches S3's order within one folder.
      const names = Array.from({ length: 50 }, (_, index) => `item-${String(index).padStart(4, "0")}`);
      await mapConcurrent(names, 8, (name) => store.put(scope, name, name));
      counts.clear();
      const listed = await store.list(scope);
      expect(listed.map((info) => info.name)).toEqual(names);
      expect(listed[49]).toMatchObject({ name: "item-0049", size: 9, sha256: sha256("item-0049") });
      expect(counts.get("ListObjectsV2Command")).toBe(Math.ceil(50 / 7));
      expect((await store.list(scope, { prefix: "item-004" })).map((info) => info.name)).toHaveLength(10);
    } finally {
      close();
    }
  }, 30_000);

  it("lists more than 1000 artifacts (S3's page limit)", async () => {
    const { store, counts, prefix, close } = countingStore();
    try {
      // Seeded with raw PutObject calls carrying Pluto's headers: put() checks name clashes with
      // listings, which s3rver answers by walking the whole folder (quadratic over 1000 puts).
      const names = Array.from({ length: 1010 }, (_, index) => `n-${String(index).padStart(5, "0")}`);
      await mapConcurrent(names, 32, async (name) => {
        const info = buildInfo(name, new TextEncoder().encode(name), "text/plain", { name });
        await server.client.send(
          new PutObjectCommand({
            Bucket: server.bucket,
            Key: `${prefix}/default/assistant/${name}`,
            Body: name,
            ContentType: "text/plain",
            Metadata: encodeMetadata(info).headers,
          }),
        );
      });
      counts.clear();
      const listed = await store.list(scope);
      expect(listed).toHaveLength(1010);
      expect(listed.map((info) => info.name)).toEqual(names);
      expect(listed[1009]).toMatchObject({
        name: "n-01009",
        sha256: sha256("n-01009"),
        metadata: { name: "n-01009" },
      });
      expect(counts.get("ListObjectsV2Command")).toBe(2);
      expect(counts.get("GetObjectCommand")).toBeUndefined();
    } finally {
      close();
    }
  }, 60_000);
});

describe("S3ArtifactStore: presigned URLs", () => {
  it("a presigned GET URL serves the bytes to plain fetch until it expires", async () => {
    const { store } = freshStore(server);
    const body = randomBytes(64 * 1024);
    await store.put(scope, "share/file.bin", body, { mediaType: "image/png" });
    const url = await store.presign(scope, "share/file.bin", { expiresInSeconds: 300 });
    expect(url).toContain("X-Amz-Signature=");
    expect(url).toContain("X-Amz-Expires=300");
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await response.arrayBuffer()).equals(body)).toBe(true);
    // s3rver checks the expiry (not the SigV4 signature itself); X-Amz-Date has one-second resolution.
    const shortLived = await store.presign(scope, "share/file.bin", { expiresInSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await fetch(shortLived)).status).toBe(403);
  });

  it("a presigned PUT URL uploads a body that get() then serves", async () => {
    const { store } = freshStore(server);
    const url = await store.presign(scope, "uploads/in.txt", { expiresInSeconds: 60, method: "PUT" });
    const response = await fetch(url, {
      method: "PUT",
      body: "uploaded ✓",
      headers: { "content-type": "text/plain" },
    });
    expect(response.status).toBe(200);
    const got = await store.get(scope, "uploads/in.txt");
    expect(new TextDecoder().decode(got?.body)).toBe("uploaded ✓");
    expect(got?.info).toMatchObject({
      size: Buffer.byteLength("uploaded ✓"),
      sha256: sha256("uploaded ✓"),
      metadata: {},
    });
    expect((await store.list(scope)).map((info) => info.name)).toEqual(["uploads/in.txt"]);
  });

  it("refuses absent artifacts, bad expiries, bad methods and hostile names", async () => {
    const { store } = freshStore(server);
    await store.put(scope, "a", "x");
    expect((await rejection(store.presign(scope, "missing", { expiresInSeconds: 60 }))).code).toBe(
      "ARTIFACT_NOT_FOUND",
    );
    for (const expiresInSeconds of [0, -1, 1.5, 604_801, Number.NaN]) {
      expect((await rejection(store.presign(scope, "a", { expiresInSeconds }))).code).toBe("BAD_REQUEST");
    }
    const method = "DELETE" as "GET";
    expect((await rejection(store.presign(scope, "a", { expiresInSeconds: 60, method }))).code).toBe(
      "BAD_REQUEST",
    );
    expect((await rejection(store.presign(scope, "../a", { expiresInSeconds: 60 }))).code).toBe(
      "INVALID_NAME",
    );
    expect((await rejection(store.presign(scope, "a/b", { expiresInSeconds: 60, method: "PUT" }))).code).toBe(
      "INVALID_NAME",
    );
  });
});

describe("S3ArtifactStore: unicode and metadata", () => {
  it("keeps unicode bodies and metadata keys and values exactly, case included", async () => {
    const { store } = freshStore(server);
    const metadata = { runId: "run-1", runid: "lower", тема: "שלום 😀", "emoji😀": "naïve café", empty: "" };
    const text = "Ünïcödé 😀 עברית 中文\n";
    const info = await store.put(scope, "notes/unicode.md", text, {
      mediaType: "text/markdown; charset=utf-8",
      metadata,
    });
    const got = await store.get(scope, "notes/unicode.md");
    expect(got?.info).toEqual(info);
    expect(got?.info.metadata).toEqual(metadata);
    expect(new TextDecoder().decode(got?.body)).toBe(text);
    expect((await store.list(scope))[0]).toEqual(info);
    expect((await store.getStream(scope, "notes/unicode.md"))?.info).toEqual(info);
  });

  it("refuses non-ASCII artifact names (the shared name rules) and writes nothing", async () => {
    const { store, prefix } = freshStore(server);
    for (const name of ["café.txt", "отчёт/q1.md", "😀", "a/ü"]) {
      expect((await rejection(store.put(scope, name, "x"))).code).toBe("INVALID_NAME");
    }
    expect(await allKeys(server.client, server.bucket, prefix)).toEqual([]);
  });

  it("moves metadata above S3's 2 KB limit to a sidecar, and cleans it up on replace and delete", async () => {
    const { store, prefix } = freshStore(server, { sidecarGraceSeconds: 0 });
    const metadata = { summary: "ü".repeat(3000), runId: "run-9" };
    const info = await store.put(scope, "big-meta.txt", "body", { metadata });
    const keys = await allKeys(server.client, server.bucket, prefix);
    const sidecars = keys.filter((key) => key.startsWith(`${prefix}/.meta/default/assistant/big-meta.txt/`));
    expect(sidecars).toHaveLength(1);
    const head = await server.client.send(
      new HeadObjectCommand({ Bucket: server.bucket, Key: `${prefix}/default/assistant/big-meta.txt` }),
    );
    expect(Object.keys(head.Metadata ?? {}).sort()).toEqual([
      "pluto-created-at",
      "pluto-metadata-sidecar",
      "pluto-sha256",
    ]);
    expect((await store.get(scope, "big-meta.txt"))?.info).toEqual(info);
    expect(await store.list(scope)).toEqual([info]);

    const bigger = { summary: "x".repeat(5000) };
    expect((await store.get(scope, "big-meta.txt"))?.info.metadata).toEqual(metadata);
    await store.put(scope, "big-meta.txt", "body 2", { metadata: bigger });
    expect((await store.get(scope, "big-meta.txt"))?.info.metadata).toEqual(bigger);
    const afterReplace = await allKeys(server.client, server.bucket, `${prefix}/.meta/`);
    expect(afterReplace).toHaveLength(1);
    expect(afterReplace[0]).not.toBe(sidecars[0]);

    await store.put(scope, "big-meta.txt", "small now", { metadata: { v: "2" } });
    expect(await allKeys(server.client, server.bucket, `${prefix}/.meta/`)).toEqual([]);
    await store.put(scope, "big-meta.txt", "big again", { metadata });
    await store.delete(scope, "big-meta.txt");
    expect(await allKeys(server.client, server.bucket, prefix)).toEqual([]);
  });

  it("keeps recent sidecars on replace, so a concurrent writer of the same name keeps its metadata", async () => {
    // A concurrent put writes its sidecar before its body; a replace must not delete a young sidecar.
    // (Sequential here: s3rver, unlike S3, does not write one object's body and headers atomically.)
    const { store, prefix } = freshStore(server);
    const big = (label: string) => ({ label, filler: label.repeat(3000) });
    for (const label of ["a", "b", "c"]) {
      await store.put(scope, "shared.txt", label, { metadata: big(label) });
      const got = await store.get(scope, "shared.txt");
      expect(new TextDecoder().decode(got?.body)).toBe(label);
      expect(got?.info.metadata).toEqual(big(label));
      expect((await store.list(scope))[0]?.metadata).toEqual(big(label));
    }
    expect(await allKeys(server.client, server.bucket, `${prefix}/.meta/`)).toHaveLength(3);
    await store.delete(scope, "shared.txt");
    expect(await allKeys(server.client, server.bucket, prefix)).toEqual([]);
  });
});
