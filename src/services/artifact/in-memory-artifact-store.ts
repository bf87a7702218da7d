import type { Scope } from "../../core/scope.js";
import {
  buildInfo,
  checkArtifactName,
  checkPrefix,
  checkPut,
  checkScope,
  nameClash,
} from "./artifact-input.js";
import type { ArtifactInfo, ArtifactStore, PutArtifactOptions } from "./artifact-store.js";

interface StoredArtifact {
  info: ArtifactInfo;
  body: Uint8Array;
}

function copy(artifact: StoredArtifact): { info: ArtifactInfo; body: Uint8Array } {
  return {
    info: { ...artifact.info, metadata: { ...artifact.info.metadata } },
    body: new Uint8Array(artifact.body),
  };
}

/**
 * An {@link ArtifactStore} in process memory: the test backend and `backend: memory`. Applies the
 * filesystem store's name rules (including "a name is not both a file and a folder"), so code tested
 * against it behaves the same on disk. Bodies and metadata are copied in and out.
 */
export class InMemoryArtifactStore implements ArtifactStore {
  /** `tenant/agent` → artifact name → artifact. */
  readonly #scopes = new Map<string, Map<string, StoredArtifact>>();

  #artifacts(scope: Scope): Map<string, StoredArtifact> {
    const { tenant, agent } = checkScope(scope);
    const key = `${tenant}/${agent}`;
    let artifacts = this.#scopes.get(key);
    if (artifacts === undefined) {
      artifacts = new Map();
      this.#scopes.set(key, artifacts);
    }
    return artifacts;
  }

  /** See {@link ArtifactStore.put}. @throws PlutoError `INVALID_NAME` (also for file/folder clashes), `BAD_REQUEST`. */
  async put(
    scope: Scope,
    name: string,
    body: Uint8Array | string,
    options?: PutArtifactOptions,
  ): Promise<ArtifactInfo> {
    const artifacts = this.#artifacts(scope);
    checkArtifactName(name);
    const { bytes, mediaType, metadata } = checkPut(body, options);
    const segments = name.split("/");
    for (let count = 1; count < segments.length; count++) {
      const folder = segments.slice(0, count).join("/");
      if (artifacts.has(folder)) throw nameClash(name, folder);
    }
    for (const existing of artifacts.keys()) {
      if (existing.startsWith(`${name}/`)) throw nameClash(name, existing);
    }
    const info = buildInfo(name, bytes, mediaType, metadata);
    artifacts.set(name, { info, body: bytes });
    return copy({ info, body: bytes }).info;
  }

  /** See {@link ArtifactStore.get}. */
  async get(scope: Scope, name: string): Promise<{ info: ArtifactInfo; body: Uint8Array } | undefined> {
    const artifacts = this.#artifacts(scope);
    const artifact = artifacts.get(checkArtifactName(name));
    return artifact === undefined ? undefined : copy(artifact);
  }

  /** See {@link ArtifactStore.list}. Sorted by name in UTF-16 code unit order. */
  async list(scope: Scope, options?: { prefix?: string }): Promise<ArtifactInfo[]> {
    const artifacts = this.#artifacts(scope);
    const prefix = checkPrefix(options?.prefix);
    return [...artifacts.values()]
      .filter((artifact) => artifact.info.name.startsWith(prefix))
      .sort((a, b) => (a.info.name < b.info.name ? -1 : a.info.name > b.info.name ? 1 : 0))
      .map((artifact) => copy(artifact).info);
  }

  /** See {@link ArtifactStore.delete}. */
  async delete(scope: Scope, name: string): Promise<void> {
    const artifacts = this.#artifacts(scope);
    artifacts.delete(checkArtifactName(name));
  }
}
