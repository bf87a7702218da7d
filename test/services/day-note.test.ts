import { describe, expect, it } from "vitest";
import { addBullet, renderEmptyDay } from "../../src/services/memory/day-note.js";

describe("day note Markdown", () => {
  it("renders a new day with all three sections", () => {
    expect(renderEmptyDay("2026-11-22")).toBe(
      "# 2026-11-22\n\n## Decisions Made\n\n## Preferences Learned\n\n## Facts Stored\n",
    );
  });

  it("adds the first bullet in the seed's exact format", () => {
    expect(addBullet(undefined, "2026-11-22", "Decisions Made", "text")).toBe(
      "# 2026-11-22\n\n## Decisions Made\n\n- text\n\n## Preferences Learned\n\n## Facts Stored\n",
    );
  });

  it("appends bullets at the end of the right section", () => {
    let markdown = addBullet(undefined, "2026-11-22", "Facts Stored", "f1");
    markdown = addBullet(markdown, "2026-11-22", "Decisions Made", "d1");
    markdown = addBullet(markdown, "2026-11-22", "Decisions Made", "d2");
    markdown = addBullet(markdown, "2026-11-22", "Facts Stored", "f2");
    markdown = addBullet(markdown, "2026-11-22", "Preferences Learned", "p1");
    expect(markdown).toBe(
      "# 2026-11-22\n\n## Decisions Made\n\n- d1\n- d2\n\n## Preferences Learned\n\n- p1\n\n## Facts Stored\n\n- f1\n- f2\n",
    );
  });

  it("preserves hand edits, appends missing sections, ignores headings in code fences", () => {
    const hand =
      "# 2026-11-22\nMy own intro.\n\n## decisions made\nSome prose I wrote.\n```\n## Facts Stored\n```\n\n### Sub\n* star item\n";
    const once = addBullet(hand, "2026-11-22", "Decisions Made", "d1");
    expect(once).toBe(
      "# 2026-11-22\nMy own intro.\n\n## decisions made\nSome prose I wrote.\n```\n## Facts Stored\n```\n\n### Sub\n* star item\n- d1\n",
    );
    const twice = addBullet(once, "2026-11-22", "Facts Stored", "f1");
    expect(twice).toBe(`${once}\n## Facts Stored\n\n- f1\n`);
  });

  it("keeps CRLF files CRLF and puts a blank line before a bullet that follows prose", () => {
    const crlf = "# 2026-11-22\r\n\r\n## Facts Stored\r\nprose\r\n";
    expect(addBullet(crlf, "2026-11-22", "Facts Stored", "x")).toBe(
      "# 2026-11-22\r\n\r\n## Facts Stored\r\nprose\r\n\r\n- x\r\n",
    );
  });
});
