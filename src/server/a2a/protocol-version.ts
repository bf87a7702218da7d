/**
 * A2A protocol versions as sent in the `A2A-Version` header (A2A v1.0 specification, section 3.6.2:
 * `Major.Minor`; an absent header means 0.3).
 */

/** `Major.Minor` of a version string (`"1.0.0"` → `"1.0"`, `"1"` → `"1.0"`); other strings unchanged. */
export function normaliseVersion(version: string): string {
  const match = /^\s*(\d+)(?:\.(\d+))?(?:\.\d+)?\s*$/.exec(version);
  if (match === null) return version;
  return `${Number(match[1])}.${Number(match[2] ?? "0")}`;
}

/** True for versions in [0.3, 1.0), the range the v0.3 compatibility layer answers (as the SDK decides). */
export function isLegacyVersion(version: string): boolean {
  const match = /^(\d+)\.(\d+)$/.exec(normaliseVersion(version));
  if (match === null) return false;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  return major === 0 && minor >= 3;
}
