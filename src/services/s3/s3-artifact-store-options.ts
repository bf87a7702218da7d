import type { S3Client } from "@aws-sdk/client-s3";
import { PlutoError } from "../../core/errors.js";

const MIB = 1024 * 1024;

/** S3's smallest multipart part (except the last): 5 MiB. */
export const MIN_PART_SIZE_BYTES = 5 * MIB;
/** S3's largest multipart part: 5 GiB. */
export const MAX_PART_SIZE_BYTES = 5 * 1024 * MIB;

/** Options of `S3ArtifactStore`. */
export interface S3ArtifactStoreOptions {
  /**
   * The S3 client; the caller builds it (see `createS3Client`), shares it and destroys it. The store
   * never closes it.
   */
  client: S3Client;
  /** The bucket; it must exist (the store never creates buckets). */
  bucket: string;
  /**
   * Key prefix in front of every object, e.g. `pluto/prod`: artifacts live at
   * `<prefix>/<tenant>/<agent>/<name>`. Leading and trailing `/` are ignored; segments follow the
   * artifact name rules. @default "" (keys start with the tenant)
   */
  prefix?: string;
  /** Bodies larger than this many bytes are uploaded with multipart upload. @default 8388608 (8 MiB) */
  multipartThresholdBytes?: number;
  /** Multipart part size in bytes, 5 MiB to 5 GiB. @default 8388608 (8 MiB) */
  partSizeBytes?: number;
  /** Parts uploaded in parallel per multipart upload (memory held: about `uploadQueueSize * partSizeBytes`). @default 4 */
  uploadQueueSize?: number;
  /** `MaxKeys` of each ListObjectsV2 page, 1 to 1000 (small values only make sense in tests). @default 1000 */
  listPageSize?: number;
  /** HeadObject requests in flight while `list()` reads each artifact's metadata. @default 16 */
  headConcurrency?: number;
  /**
   * A `put` deletes the metadata sidecars of earlier versions only once they are this many seconds
   * old, so a concurrent `put` of the same name (whose sidecar is written before its body) never loses
   * its sidecar. Younger leftovers go with a later `put` or `delete`. @default 3600
   */
  sidecarGraceSeconds?: number;
}

/** {@link S3ArtifactStoreOptions} with defaults applied and the prefix normalised to `""` or `a/b/`. */
export interface ResolvedS3ArtifactStoreOptions {
  client: S3Client;
  bucket: string;
  /** `""` or the prefix with one trailing `/`. */
  root: string;
  multipartThresholdBytes: number;
  partSizeBytes: number;
  uploadQueueSize: number;
  listPageSize: number;
  headConcurrency: number;
  sidecarGraceSeconds: number;
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/**
 * Bucket names: 3-255 letters, digits, `.`, `_`, `-` (AWS allows only lower case, `.` and `-` and at
 * most 63 characters in new buckets; legacy buckets and other S3 servers are looser).
 */
const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/;

function invalid(message: string): PlutoError {
  return new PlutoError("CONFIG_INVALID", message);
}

function integerOption(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(
      `S3 artifact store option ${name} must be an integer from ${min} to ${max}; got ${String(value)}.`,
    );
  }
  return value;
}

/**
 * Validates options and applies the defaults.
 * @throws PlutoError `CONFIG_INVALID` for a missing client, a malformed bucket name, a prefix with
 * unsafe segments (`..`, empty, NUL), or numbers out of range.
 */
export function resolveS3ArtifactStoreOptions(
  options: S3ArtifactStoreOptions,
): ResolvedS3ArtifactStoreOptions {
  if (typeof options?.client?.send !== "function") {
    throw invalid("S3 artifact store needs an S3Client in option client (build it with createS3Client).");
  }
  if (typeof options.bucket !== "string" || !BUCKET.test(options.bucket)) {
    throw invalid(
      `Invalid S3 bucket name ${JSON.stringify(options.bucket)}: set services.artifacts.bucket to the bucket's name (3-63 lower-case letters, digits, '.' or '-' on AWS).`,
    );
  }
  const prefix = (options.prefix ?? "").replace(/^\/+|\/+$/g, "");
  if (
    prefix !== "" &&
    !prefix.split("/").every((segment) => SEGMENT.test(segment) && !segment.includes(".."))
  ) {
    throw invalid(
      `Invalid S3 key prefix ${JSON.stringify(options.prefix)}: use segments of letters, digits, '.', '_' or '-' joined by '/', e.g. pluto/prod.`,
    );
  }
  const partSizeBytes = integerOption(
    "partSizeBytes",
    options.partSizeBytes,
    8 * MIB,
    MIN_PART_SIZE_BYTES,
    MAX_PART_SIZE_BYTES,
  );
  return {
    client: options.client,
    bucket: options.bucket,
    root: prefix === "" ? "" : `${prefix}/`,
    multipartThresholdBytes: integerOption(
      "multipartThresholdBytes",
      options.multipartThresholdBytes,
      8 * MIB,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    partSizeBytes,
    uploadQueueSize: integerOption("uploadQueueSize", options.uploadQueueSize, 4, 1, 64),
    listPageSize: integerOption("listPageSize", options.listPageSize, 1000, 1, 1000),
    headConcurrency: integerOption("headConcurrency", options.headConcurrency, 16, 1, 256),
    sidecarGraceSeconds: integerOption(
      "sidecarGraceSeconds",
      options.sidecarGraceSeconds,
      3600,
      0,
      366 * 86400,
    ),
  };
}
