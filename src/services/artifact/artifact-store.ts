import type { Readable } from "node:stream";
import type { Scope } from "../../core/scope.js";

/** Metadata kept beside every artifact. */
export interface ArtifactInfo {
  /** Relative path of safe segments, e.g. `reports/q1.md`. */
  name: string;
  /** Size in bytes. */
  size: number;
  /** IANA media type. @default "application/octet-stream" */
  mediaType: string;
  /** Hex SHA-256 of the body. */
  sha256: string;
  /** ISO-8601 time of the last write. */
  createdAt: string;
  /** Free-form string metadata (e.g. `runId`, `toolCallId`). */
  metadata: Record<string, string>;
}

/** Options for {@link ArtifactStore.put}. */
export interface PutArtifactOptions {
  mediaType?: string;
  metadata?: Record<string, string>;
}

/** Options for {@link ArtifactStore.presign}. */
export interface PresignArtifactOptions {
  /** How long the URL stays valid, in seconds (1 to 604800 on S3). */
  expiresInSeconds: number;
  /** `GET` downloads the artifact (it must exist); `PUT` uploads a new body. @default "GET" */
  method?: "GET" | "PUT";
}

/**
 * Files produced by tools and users (DESIGN.md, Services: put, get, list). Writes replace atomically.
 */
export interface ArtifactStore {
  /** Stores `body` under `name`, replacing any previous version. @throws PlutoError `INVALID_NAME`. */
  put(
    scope: Scope,
    name: string,
    body: Uint8Array | string,
    options?: PutArtifactOptions,
  ): Promise<ArtifactInfo>;

  /** The artifact's bytes and metadata, or `undefined` when absent. */
  get(scope: Scope, name: string): Promise<{ info: ArtifactInfo; body: Uint8Array } | undefined>;

  /** Metadata of the artifacts whose name starts with `prefix`, sorted by name. */
  list(scope: Scope, options?: { prefix?: string }): Promise<ArtifactInfo[]>;

  /** Removes an artifact; resolves even when it did not exist. */
  delete(scope: Scope, name: string): Promise<void>;

  /**
   * Optional, for backends that can stream (S3): the artifact's metadata and its body as a byte stream
   * read as it is consumed, or `undefined` when absent. The stream fails (`error` event) when the body
   * turns out not to match `info.sha256`. Destroy the stream to stop early.
   */
  getStream?(scope: Scope, name: string): Promise<{ info: ArtifactInfo; body: Readable } | undefined>;

  /**
   * Optional, for backends with signed URLs (S3): a URL a plain HTTP client can use without
   * credentials to download (`GET`) or upload (`PUT`) the artifact until it expires.
   * @throws PlutoError `ARTIFACT_NOT_FOUND` for a `GET` of an absent artifact, `BAD_REQUEST` for a bad expiry.
   */
  presign?(scope: Scope, name: string, options: PresignArtifactOptions): Promise<string>;

  /** Releases resources. */
  close?(): Promise<void>;
}
