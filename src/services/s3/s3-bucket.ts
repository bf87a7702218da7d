import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { PlutoError } from "../../core/errors.js";
import { describeEndpoint, isNotFound, type S3Target, toS3Error } from "./s3-errors.js";

/**
 * One bucket seen through one client: the S3 calls the artifact store makes, each failure turned
 * into a {@link PlutoError} naming the endpoint and the bucket (`toS3Error`). "Not found" answers are
 * values (`undefined`, `false`), never errors.
 */
export class S3Bucket {
  readonly client: S3Client;
  readonly name: string;
  readonly #pageSize: number;
  #target: Promise<S3Target> | undefined;

  /** @param options.pageSize `MaxKeys` of each ListObjectsV2 page (1 to 1000). */
  constructor(options: { client: S3Client; bucket: string; pageSize: number }) {
    this.client = options.client;
    this.name = options.bucket;
    this.#pageSize = options.pageSize;
  }

  /** Runs one S3 call; its failure becomes a {@link PlutoError} (`operation` names the S3 operation). */
  async send<T>(operation: string, key: string, call: (client: S3Client) => Promise<T>): Promise<T> {
    try {
      return await call(this.client);
    } catch (error) {
      throw await this.error(error, operation, key);
    }
  }

  /** The {@link PlutoError} for a failed call (see `toS3Error`). */
  async error(error: unknown, operation: string, key: string): Promise<PlutoError> {
    this.#target ??= describeEndpoint(this.client).then((endpoint) => ({ endpoint, bucket: this.name }));
    return toS3Error(error, await this.#target, operation, key);
  }

  /** HeadObject, or `undefined` when the key does not exist. */
  async head(key: string): Promise<HeadObjectCommandOutput | undefined> {
    try {
      return await this.client.send(new HeadObjectCommand({ Bucket: this.name, Key: key }));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw await this.error(error, "HeadObject", key);
    }
  }

  /** GetObject, or `undefined` when the key does not exist (or no longer has ETag `ifMatch`). */
  async get(key: string, ifMatch?: string): Promise<GetObjectCommandOutput | undefined> {
    try {
      return await this.client.send(new GetObjectCommand({ Bucket: this.name, Key: key, IfMatch: ifMatch }));
    } catch (error) {
      const preconditionFailed = (error as { name?: string }).name === "PreconditionFailed";
      if (isNotFound(error) || (ifMatch !== undefined && preconditionFailed)) return undefined;
      throw await this.error(error, "GetObject", key);
    }
  }

  /**
   * Every object under `prefix` (key and last-modified time), following ListObjectsV2 continuation
   * tokens until the listing ends (or `limit` objects were found). With a `delimiter`, keys below the
   * next delimiter are left out.
   */
  async listObjects(
    prefix: string,
    options: { delimiter?: string; limit?: number } = {},
  ): Promise<{ key: string; lastModified?: Date | undefined }[]> {
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const objects: { key: string; lastModified?: Date | undefined }[] = [];
    let token: string | undefined;
    do {
      const page = await this.send("ListObjectsV2", prefix, (client) =>
        client.send(
          new ListObjectsV2Command({
            Bucket: this.name,
            Prefix: prefix,
            Delimiter: options.delimiter,
            MaxKeys: Math.min(this.#pageSize, limit),
            ContinuationToken: token,
          }),
        ),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined) objects.push({ key: object.Key, lastModified: object.LastModified });
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined && objects.length < limit);
    return objects;
  }

  /** The keys of {@link listObjects}. */
  async listKeys(prefix: string, options: { delimiter?: string; limit?: number } = {}): Promise<string[]> {
    return (await this.listObjects(prefix, options)).map((object) => object.key);
  }

  /** DeleteObject; resolves when the key did not exist. */
  async delete(key: string): Promise<void> {
    await this.send("DeleteObject", key, (client) =>
      client.send(new DeleteObjectCommand({ Bucket: this.name, Key: key })),
    );
  }

  /** Deletes keys, ignoring failures (for leftovers that are never read). */
  async deleteQuietly(keys: readonly string[]): Promise<void> {
    await Promise.allSettled(keys.map((key) => this.delete(key)));
  }

  /** Reads a GetObject body to its end and returns its hex SHA-256 (without keeping the bytes). */
  async hashBody(key: string, output: GetObjectCommandOutput): Promise<string> {
    return this.send("GetObject", key, async () => {
      const hash = createHash("sha256");
      for await (const chunk of bodyStream(output)) hash.update(chunk as Buffer);
      return hash.digest("hex");
    });
  }
}

/** The Node stream of a GetObject body (the SDK's Node handler returns an `IncomingMessage`). */
export function bodyStream(output: GetObjectCommandOutput): Readable {
  const body = output.Body;
  if (body instanceof Readable) return body;
  if (body === undefined) return Readable.from([]);
  return Readable.fromWeb(body.transformToWebStream() as WebReadableStream);
}
