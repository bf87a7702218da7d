/**
 * Finds a mistyped part in an A2A message before the SDK's decoder sees it: the decoder turns
 * `{"text": 5}` into the text "5" (and an object into "[object Object]") instead of refusing it.
 * Checks every `parts[]` entry of `message` (v1.0 and v0.3 shapes): `text` must be a string,
 * `data` an object, a `file`/`raw`/`url` an object or string as the specs define.
 * @returns a one-line problem, or `undefined` when the parts are well-typed (or absent).
 */
export function mistypedPart(message: unknown): string | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const parts = (message as { parts?: unknown }).parts;
  if (parts === undefined) return undefined;
  if (!Array.isArray(parts)) return "message.parts must be an array";
  for (const [index, part] of parts.entries()) {
    if (typeof part !== "object" || part === null || Array.isArray(part)) {
      return `message.parts[${index}] must be an object`;
    }
    const record = part as Record<string, unknown>;
    if ("text" in record && typeof record.text !== "string")
      return `message.parts[${index}].text must be a string`;
    if ("data" in record && (typeof record.data !== "object" || record.data === null)) {
      return `message.parts[${index}].data must be an object`;
    }
    if ("file" in record && (typeof record.file !== "object" || record.file === null)) {
      return `message.parts[${index}].file must be an object`;
    }
  }
  return undefined;
}
