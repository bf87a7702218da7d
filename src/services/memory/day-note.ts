import { MEMORY_SECTIONS, type MemorySection } from "./memory-store.js";

/**
 * The Markdown of a daily note (DESIGN.md, State layout; the seed's format). A new day file is
 *
 * ```
 * # 2026-11-22
 *
 * ## Decisions Made
 *
 * - text
 *
 * ## Preferences Learned
 *
 * ## Facts Stored
 * ```
 *
 * (with a final newline). Both memory backends use these functions, so Markdown stays the source of
 * truth whatever the storage.
 */

/** The Markdown of an empty day: the day heading and all three section headings. */
export function renderEmptyDay(day: string): string {
  return `# ${day}\n\n${MEMORY_SECTIONS.map((section) => `## ${section}\n`).join("\n")}`;
}

/** True when a line is a level-2 heading for `section` (case-insensitive, surrounding spaces ignored). */
function isSectionHeading(line: string, section: MemorySection): boolean {
  const match = /^##[ \t]+(.*?)[ \t#]*$/.exec(line);
  return match !== null && match[1]?.trim().toLowerCase() === section.toLowerCase();
}

/** True when a line starts a level-1 or level-2 heading, which ends a section. */
function isSectionBoundary(line: string): boolean {
  return /^#{1,2}([ \t]|$)/.test(line);
}

/** True when a line opens or closes a fenced code block. */
function isFence(line: string): boolean {
  return /^[ \t]{0,3}(```|~~~)/.test(line);
}

/** True when a line is a list item, so a new bullet can follow it directly. */
function isListItem(line: string): boolean {
  return /^[ \t]*([-*+]|\d+[.)])[ \t]/.test(line);
}

/**
 * Adds `- text` as the last bullet of `section` in a day's Markdown, preserving everything else
 * byte for byte (including hand edits and CRLF line endings). When the section heading is missing
 * (hand-edited file) the section is appended at the end. Headings inside fenced code blocks are ignored.
 * @param markdown the current file, or `undefined` to start from {@link renderEmptyDay}.
 * @param text one line of text (already folded).
 * @returns the new Markdown, always ending with a newline.
 */
export function addBullet(
  markdown: string | undefined,
  day: string,
  section: MemorySection,
  text: string,
): string {
  const source = markdown ?? renderEmptyDay(day);
  const eol = source.includes("\r\n") ? "\r\n" : "\n";
  const lines = source.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  const bullet = `- ${text}`;

  let heading = -1;
  let inFence = false;
  let end = lines.length;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? "";
    if (isFence(line)) inFence = !inFence;
    if (inFence) continue;
    if (heading < 0 && isSectionHeading(line, section)) {
      heading = index;
    } else if (heading >= 0 && isSectionBoundary(line)) {
      end = index;
      break;
    }
  }

  if (heading < 0) {
    const tail = lines.length > 0 && lines.at(-1)?.trim() !== "" ? [""] : [];
    return [...lines, ...tail, `## ${section}`, "", bullet].join(eol) + eol;
  }
  let last = end - 1;
  while (last > heading && (lines[last] ?? "").trim() === "") last--;
  const insert = last === heading || !isListItem(lines[last] ?? "") ? ["", bullet] : [bullet];
  const after = end < lines.length ? [""] : [];
  return [...lines.slice(0, last + 1), ...insert, ...after, ...lines.slice(end)].join(eol) + eol;
}
