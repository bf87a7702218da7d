import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { S3Client } from "@aws-sdk/client-s3";
import { PlutoError } from "../../core/errors.js";

/** Settings of the shared S3 client (the `services.artifacts` keys of `backend: s3`; docs/backends/s3.md). */
export interface S3ClientSettings {
  /** AWS region. @default `AWS_REGION`, else `AWS_DEFAULT_REGION`, else `us-east-1` */
  region?: string;
  /** Endpoint URL of an S3-compatible server, e.g. `http://127.0.0.1:9000`. @default AWS S3 of the region */
  endpoint?: string;
  /** Path-style URLs (`<endpoint>/<bucket>/<key>`) instead of virtual-host style; most S3-compatible servers need it. @default false */
  forcePathStyle?: boolean;
  /** Static credentials. @default the AWS default chain (environment, shared files, SSO, container and instance roles) */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * When the SDK adds CRC checksums to requests and validates them on responses. `when_required`
   * suits S3-compatible servers that store `aws-chunked` bodies verbatim (corrupt objects); the store
   * checks its own SHA-256 on every read either way.
   * @default "when_required" with an `endpoint`, "when_supported" for AWS
   */
  checksums?: "when_required" | "when_supported";
  /** Attempts per request (network errors, throttling and 5xx are retried with backoff). @default 3 */
  maxAttempts?: number;
  /** Open connections at most, shared by every store and worker task of this process. @default 50 */
  maxSockets?: number;
  /** Milliseconds to wait for a TCP connection. @default 5000 */
  connectionTimeoutMs?: number;
  /** Milliseconds a connection may stay silent mid-request before it is dropped. @default 60000 */
  socketTimeoutMs?: number;
}

/**
 * Builds the one S3 client the runtime shares between the artifact store and anything else that
 * talks to S3, with a bounded connection pool (keep-alive, `maxSockets`) and timeouts. The caller
 * destroys it (`client.destroy()`) at shutdown.
 * @throws PlutoError `CONFIG_INVALID` for a malformed endpoint, half-given credentials, or numbers out of range.
 */
export function createS3Client(settings: S3ClientSettings = {}): S3Client {
  if (settings.endpoint !== undefined && !/^https?:\/\/[^/\s]+/.test(settings.endpoint)) {
    throw new PlutoError(
      "CONFIG_INVALID",
      `Invalid S3 endpoint ${JSON.stringify(settings.endpoint)}: use an http:// or https:// URL, e.g. http://127.0.0.1:9000.`,
    );
  }
  const credentials = settings.credentials;
  if (credentials !== undefined && (!credentials.accessKeyId || !credentials.secretAccessKey)) {
    throw new PlutoError(
      "CONFIG_INVALID",
      "S3 credentials need both access_key_id and secret_access_key; or leave credentials out to use the AWS default chain (AWS_ACCESS_KEY_ID, ~/.aws, instance roles).",
    );
  }
  const count = (name: string, value: number | undefined, fallback: number, min: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min) {
      throw new PlutoError(
        "CONFIG_INVALID",
        `S3 setting ${name} must be an integer >= ${min}; got ${String(value)}.`,
      );
    }
    return value;
  };
  const maxSockets = count("max_sockets", settings.maxSockets, 50, 1);
  const checksums =
    settings.checksums ?? (settings.endpoint === undefined ? "when_supported" : "when_required");
  const checksumMode = checksums === "when_required" ? "WHEN_REQUIRED" : "WHEN_SUPPORTED";
  return new S3Client({
    region: settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    forcePathStyle: settings.forcePathStyle ?? false,
    ...(credentials === undefined ? {} : { credentials }),
    requestChecksumCalculation: checksumMode,
    responseChecksumValidation: checksumMode,
    maxAttempts: count("max_attempts", settings.maxAttempts, 3, 1),
    requestHandler: {
      connectionTimeout: count("connection_timeout_ms", settings.connectionTimeoutMs, 5000, 1),
      socketTimeout: count("socket_timeout_ms", settings.socketTimeoutMs, 60_000, 1),
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
    },
  });
}
