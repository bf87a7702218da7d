import type { Dirent, Stats } from "node:fs";
import { lstat, readdir, readFile, rmdir, unlink } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import type { FsyncPolicy } from "../../config/pluto-config.js";
import { PlutoError } from "../../core/errors.js";
import { isSafeName } from "../../core/names.js";
import type { Scope } from "../../core/scope.js";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { fsyncDirectory } from "../fs/durable-directory.js";
import { KeyedLock } from "../fs/keyed-lock.js";
import { resolveInside, scopeDirectory } from "../fs/scope-directory.js";
import {
  buildInfo,
  checkArtifactName,
  checkPrefix,
  checkPut,
  checkScope,
  DEFAULT_MEDIA_TYPE,
  nameClash,
  sha256Hex,
} from "./artifact-input.js";
import type { ArtifactInfo, ArtifactStore, PutArtifactOptions } from "./artifact-store.js";

/** Options of {@link FsArtifactStore}. */
export interface FsArtifactStoreOptions {
  /** The state directory; artifacts live under `<dataDir>/artifacts/<agent>/` (or `tenants/<tenant>/artifacts/<agent>/`). */
  dataDir: string;
  /**
   * `always` and `batch` flush each body, its metadata and their directories before `put` resolves;
   * `never` skips the flushes (tests and benchmarks). Writes are atomic either way.
   * @default "batch"
   */
  fsync?: FsyncPolicy;
}

/** The name of the metadata folder inside an agent's artifact folder; no artifact name can start with '.'. */
const META = ".meta";

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/**
 * The filesystem {@link ArtifactStore}: bodies as plain files at `<agent>/<name>`, metadata as JSON at
 * `<agent>/.meta/<name>.json` (the {@link ArtifactInfo} fields). Body and metadata are each replaced
 * atomically, body first; a body without metadata (copied in by hand, or a crash between the two
 * renames) is served with metadata computed from the file. One process per data directory.
 */
export class FsArtifactStore implements ArtifactStore {
  readonly #dataDir: string;
  readonly #fsync: boolean;
  readonly #lock = new KeyedLock();

  constructor(options: FsArtifactStoreOptions) {
    this.#dataDir = options.dataDir;
    this.#fsync = (options.fsync ?? "batch") !== "never";
  }

  /** The body and metadata paths of an artifact, checked to stay inside the agent's folder. @throws PlutoError `INVALID_NAME`. */
  #paths(scope: Scope, name: string): { root: string; body: string; meta: string } {
    const root = scopeDirectory(this.#dataDir, checkScope(scope), "artifacts");
    checkArtifactName(name);
    return { root, body: resolveInside(root, name), meta: resolveInside(join(root, META), `${name}.json`) };
  }

  /** See {@link ArtifactStore.put}. @throws PlutoError `INVALID_NAME` (also when `a` and `a/b` would both exist), `BAD_REQUEST`. */
  async put(
    scope: Scope,
    name: string,
    body: Uint8Array | string,
    options?: PutArtifactOptions,
  ): Promise<ArtifactInfo> {
    const paths = this.#paths(scope, name);
    const { bytes, mediaType, metadata } = checkPut(body, options);
    return this.#lock.run(paths.root, async () => {
      await this.#checkPath(paths.root, name, true);
      const info = buildInfo(name, bytes, mediaType, metadata);
      await writeFileAtomic(paths.body, bytes, { fsync: this.#fsync });
      await writeFileAtomic(paths.meta, `${JSON.stringify(info, null, 2)}\n`, { fsync: this.#fsync });
      return info;
    });
  }

  /**
   * Refuses a path through a symbolic link (which could lead outside the data directory), a name
   * whose folders are files, and, with `forPut`, a name that is itself a folder.
   * @throws PlutoError `INVALID_NAME`.
   */
  async #checkPath(root: string, name: string, forPut: boolean): Promise<void> {
    const segments = name.split("/");
    for (let count = 1; count <= segments.length; count++) {
      const prefix = segments.slice(0, count).join("/");
      let stats: Stats;
      try {
        stats = await lstat(join(root, prefix));
      } catch (error) {
        if (isMissing(error)) return;
        throw error;
      }
      if (stats.isSymbolicLink()) {
        throw new PlutoError(
          "INVALID_NAME",
          `Artifact path "${prefix}" is a symbolic link; artifacts never follow links. Remove the link.`,
          {
            details: { kind: "artifact", name },
          },
        );
      }
      const isDirectory = stats.isDirectory();
      if (!forPut) continue;
      if (count < segments.length && !isDirectory) throw nameClash(name, prefix);
      if (count === segments.length && isDirectory) {
        const [inside] = await this.#walk(root, prefix);
        if (inside !== undefined) throw nameClash(name, inside);
      }
    }
  }

  /** See {@link ArtifactStore.get}. When the metadata does not match the body, size and sha256 are recomputed. */
  async get(scope: Scope, name: string): Promise<{ info: ArtifactInfo; body: Uint8Array } | undefined> {
    const paths = this.#paths(scope, name);
    await this.#checkPath(paths.root, name, false);
    let body: Buffer;
    try {
      if (!(await lstat(paths.body)).isFile()) return undefined;
      body = await readFile(paths.body);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    const info = await this.#info(paths, name);
    const sha256 = sha256Hex(body);
    const fixed = info.sha256 === sha256 ? info : { ...info, size: body.byteLength, sha256 };
    return { info: fixed, body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
  }

  /** Reads the metadata file, or builds metadata from the body when it is missing or unreadable. */
  async #info(paths: { body: string; meta: string }, name: string): Promise<ArtifactInfo> {
    try {
      const parsed = JSON.parse(await readFile(paths.meta, "utf8")) as ArtifactInfo;
      if (typeof parsed.sha256 === "string" && typeof parsed.size === "number") {
        return {
          name,
          size: parsed.size,
          mediaType: typeof parsed.mediaType === "string" ? parsed.mediaType : DEFAULT_MEDIA_TYPE,
          sha256: parsed.sha256,
          createdAt: typeof parsed.createdAt === "string" ? parsed.createdAt : new Date(0).toISOString(),
          metadata: typeof parsed.metadata === "object" && parsed.metadata !== null ? parsed.metadata : {},
        };
      }
    } catch (error) {
      if (!isMissing(error) && !(error instanceof SyntaxError)) throw error;
    }
    const body = await readFile(paths.body);
    const stats = await lstat(paths.body);
    return {
      name,
      size: body.byteLength,
      mediaType: DEFAULT_MEDIA_TYPE,
      sha256: sha256Hex(body),
      createdAt: stats.mtime.toISOString(),
      metadata: {},
    };
  }

  /** Artifact names under `root/folder`, sorted; skips entries starting with '.' (metadata, temp files) and unsafe names. */
  async #walk(root: string, folder: string): Promise<string[]> {
    let entries: Dirent[];
    try {
      entries = await readdir(join(root, folder), { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    const names: string[] = [];
    for (const entry of entries) {
      if (!isSafeName(entry.name)) continue;
      const name = folder === "" ? entry.name : `${folder}/${entry.name}`;
      if (entry.isDirectory()) names.push(...(await this.#walk(root, name)));
      else if (entry.isFile()) names.push(name);
    }
    return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** See {@link ArtifactStore.list}. Only folders that can contain the prefix are walked. */
  async list(scope: Scope, options?: { prefix?: string }): Promise<ArtifactInfo[]> {
    const root = scopeDirectory(this.#dataDir, checkScope(scope), "artifacts");
    const prefix = checkPrefix(options?.prefix);
    const folder = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : "";
    if (folder !== "" && !folder.split("/").every(isSafeName)) return [];
    const names = (await this.#walk(root, folder)).filter((name) => name.startsWith(prefix));
    const infos = await Promise.all(
      names.map((name) =>
        this.#info({ body: join(root, name), meta: join(root, META, `${name}.json`) }, name),
      ),
    );
    return infos.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** See {@link ArtifactStore.delete}. Empty folders left behind are removed. */
  async delete(scope: Scope, name: string): Promise<void> {
    const paths = this.#paths(scope, name);
    await this.#lock.run(paths.root, async () => {
      await this.#checkPath(paths.root, name, false);
      for (const path of [paths.meta, paths.body]) {
        try {
          if ((await lstat(path)).isDirectory()) continue;
          await unlink(path);
          if (this.#fsync) await fsyncDirectory(dirname(path));
        } catch (error) {
          if (!isMissing(error)) throw error;
        }
        await this.#pruneEmpty(dirname(path), paths.root);
      }
    });
  }

  /** Removes `directory` and its parents while empty, stopping at `root`. */
  async #pruneEmpty(directory: string, root: string): Promise<void> {
    for (
      let current = directory;
      relative(root, current) !== "" && !relative(root, current).startsWith(`..${sep}`);
      current = dirname(current)
    ) {
      if (current === join(root, META)) return;
      try {
        await rmdir(current);
      } catch {
        return;
      }
    }
  }
}
