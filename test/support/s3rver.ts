import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";

/** The slice of a Koa context the pagination shim touches. */
interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  body: unknown;
}
type KoaMiddleware = (context: KoaContext, next: () => Promise<void>) => Promise<void>;

/** The part of s3rver 3.x's API the tests use (the package ships no types). s3rver is a Koa app. */
interface S3rverInstance {
  /** Koa's middleware list; composed when the server starts listening. */
  middleware: KoaMiddleware[];
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  resetOnClose: boolean;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

const S3rver = createRequire(import.meta.url)("s3rver") as S3rverConstructor;

/**
 * The access key pair s3rver registers by default; requests signed with it pass s3rver's signature
 * check, so presigned URLs are verified for real.
 */
export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

/** A running s3rver and an S3 client pointed at it. */
export interface S3rverFixture {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** A bucket created at start-up, named `pluto-test-<random>`. */
  bucket: string;
  /** A client for {@link endpoint}; destroyed by {@link close}. */
  client: S3Client;
  /** Stops the server, destroys the client and removes the temporary directory. */
  close(): Promise<void>;
}

/**
 * Builds the S3 client tests use against `endpoint`: path-style addressing, region `us-east-1`, the
 * s3rver credentials, and checksums only when an operation requires them. The AWS SDK's default
 * (`WHEN_SUPPORTED`) sends streamed bodies with `aws-chunked` trailing checksums, which s3rver stores
 * with the chunk framing inside the object (corrupted bodies).
 * @param options.maxAttempts SDK attempts per request; @default 3 (the SDK's default)
 */
export function s3TestClient(endpoint: string, options: { maxAttempts?: number } = {}): S3Client {
  return new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: options.maxAttempts ?? 3,
  });
}

const TOKEN_PREFIX = "pluto-s3rver:";

/** One ListBucketResult as s3rver builds it (before its XML encoder runs). */
interface ListBucketResult {
  Marker?: string;
  NextMarker?: string;
  StartAfter?: string;
  ContinuationToken?: string;
  NextContinuationToken?: string;
  KeyCount?: number;
  IsTruncated?: boolean;
  Contents?: { Key: string; Owner?: unknown }[];
}

/**
 * Makes s3rver's ListObjectsV2 paginate on Node >= 17. s3rver 3.7 encrypts continuation tokens with
 * DES, which OpenSSL 3 no longer offers, so any truncated V2 listing fails with HTTP 500. This shim
 * answers V2 listings through s3rver's V1 listing (`marker` = the last key returned) and rewrites the
 * result into the V2 shape with a plain base64url token. It sits behind s3rver's XML encoder, so it
 * sees the response as an object. (s3rver does not check SigV4 signatures, so rewriting the query
 * does not break authentication.)
 */
const listObjectsV2Shim: KoaMiddleware = async (context, next) => {
  const query = context.query;
  if (context.method !== "GET" || query["list-type"] !== "2" || /^\/[^/]+\/?$/.test(context.path) === false) {
    await next();
    return;
  }
  const token = typeof query["continuation-token"] === "string" ? query["continuation-token"] : undefined;
  const decoded = token === undefined ? "" : Buffer.from(token, "base64url").toString("utf8");
  const startAfter = decoded.startsWith(TOKEN_PREFIX)
    ? decoded.slice(TOKEN_PREFIX.length)
    : typeof query["start-after"] === "string"
      ? query["start-after"]
      : undefined;
  const fetchOwner = query["fetch-owner"] === "true";
  const {
    "list-type": _type,
    "continuation-token": _token,
    "start-after": _after,
    "fetch-owner": _owner,
    ...rest
  } = query;
  context.query = startAfter === undefined ? rest : { ...rest, marker: startAfter };
  await next();
  const result = (context.body as { ListBucketResult?: ListBucketResult } | undefined)?.ListBucketResult;
  if (result === undefined) return;
  const contents = result.Contents ?? [];
  const last = contents[contents.length - 1]?.Key;
  delete result.Marker;
  delete result.NextMarker;
  if (token === undefined) result.StartAfter = startAfter;
  result.ContinuationToken = token;
  result.NextContinuationToken =
    result.IsTruncated === true && last !== undefined
      ? Buffer.from(`${TOKEN_PREFIX}${last}`).toString("base64url")
      : undefined;
  result.KeyCount = contents.length;
  if (!fetchOwner) for (const object of contents) delete object.Owner;
};

/**
 * Starts s3rver (a real S3 HTTP implementation backed by files) in this process on `127.0.0.1`, an
 * ephemeral port, a fresh temporary directory (`pluto-s3rver-XXXXXX`) and one bucket, with
 * {@link listObjectsV2Shim} so V2 listings paginate. Known s3rver limits: it does not verify SigV4
 * signatures (presigned URLs are checked for expiry only), and it lists keys in folder-walk order,
 * which matches S3's byte order only among keys of one folder; it has no AbortMultipartUpload (405); and
 * two concurrent PUTs of one key can leave one's body with the other's headers.
 * Call {@link S3rverFixture.close} in `afterAll`.
 */
export async function startS3rver(): Promise<S3rverFixture> {
  const directory = await mkdtemp(join(tmpdir(), "pluto-s3rver-"));
  const bucket = `pluto-test-${randomBytes(4).toString("hex")}`;
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    resetOnClose: true,
    configureBuckets: [{ name: bucket }],
  });
  // Behind the logger and the XML encoder, in front of the routes.
  server.middleware.splice(2, 0, listObjectsV2Shim);
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = s3TestClient(endpoint);
  return {
    endpoint,
    bucket,
    client,
    async close() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
