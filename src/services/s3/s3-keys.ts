import type { Scope } from "../../core/scope.js";

/**
 * The object keys of the S3 artifact store, from a checked scope and artifact name:
 * - artifact: `<root><tenant>/<agent>/<name>`;
 * - metadata sidecar: `<root>.meta/<tenant>/<agent>/<name>/<sha256>.json`.
 * `root` is `""` or the configured prefix with a trailing `/`. Tenants never start with `.`, so the
 * `.meta` tree never overlaps an artifact key.
 */
export class S3Keys {
  readonly #root: string;

  /** @param root `""` or a prefix ending in `/`. */
  constructor(root: string) {
    this.#root = root;
  }

  /** `<root><tenant>/<agent>/`: the prefix of every artifact of a scope. */
  scope(scope: Scope): string {
    return `${this.#root}${scope.tenant}/${scope.agent}/`;
  }

  /** The key of an artifact's body. */
  object(scope: Scope, name: string): string {
    return `${this.scope(scope)}${name}`;
  }

  /** The artifact name of a key listed under {@link scope}. */
  name(scope: Scope, key: string): string {
    return key.slice(this.scope(scope).length);
  }

  /** The folder holding every sidecar version of one artifact, ending in `/`. */
  sidecarFolder(scope: Scope, name: string): string {
    return `${this.#root}.meta/${scope.tenant}/${scope.agent}/${name}/`;
  }

  /** The key of one sidecar version, addressed by the hex SHA-256 of its JSON. */
  sidecar(scope: Scope, name: string, sha256: string): string {
    return `${this.sidecarFolder(scope, name)}${sha256}.json`;
  }
}
