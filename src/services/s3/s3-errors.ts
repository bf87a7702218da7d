import type { S3Client } from "@aws-sdk/client-s3";
import { errorMessage, PlutoError } from "../../core/errors.js";

/** Where a failed S3 request went, for error messages and `details`. */
export interface S3Target {
  /** The endpoint as `protocol//host[:port]`, or `s3.<region>.amazonaws.com` for AWS's default. */
  endpoint: string;
  bucket: string;
}

/** Response fields the AWS SDK sets on the errors of a request that reached the server. */
interface ServiceErrorShape {
  name?: string;
  Code?: string;
  $fault?: "client" | "server";
  $metadata?: { httpStatusCode?: number };
}

/** Error names S3 answers when the credentials or the request signature are refused. */
const AUTH_ERRORS = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "Forbidden",
]);

/**
 * Describes the client's endpoint without sending a request: the configured `endpoint`
 * (`http://127.0.0.1:9000/`) or, for AWS's own endpoints, `https://s3.<region>.amazonaws.com`.
 * Never throws; answers `"(unknown endpoint)"` when the configuration cannot be read.
 */
export async function describeEndpoint(client: S3Client): Promise<string> {
  try {
    const endpoint = await client.config.endpoint?.();
    if (endpoint !== undefined) {
      const port = endpoint.port === undefined ? "" : `:${endpoint.port}`;
      return `${endpoint.protocol}//${endpoint.hostname}${port}${endpoint.path === "/" ? "" : endpoint.path}`;
    }
    return `https://s3.${await client.config.region()}.amazonaws.com`;
  } catch {
    return "(unknown endpoint)";
  }
}

/**
 * Turns whatever an S3 request threw into a {@link PlutoError} that names the endpoint, the bucket and
 * the fix. A {@link PlutoError} passes through unchanged.
 * - the server was not reached (refused, DNS, timeout) → `BACKEND_UNAVAILABLE`, retryable, "unreachable";
 * - `NoSuchBucket` → `INTERNAL` "bucket does not exist";
 * - credentials or signature refused (403) → `INTERNAL` "check the credentials";
 * - throttling and 5xx → `INTERNAL`, retryable; anything else → `INTERNAL` with the S3 error name.
 * `details` is `{ endpoint, bucket, operation, key?, s3Error?, status? }`.
 * @param operation the S3 operation, e.g. `PutObject`.
 */
export function toS3Error(error: unknown, target: S3Target, operation: string, key?: string): PlutoError {
  if (error instanceof PlutoError) return error;
  const shape = (typeof error === "object" && error !== null ? error : {}) as ServiceErrorShape;
  const status = shape.$metadata?.httpStatusCode;
  const s3Error = shape.Code ?? shape.name ?? "Error";
  const where = `bucket "${target.bucket}" at ${target.endpoint}`;
  const details: Record<string, unknown> = { endpoint: target.endpoint, bucket: target.bucket, operation };
  if (key !== undefined) details.key = key;
  if (status === undefined) {
    return new PlutoError(
      "BACKEND_UNAVAILABLE",
      `S3 ${operation} failed: the endpoint is unreachable (${where}): ${errorMessage(error)}. Check services.artifacts.endpoint and region, and that the S3 server is running and reachable from this worker.`,
      { details, cause: error, retryable: true },
    );
  }
  details.s3Error = s3Error;
  details.status = status;
  if (s3Error === "NoSuchBucket") {
    return new PlutoError(
      "INTERNAL",
      `S3 ${operation} failed: ${where} does not exist. Create the bucket, or fix services.artifacts.bucket.`,
      { details, cause: error },
    );
  }
  if (AUTH_ERRORS.has(s3Error) || status === 401 || status === 403) {
    return new PlutoError(
      "INTERNAL",
      `S3 ${operation} was refused by ${where} (${s3Error}, HTTP ${status}). Check the credentials (AWS default chain or services.artifacts.credentials) and that they may read and write the bucket.`,
      { details, cause: error },
    );
  }
  const retryable = status >= 500 || status === 429 || s3Error === "SlowDown";
  return new PlutoError(
    "INTERNAL",
    `S3 ${operation} failed on ${where}: ${s3Error} (HTTP ${status}): ${errorMessage(error)}.${retryable ? " The server is overloaded or failing; retry later." : ""}`,
    { details, cause: error, retryable },
  );
}

/** True when an S3 error means "no such key" (GetObject's `NoSuchKey`, HeadObject's bare 404). */
export function isNotFound(error: unknown): boolean {
  const shape = (typeof error === "object" && error !== null ? error : {}) as ServiceErrorShape;
  const name = shape.Code ?? shape.name;
  if (name === "NoSuchBucket") return false;
  return name === "NoSuchKey" || name === "NotFound" || shape.$metadata?.httpStatusCode === 404;
}
