import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { errorMessage, PlutoError } from "../../core/errors.js";
import type { Scope } from "../../core/scope.js";
import {
  buildInfo,
  checkArtifactName,
  checkPrefix,
  checkPut,
  checkScope,
  nameClash,
  sha256Hex,
} from "../artifact/artifact-input.js";
import type {
  ArtifactInfo,
  ArtifactStore,
  PresignArtifactOptions,
  PutArtifactOptions,
} from "../artifact/artifact-store.js";
import { mapConcurrent } from "./map-concurrent.js";
import {
  type ResolvedS3ArtifactStoreOptions,
  resolveS3ArtifactStoreOptions,
  type S3ArtifactStoreOptions,
} from "./s3-artifact-store-options.js";
import { bodyStream, S3Bucket } from "./s3-bucket.js";
import { S3Keys } from "./s3-keys.js";
import {
  type DecodedMetadata,
  decodeMetadata,
  encodeMetadata,
  infoFromObject,
  parseMetadataJson,
} from "./s3-object-metadata.js";
import { Sha256CheckStream } from "./sha256-check-stream.js";

/** SigV4 presigned URLs live at most 7 days. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
/** Reads retried when a metadata sidecar vanished under a concurrent replacement. */
const SIDECAR_ATTEMPTS = 3;

/**
 * The S3 {@link ArtifactStore} (any S3-compatible endpoint; docs/backends/s3.md): one object per
 * artifact at `<prefix>/<tenant>/<agent>/<name>`, its {@link ArtifactInfo} in the object's
 * `Content-Type` and user metadata (`s3-object-metadata.ts`; caller metadata above S3's 2 KB limit
 * goes to a content-addressed sidecar object). Bodies above `multipartThresholdBytes` are uploaded
 * with multipart upload (aborted on failure, so nothing partial is ever visible); every other body
 * with one PutObject carrying `Content-MD5`. Reads verify the body's SHA-256.
 *
 * Guarantees: S3's strong read-after-write consistency makes a completed `put` visible to every
 * worker's `get` and `list`. The "a name is not both a file and a folder" rule is checked before
 * each write, but S3 has no transactions: two workers writing `a` and `a/b` at the same instant can
 * both succeed. Errors are {@link PlutoError}s naming the endpoint and bucket (`s3-errors.ts`).
 * The client belongs to the caller: the store has no `close()`.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly #options: ResolvedS3ArtifactStoreOptions;
  readonly #bucket: S3Bucket;
  readonly #keys: S3Keys;

  /** @throws PlutoError `CONFIG_INVALID` for invalid options (see {@link S3ArtifactStoreOptions}). */
  constructor(options: S3ArtifactStoreOptions) {
    this.#options = resolveS3ArtifactStoreOptions(options);
    const { client, bucket, listPageSize } = this.#options;
    this.#bucket = new S3Bucket({ client, bucket, pageSize: listPageSize });
    this.#keys = new S3Keys(this.#options.root);
  }

  /**
   * See {@link ArtifactStore.put}. Writes the sidecar (when needed) before the body, then removes
   * sidecars of earlier versions older than `sidecarGraceSeconds`.
   * @throws PlutoError `INVALID_NAME` (also for file/folder clashes), `BAD_REQUEST`, `INTERNAL` (S3 failures).
   */
  async put(
    scope: Scope,
    name: string,
    body: Uint8Array | string,
    options?: PutArtifactOptions,
  ): Promise<ArtifactInfo> {
    const key = this.#keys.object(checkScope(scope), checkArtifactName(name));
    const { bytes, mediaType, metadata } = checkPut(body, options);
    const [, sidecars] = await Promise.all([
      this.#checkClash(scope, name),
      this.#bucket.listObjects(this.#keys.sidecarFolder(scope, name), { delimiter: "/" }),
    ]);
    const staleBefore = Date.now() - this.#options.sidecarGraceSeconds * 1000;
    const info = buildInfo(name, bytes, mediaType, metadata);
    const encoded = encodeMetadata(info);
    const Bucket = this.#bucket.name;
    let sidecar: string | undefined;
    if (encoded.sidecar !== undefined) {
      const { json, sha256 } = encoded.sidecar;
      const sidecarKey = this.#keys.sidecar(scope, name, sha256);
      sidecar = sidecarKey;
      await this.#bucket.send("PutObject", sidecarKey, (client) =>
        client.send(
          new PutObjectCommand({ Bucket, Key: sidecarKey, Body: json, ContentType: "application/json" }),
        ),
      );
    }
    const params = { Bucket, Key: key, Body: bytes, ContentType: mediaType, Metadata: encoded.headers };
    if (bytes.byteLength > this.#options.multipartThresholdBytes) {
      await this.#bucket.send("Upload", key, (client) =>
        new Upload({
          client,
          params,
          partSize: this.#options.partSizeBytes,
          queueSize: this.#options.uploadQueueSize,
          leavePartsOnError: false,
        }).done(),
      );
    } else {
      const md5 = createHash("md5").update(bytes).digest("base64");
      await this.#bucket.send("PutObject", key, (client) =>
        client.send(new PutObjectCommand({ ...params, ContentMD5: md5, ContentLength: bytes.byteLength })),
      );
    }
    const stale = sidecars.filter(
      (object) => object.key !== sidecar && (object.lastModified?.getTime() ?? 0) <= staleBefore,
    );
    await this.#bucket.deleteQuietly(stale.map((object) => object.key));
    return { ...info, metadata: { ...info.metadata } };
  }

  /** Refuses `name` when one of its folders is an artifact, or when it is itself a folder of artifacts. @throws PlutoError `INVALID_NAME`. */
  async #checkClash(scope: Scope, name: string): Promise<void> {
    const segments = name.split("/");
    const folders = segments.slice(0, -1).map((_, index) => segments.slice(0, index + 1).join("/"));
    const [existing, inside] = await Promise.all([
      mapConcurrent(folders, folders.length, async (folder) =>
        (await this.#bucket.head(this.#keys.object(scope, folder))) === undefined ? undefined : folder,
      ),
      this.#bucket.listKeys(`${this.#keys.object(scope, name)}/`, { limit: 1 }),
    ]);
    const folder = existing.find((found) => found !== undefined);
    if (folder !== undefined) throw nameClash(name, folder);
    const [child] = inside;
    if (child !== undefined) throw nameClash(name, this.#keys.name(scope, child));
  }

  /** See {@link ArtifactStore.get}. @throws PlutoError `INVALID_NAME`, `INTERNAL` (S3 failures, or a body whose SHA-256 does not match). */
  async get(scope: Scope, name: string): Promise<{ info: ArtifactInfo; body: Uint8Array } | undefined> {
    const key = this.#keys.object(checkScope(scope), checkArtifactName(name));
    for (let attempt = 1; ; attempt++) {
      const output = await this.#bucket.get(key);
      if (output === undefined) return undefined;
      const body = await this.#bucket.send(
        "GetObject",
        key,
        async () => (await output.Body?.transformToByteArray()) ?? new Uint8Array(),
      );
      const decoded = decodeMetadata(output.Metadata);
      const sha256 = sha256Hex(body);
      if (decoded.sha256 !== undefined && decoded.sha256 !== sha256) {
        throw this.#corrupt(scope, name, decoded.sha256, sha256);
      }
      const metadata = await this.#metadata(scope, name, decoded, attempt);
      if (metadata === undefined) continue;
      const head = { ...output, ContentLength: body.byteLength };
      return { info: infoFromObject(name, head, { sha256, createdAt: decoded.createdAt, metadata }), body };
    }
  }

  /**
   * See `ArtifactStore.getStream`: the body as a byte stream read from S3 as it is consumed; the
   * stream fails with PlutoError `INTERNAL` when the body's SHA-256 does not match (before it ends),
   * or when the connection fails mid-body. For an object Pluto did not write, the body is read once
   * to hash it, then streamed.
   * @throws PlutoError `INVALID_NAME`, `INTERNAL` (S3 failures).
   */
  async getStream(scope: Scope, name: string): Promise<{ info: ArtifactInfo; body: Readable } | undefined> {
    const key = this.#keys.object(checkScope(scope), checkArtifactName(name));
    for (let attempt = 1; ; attempt++) {
      let output = await this.#bucket.get(key);
      if (output === undefined) return undefined;
      const decoded = decodeMetadata(output.Metadata);
      let sha256 = decoded.sha256;
      if (sha256 === undefined) {
        sha256 = await this.#bucket.hashBody(key, output);
        output = await this.#bucket.get(key, output.ETag);
        if (output === undefined) return undefined;
      }
      const metadata = await this.#metadata(scope, name, decoded, attempt);
      if (metadata === undefined) {
        bodyStream(output).destroy();
        continue;
      }
      const info = infoFromObject(name, output, { sha256, createdAt: decoded.createdAt, metadata });
      const expected = sha256;
      const checked = new Sha256CheckStream({
        expected,
        mismatch: (actual) => this.#corrupt(scope, name, expected, actual),
      });
      const source = bodyStream(output);
      source.on("error", (error) => {
        void this.#bucket.error(error, "GetObject", key).then((mapped) => checked.destroy(mapped));
      });
      checked.on("close", () => source.destroy());
      source.pipe(checked);
      return { info, body: checked };
    }
  }

  /**
   * The caller's metadata: inline, or read from the sidecar. `undefined` when the sidecar is gone (a
   * concurrent put replaced the artifact: read again) until the last attempt, which throws.
   */
  async #metadata(
    scope: Scope,
    name: string,
    decoded: DecodedMetadata,
    attempt: number,
  ): Promise<Record<string, string> | undefined> {
    if (decoded.sidecarSha256 === undefined) return decoded.metadata ?? {};
    const key = this.#keys.sidecar(scope, name, decoded.sidecarSha256);
    const output = await this.#bucket.get(key);
    const json =
      output === undefined
        ? undefined
        : await this.#bucket.send("GetObject", key, async () => output.Body?.transformToString("utf-8"));
    const metadata =
      json !== undefined && sha256Hex(new TextEncoder().encode(json)) === decoded.sidecarSha256
        ? parseMetadataJson(json)
        : undefined;
    if (metadata !== undefined || attempt < SIDECAR_ATTEMPTS) return metadata;
    throw new PlutoError(
      "INTERNAL",
      `The metadata of artifact "${name}" is missing or damaged in S3 bucket "${this.#bucket.name}" (sidecar ${key}). Put the artifact again to rewrite it.`,
      { details: { kind: "artifact", name, key, bucket: this.#bucket.name } },
    );
  }

  #corrupt(scope: Scope, name: string, expected: string, actual: string): PlutoError {
    return new PlutoError(
      "INTERNAL",
      `Artifact "${name}" is corrupt in S3 bucket "${this.#bucket.name}": its body's SHA-256 is ${actual}, but ${expected} was written. Put it again; if new uploads are corrupt too, set services.artifacts.checksums to when_required (the S3 server stores aws-chunked uploads verbatim).`,
      { details: { kind: "artifact", name, key: this.#keys.object(scope, name), expected, actual } },
    );
  }

  /**
   * See {@link ArtifactStore.list}. Follows every ListObjectsV2 page, then reads each artifact's
   * metadata with HeadObject (`headConcurrency` at a time). Keys that are not valid artifact names
   * (written by other tools) are skipped.
   */
  async list(scope: Scope, options?: { prefix?: string }): Promise<ArtifactInfo[]> {
    checkScope(scope);
    const prefix = checkPrefix(options?.prefix);
    const keys = await this.#bucket.listKeys(`${this.#keys.scope(scope)}${prefix}`);
    const names = keys.map((key) => this.#keys.name(scope, key)).filter(isArtifactName);
    const infos = await mapConcurrent(names, this.#options.headConcurrency, (name) =>
      this.#head(scope, name),
    );
    return infos
      .filter((info): info is ArtifactInfo => info !== undefined)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** One artifact's info without its body (`undefined` when deleted meanwhile). */
  async #head(scope: Scope, name: string): Promise<ArtifactInfo | undefined> {
    const key = this.#keys.object(scope, name);
    for (let attempt = 1; ; attempt++) {
      const head = await this.#bucket.head(key);
      if (head === undefined) return undefined;
      const decoded = decodeMetadata(head.Metadata);
      let sha256 = decoded.sha256;
      if (sha256 === undefined) {
        const output = await this.#bucket.get(key);
        if (output === undefined) return undefined;
        sha256 = await this.#bucket.hashBody(key, output);
      }
      const metadata = await this.#metadata(scope, name, decoded, attempt);
      if (metadata !== undefined) {
        return infoFromObject(name, head, { sha256, createdAt: decoded.createdAt, metadata });
      }
    }
  }

  /** See {@link ArtifactStore.delete}: removes the object, then its metadata sidecars (if any). @throws PlutoError `INVALID_NAME`, `INTERNAL`. */
  async delete(scope: Scope, name: string): Promise<void> {
    const key = this.#keys.object(checkScope(scope), checkArtifactName(name));
    await this.#bucket.delete(key);
    const folder = this.#keys.sidecarFolder(scope, name);
    const sidecars = await this.#bucket.listKeys(folder, { delimiter: "/" }).catch(() => []);
    await this.#bucket.deleteQuietly(sidecars);
  }

  /**
   * See `ArtifactStore.presign`: a SigV4 presigned URL for the artifact's object, valid for
   * `expiresInSeconds` (1 to 604800). `GET` (default) requires the artifact to exist; a `PUT` URL
   * uploads a raw body (no Pluto metadata: it is then served with its `Content-Type`, its upload time,
   * no caller metadata, and a SHA-256 computed on read). Signing happens locally.
   * @throws PlutoError `BAD_REQUEST` (expiry, method), `INVALID_NAME` (also file/folder clashes for
   * `PUT`), `ARTIFACT_NOT_FOUND` (`GET`), `INTERNAL`.
   */
  async presign(scope: Scope, name: string, options: PresignArtifactOptions): Promise<string> {
    const key = this.#keys.object(checkScope(scope), checkArtifactName(name));
    const expiresIn = options?.expiresInSeconds;
    if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS) {
      throw new PlutoError(
        "BAD_REQUEST",
        `expiresInSeconds must be an integer from 1 to ${MAX_PRESIGN_SECONDS} (7 days, the SigV4 limit).`,
      );
    }
    const method = options.method ?? "GET";
    if (method !== "GET" && method !== "PUT") {
      throw new PlutoError(
        "BAD_REQUEST",
        `A presigned artifact URL's method must be "GET" or "PUT", not ${JSON.stringify(method)}.`,
      );
    }
    if (method === "GET" && (await this.#bucket.head(key)) === undefined) {
      throw new PlutoError(
        "ARTIFACT_NOT_FOUND",
        `Artifact "${name}" does not exist; put it before asking for a download URL.`,
        { details: { kind: "artifact", name } },
      );
    }
    if (method === "PUT") await this.#checkClash(scope, name);
    const Bucket = this.#bucket.name;
    const command =
      method === "GET"
        ? new GetObjectCommand({ Bucket, Key: key })
        : new PutObjectCommand({ Bucket, Key: key });
    try {
      return await getSignedUrl(this.#bucket.client, command, { expiresIn });
    } catch (error) {
      throw new PlutoError(
        "INTERNAL",
        `Could not sign an S3 URL for artifact "${name}": ${errorMessage(error)}. Check the S3 credentials (AWS default chain or services.artifacts.credentials).`,
        { details: { kind: "artifact", name, bucket: Bucket }, cause: error },
      );
    }
  }
}

function isArtifactName(name: string): boolean {
  try {
    checkArtifactName(name);
    return true;
  } catch {
    return false;
  }
}
