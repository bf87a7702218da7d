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

  /** Releases resources. */
  close?(): Promise<void>;
}
