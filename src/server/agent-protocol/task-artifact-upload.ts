import type { Context } from "hono";
import { PlutoError } from "../../core/errors.js";

/**
 * Multipart artifact uploads of the Agent Protocol (`ArtifactUpload`: a `file` part and an optional
 * `relative_path` field) and the names Pluto derives from them.
 */

/** A parsed upload. `fileName` is the client's name (checked), `relativePath` `null` when absent. */
export interface ArtifactUpload {
  bytes: Uint8Array;
  fileName: string;
  relativePath: string | null;
  mediaType: string;
}

/** Longest accepted file name, in characters (common filesystem limit). */
const MAX_FILE_NAME = 255;
/** Longest accepted relative path, in characters. */
const MAX_RELATIVE_PATH = 512;
/** True when `text` has a control character (C0 including NUL, DEL, C1): never part of a file name. */
function hasControl(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

function invalidName(message: string, field: string, value: string): PlutoError {
  return new PlutoError("INVALID_NAME", message, { details: { field, name: value.slice(0, 200) } });
}

/**
 * Checks an uploaded file's name: one path segment, 1-255 characters, no `/` or `\`, no control
 * characters or NUL, not `.` or `..`. Spaces and non-ASCII letters are fine (they are kept for the
 * API and `Content-Disposition`; the stored name is {@link storedFileName}).
 * @throws PlutoError `INVALID_NAME`.
 */
export function checkFileName(name: string): string {
  if (
    name.length === 0 ||
    name.length > MAX_FILE_NAME ||
    name.includes("/") ||
    name.includes("\\") ||
    hasControl(name) ||
    name === "." ||
    name === ".."
  ) {
    throw invalidName(
      `Invalid file name ${JSON.stringify(name.slice(0, 80))}: send a plain file name of 1-${MAX_FILE_NAME} characters without '/', '\\', control characters, '.' or '..'; put folders in relative_path.`,
      "file",
      name,
    );
  }
  return name;
}

/**
 * Checks `relative_path` ("relative path of the artifact in the agent's workspace", e.g. `python/code/`):
 * at most 512 characters, no leading `/`, no `\`, no drive letters, no control characters, no `.` or `..`
 * segments, no empty segments except one trailing `/`. An empty string means absent.
 * @returns the path as sent, or `null` when absent or empty.
 * @throws PlutoError `INVALID_NAME`.
 */
export function checkRelativePath(path: string | undefined): string | null {
  if (path === undefined || path === "") return null;
  const segments = (path.endsWith("/") ? path.slice(0, -1) : path).split("/");
  const ok =
    path.length <= MAX_RELATIVE_PATH &&
    !path.startsWith("/") &&
    !path.includes("\\") &&
    !/^[A-Za-z]:/.test(path) &&
    !hasControl(path) &&
    segments.every((segment) => segment !== "" && segment !== "." && segment !== "..");
  if (!ok) {
    throw invalidName(
      `Invalid relative_path ${JSON.stringify(path.slice(0, 80))}: use folders relative to the workspace such as "python/code/", with no leading '/', no '\\', no '.' or '..' segments, at most ${MAX_RELATIVE_PATH} characters.`,
      "relative_path",
      path,
    );
  }
  return path;
}

/**
 * The artifact-store segment for a checked file name: characters outside letters, digits, `.`, `_`,
 * `-` become `_`, leading non-alphanumerics are dropped, at most 128 characters; `file` when nothing is left.
 */
export function storedFileName(fileName: string): string {
  const safe = fileName
    .replace(/[^A-Za-z0-9._-]/g, "_")
    .replace(/^[^A-Za-z0-9]+/, "")
    .replace(/\.{2,}/g, ".")
    .slice(0, 128);
  return safe === "" ? "file" : safe;
}

/**
 * `Content-Disposition: attachment` for a download (RFC 6266): an ASCII `filename` fallback and the
 * exact name as RFC 8187 `filename*`.
 */
export function contentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeRFC8187(fileName)}`;
}

function encodeRFC8187(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Reads a `multipart/form-data` upload with a `file` part and an optional `relative_path` field.
 * @throws PlutoError `BAD_REQUEST` for another content type, a malformed body or a missing `file`;
 * `INVALID_NAME` for a hostile file name or relative path.
 */
export async function readArtifactUpload(context: Context): Promise<ArtifactUpload> {
  const type = context.req.header("content-type") ?? "";
  if (!/^multipart\/form-data\b/i.test(type)) {
    throw new PlutoError(
      "BAD_REQUEST",
      "Upload the artifact as multipart/form-data with a `file` part (and optionally a `relative_path` field).",
      { details: { contentType: type.slice(0, 200) } },
    );
  }
  let form: FormData;
  try {
    form = await context.req.raw.formData();
  } catch (error) {
    if (error instanceof PlutoError) throw error;
    throw new PlutoError(
      "BAD_REQUEST",
      "The multipart body is malformed; send it with a multipart/form-data client.",
      {
        cause: error,
      },
    );
  }
  const file = form.get("file");
  if (file === null || typeof file === "string") {
    throw new PlutoError(
      "BAD_REQUEST",
      "The upload has no `file` part; send the bytes as a file part named `file`.",
      {
        details: { field: "file" },
      },
    );
  }
  const relativePath = form.get("relative_path");
  if (relativePath !== null && typeof relativePath !== "string") {
    throw new PlutoError("BAD_REQUEST", "relative_path must be a text field, not a file.", {
      details: { field: "relative_path" },
    });
  }
  return {
    bytes: new Uint8Array(await file.arrayBuffer()),
    fileName: checkFileName(file.name),
    relativePath: checkRelativePath(relativePath ?? undefined),
    mediaType: file.type === "" ? "application/octet-stream" : file.type,
  };
}
