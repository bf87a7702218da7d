import { createHash, randomBytes } from "node:crypto";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, it } from "vitest";
import { isPlutoError, type PlutoError } from "../../../src/core/errors.js";
import type { Scope } from "../../../src/core/scope.js";
import { createS3Client } from "../../../src/services/s3/create-s3-client.js";
import { S3ArtifactStore } from "../../../src/services/s3/s3-artifact-store.js";
import { HOSTILE_ARTIFACT_NAMES } from "../../contracts/artifact-store.contract.js";
import { rejection } from "../../contracts/session-store.contract.js";
import { s3TestClient, startS3rver } from "../../support/s3rver.js";
import { allKeys, freshStore } from "./s3-test-support.js";

const server = await startS3rver();
afterAll(() => server.close());

const scope: Scope = { tenant: "default", agent: "assistant" };
const MIB = 1024 * 1024;
const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

/**
 * A real HTTP proxy in front of s3rver that answers HTTP 500 to every `UploadPart` with `partNumber=2`
 * and records the requests it saw (method and query). s3rver lacks AbortMultipartUpload (it answers
 * 405), so the proxy answers `DELETE ?uploadId=` itself with S3's 204.
 */
async function failingProxy(): Promise<{ endpoint: string; seen: string[]; close(): Promise<void> }> {
  const upstream = new URL(server.endpoint);
  const seen: string[] = [];
  const proxy: Server = createServer((request, response) => {
    seen.push(`${request.method} ${request.url}`);
    if (request.method === "PUT" && /[?&]partNumber=2(&|$)/.test(request.url ?? "")) {
      request.resume();
      response.writeHead(500, { "content-type": "application/xml" });
      response.end("<Error><Code>InternalError</Code><Message>injected failure</Message></Error>");
      return;
    }
    if (request.method === "DELETE" && /[?&]uploadId=/.test(request.url ?? "")) {
      request.resume();
      response.writeHead(204);
      response.end();
      return;
    }
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forward.on("error", () => response.destroy());
    request.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        proxy.closeAllConnections();
        proxy.close(() => resolve());
      }),
  };
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe("S3ArtifactStore: unreachable or misconfigured S3", () => {
  it("an unreachable endpoint fails every call with a PlutoError naming endpoint and bucket", async () => {
    const port = await closedPort();
    const client = s3TestClient(`http://127.0.0.1:${port}`, { maxAttempts: 1 });
    const store = new S3ArtifactStore({ client, bucket: "pluto-artifacts" });
    try {
      const calls: (() => Promise<unknown>)[] = [
        () => store.put(scope, "x.txt", "x"),
        () => store.get(scope, "x.txt"),
        () => store.getStream(scope, "x.txt"),
        () => store.list(scope),
        () => store.delete(scope, "x.txt"),
        () => store.presign(scope, "x.txt", { expiresInSeconds: 60 }),
      ];
      for (const call of calls) {
        const error = (await rejection(call())) as PlutoError;
        expect(isPlutoError(error, "BACKEND_UNAVAILABLE")).toBe(true);
        expect(error.message).toContain(`http://127.0.0.1:${port}`);
        expect(error.message).toContain('bucket "pluto-artifacts"');
        expect(error.message).toContain("unreachable");
        expect(error.retryable).toBe(true);
        expect(error.details).toMatchObject({
          endpoint: `http://127.0.0.1:${port}`,
          bucket: "pluto-artifacts",
        });
      }
    } finally {
      client.destroy();
    }
  });

  it("a missing bucket is named, with the fix", async () => {
    const store = new S3ArtifactStore({ client: server.client, bucket: "no-such-bucket-here" });
    const error = (await rejection(store.put(scope, "x.txt", "x"))) as PlutoError;
    expect(error.code).toBe("INTERNAL");
    expect(error.message).toContain('bucket "no-such-bucket-here"');
    expect(error.message).toContain("does not exist");
    expect(error.details).toMatchObject({ s3Error: "NoSuchBucket", status: 404 });
    expect((await rejection(store.list(scope))).message).toContain("does not exist");
  });

  it("a multipart upload failing mid-way is aborted and leaves nothing behind", async () => {
    const proxy = await failingProxy();
    const client = s3TestClient(proxy.endpoint, { maxAttempts: 2 });
    const prefix = `test-${randomBytes(6).toString("hex")}`;
    const store = new S3ArtifactStore({ client, bucket: server.bucket, prefix, partSizeBytes: 5 * MIB });
    try {
      const error = (await rejection(store.put(scope, "big.bin", randomBytes(12 * MIB)))) as PlutoError;
      expect(error.code).toBe("INTERNAL");
      expect(error.message).toContain(proxy.endpoint);
      expect(error.message).toContain("InternalError (HTTP 500)");
      expect(error.retryable).toBe(true);
      expect(proxy.seen.some((line) => line.startsWith("DELETE ") && line.includes("uploadId="))).toBe(true);
      expect(await allKeys(server.client, server.bucket, prefix)).toEqual([]);
      const { store: direct } = freshStore(server, { prefix });
      expect(await direct.get(scope, "big.bin")).toBeUndefined();
    } finally {
      client.destroy();
      await proxy.close();
    }
  }, 30_000);

  it("refuses invalid options with CONFIG_INVALID", () => {
    const client = server.client;
    const bad: Record<string, unknown>[] = [
      { client, bucket: "" },
      { client, bucket: "a" },
      { client, bucket: "bad/bucket" },
      { client, bucket: "ok-bucket", prefix: "../escape" },
      { client, bucket: "ok-bucket", prefix: "a//b" },
      { client, bucket: "ok-bucket", partSizeBytes: 1024 },
      { client, bucket: "ok-bucket", multipartThresholdBytes: -1 },
      { client, bucket: "ok-bucket", listPageSize: 1001 },
      { client, bucket: "ok-bucket", headConcurrency: 0 },
      { bucket: "ok-bucket" },
    ];
    for (const options of bad) {
      expect(() => new S3ArtifactStore(options as never), JSON.stringify(Object.keys(options))).toThrow(
        expect.objectContaining({ code: "CONFIG_INVALID" }),
      );
    }
    expect(() => new S3ArtifactStore({ client, bucket: "ok-bucket", prefix: "/pluto/prod/" })).not.toThrow();
  });

  it("createS3Client validates its settings and builds a working client", async () => {
    for (const settings of [
      { endpoint: "127.0.0.1:9000" },
      { credentials: { accessKeyId: "a", secretAccessKey: "" } },
      { maxSockets: 0 },
      { maxAttempts: 1.5 },
    ]) {
      expect(() => createS3Client(settings)).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
    }
    const client = createS3Client({
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
    try {
      const { store } = freshStore({ ...server, client });
      const body = randomBytes(9 * MIB);
      await store.put(scope, "via-created-client.bin", body);
      expect((await store.get(scope, "via-created-client.bin"))?.info.sha256).toBe(sha256(body));
    } finally {
      client.destroy();
    }
  }, 30_000);
});

describe("S3ArtifactStore: objects it did not write, corruption, hostile input", () => {
  it("serves objects written by other tools with derived metadata, and skips keys that are not artifact names", async () => {
    const { store, prefix } = freshStore(server);
    const base = `${prefix}/default/assistant/`;
    const put = (key: string, body: string) =>
      server.client.send(
        new PutObjectCommand({
          Bucket: server.bucket,
          Key: `${base}${key}`,
          Body: body,
          ContentType: "text/csv",
        }),
      );
    await put("export.csv", "a,b\n1,2\n");
    await put("bad name.txt", "x");
    await put("../up.txt", "x");
    await put(".hidden", "x");
    const got = await store.get(scope, "export.csv");
    expect(got?.info).toMatchObject({
      name: "export.csv",
      size: 8,
      mediaType: "text/csv",
      sha256: sha256("a,b\n1,2\n"),
      metadata: {},
    });
    expect(Number.isNaN(Date.parse(got?.info.createdAt ?? ""))).toBe(false);
    expect(await store.list(scope)).toEqual([got?.info]);
    const streamed = await store.getStream(scope, "export.csv");
    expect(streamed?.info).toEqual(got?.info);
    const chunks: Buffer[] = [];
    for await (const chunk of streamed?.body ?? []) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe("a,b\n1,2\n");
  });

  it("detects a body that does not match its recorded SHA-256, on get and on getStream", async () => {
    const { store, prefix } = freshStore(server);
    await store.put(scope, "doc.txt", "original");
    const written = await store.list(scope);
    // Overwrite the body behind the store's back, keeping its headers.
    await server.client.send(
      new PutObjectCommand({
        Bucket: server.bucket,
        Key: `${prefix}/default/assistant/doc.txt`,
        Body: "tampered",
        Metadata: {
          "pluto-sha256": written[0]?.sha256 ?? "",
          "pluto-created-at": written[0]?.createdAt ?? "",
        },
      }),
    );
    const error = await rejection(store.get(scope, "doc.txt"));
    expect(error.code).toBe("INTERNAL");
    expect(error.message).toContain("corrupt");
    const streamed = await store.getStream(scope, "doc.txt");
    const streamError = await rejection(
      (async () => {
        for await (const _chunk of streamed?.body ?? []) {
          // consume
        }
      })(),
    );
    expect(streamError.message).toContain("corrupt");
  });

  it("rejects hostile names and scopes on every method and writes nothing", async () => {
    const { store, prefix } = freshStore(server);
    for (const name of [...HOSTILE_ARTIFACT_NAMES, "a/\0/b", "%2e%2e/x", "a?b", "a#b", "a b"]) {
      for (const call of [
        store.put(scope, name, "x"),
        store.get(scope, name),
        store.getStream(scope, name),
        store.delete(scope, name),
        store.presign(scope, name, { expiresInSeconds: 60 }),
        store.presign(scope, name, { expiresInSeconds: 60, method: "PUT" }),
      ]) {
        expect((await rejection(call)).code, JSON.stringify(name)).toBe("INVALID_NAME");
      }
    }
    for (const bad of [
      { tenant: ".meta", agent: "a" },
      { tenant: "default", agent: "../b" },
      { tenant: "a/b", agent: "c" },
    ]) {
      expect((await rejection(store.put(bad, "ok.txt", "x"))).code).toBe("INVALID_NAME");
      expect((await rejection(store.list(bad))).code).toBe("INVALID_NAME");
      expect((await rejection(store.getStream(bad, "ok.txt"))).code).toBe("INVALID_NAME");
    }
    expect((await rejection(store.list(scope, { prefix: "a\0" }))).code).toBe("BAD_REQUEST");
    expect(await store.list(scope, { prefix: "../../" })).toEqual([]);
    expect(await allKeys(server.client, server.bucket, prefix)).toEqual([]);
    expect(
      (await allKeys(server.client, server.bucket, "")).filter((key) => !key.startsWith("test-")),
    ).toEqual([]);
  });
});
