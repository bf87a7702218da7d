// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about the literal ${VAR} syntax
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { interpolate } from "../../src/config/interpolate.js";

const ok = (text: string, env: Record<string, string | undefined> = {}) => {
  const result = interpolate(text, env);
  if (!result.ok) throw new Error(`unexpected failure: ${result.message}`);
  return result.value;
};

describe("interpolate", () => {
  it("replaces ${VAR} and ${VAR:-default}", () => {
    expect(ok("${A}", { A: "1" })).toBe("1");
    expect(ok("x-${A}-${B:-two}-y", { A: "1" })).toBe("x-1-two-y");
    expect(ok("${B:-}", {})).toBe("");
    expect(ok("${B:-a:b/c d}", {})).toBe("a:b/c d");
  });

  it("uses the default when the variable is empty, but keeps an empty ${VAR}", () => {
    expect(ok("${A:-fallback}", { A: "" })).toBe("fallback");
    expect(ok("[${A}]", { A: "" })).toBe("[]");
  });

  it("$${ escapes, and other dollars stay as they are", () => {
    expect(ok("$${A}", { A: "no" })).toBe("${A}");
    expect(ok("price: $5, $HOME, $", { HOME: "/h" })).toBe("price: $5, $HOME, $");
    expect(interpolate("plain", {})).toEqual({ ok: true, value: "plain", changed: false });
  });

  it("values are not expanded again", () => {
    expect(ok("${A}", { A: "${B}", B: "deep" })).toBe("${B}");
  });

  it("reports a missing variable by name", () => {
    const result = interpolate("x ${DATABASE_URL} y", {});
    expect(result).toMatchObject({ ok: false, variable: "DATABASE_URL" });
    if (!result.ok) expect(result.fix).toContain("${DATABASE_URL:-value}");
  });

  it("rejects malformed references", () => {
    for (const text of ["${", "${A", "${}", "${1A}", "${A-B}", "${A:?x}", "${ A }", "${A:-x"]) {
      expect(interpolate(text, { A: "1" }).ok, text).toBe(false);
    }
  });

  it("never throws and leaves text without `${` unchanged (property)", () => {
    fc.assert(
      fc.property(fc.string(), fc.dictionary(fc.string(), fc.string()), (text, env) => {
        const result = interpolate(text, env);
        if (!text.includes("${")) expect(result).toMatchObject({ ok: true, value: text });
      }),
    );
  });

  it("escaping every `${` with `$${` round-trips any text (property)", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(
          ok(
            text.replaceAll("${", () => "$${"),
            {},
          ),
        ).toBe(text);
      }),
    );
  });
});
