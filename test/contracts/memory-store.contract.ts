import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Scope } from "../../src/core/scope.js";
import type { MemoryStore } from "../../src/services/memory/memory-store.js";
import { rejection } from "./session-store.contract.js";

/** What a contract factory returns: a fresh, empty store and how to dispose of it. */
export interface MemoryStoreFixture {
  store: MemoryStore;
  cleanup(): Promise<void>;
}

/**
 * Registers the {@link MemoryStore} contract: every backend must pass it unchanged, including the
 * exact Markdown of day files. `factory` is called before each test and must return an empty store.
 */
export function describeMemoryStoreContract(name: string, factory: () => Promise<MemoryStoreFixture>): void {
  describe(`MemoryStore contract: ${name}`, () => {
    let fixture: MemoryStoreFixture;
    let store: MemoryStore;
    const scope: Scope = { tenant: "default", agent: "assistant" };

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await store.close?.();
      await fixture.cleanup();
    });

    it("adds notes into sections of a day in the seed's exact Markdown", async () => {
      await store.add(scope, { day: "2026-11-22", section: "Decisions Made", text: "Use PostgreSQL" });
      expect(await store.read(scope, "2026-11-22")).toBe(
        "# 2026-11-22\n\n## Decisions Made\n\n- Use PostgreSQL\n\n## Preferences Learned\n\n## Facts Stored\n",
      );
      await store.add(scope, { day: "2026-11-22", section: "Facts Stored", text: "Office is in Oslo" });
      await store.add(scope, {
        day: "2026-11-22",
        section: "Preferences Learned",
        text: "Short answers\nplease",
      });
      await store.add(scope, { day: "2026-11-22", section: "Decisions Made", text: "Ship on Friday" });
      expect(await store.read(scope, "2026-11-22")).toBe(
        "# 2026-11-22\n\n## Decisions Made\n\n- Use PostgreSQL\n- Ship on Friday\n\n## Preferences Learned\n\n- Short answers please\n\n## Facts Stored\n\n- Office is in Oslo\n",
      );
    });

    it("keeps every note when adds to one day run concurrently", async () => {
      await Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          store.add(scope, { day: "2026-11-23", section: "Facts Stored", text: `fact ${n}` }),
        ),
      );
      const markdown = (await store.read(scope, "2026-11-23")) ?? "";
      for (let n = 0; n < 20; n++) expect(markdown).toContain(`- fact ${n}\n`);
    });

    it("writes and reads MEMORY and day documents verbatim", async () => {
      const markdown = "# Long-term memory\n\n- The user is called Ada 😀\n- שלום\n";
      await store.write(scope, "MEMORY", markdown);
      expect(await store.read(scope, "MEMORY")).toBe(markdown);
      await store.write(scope, "MEMORY", "replaced");
      expect(await store.read(scope, "MEMORY")).toBe("replaced");
      await store.write(scope, "2026-01-02", "imported day\n");
      expect(await store.read(scope, "2026-01-02")).toBe("imported day\n");
      await store.add(scope, { day: "2026-01-02", section: "Facts Stored", text: "added" });
      expect(await store.read(scope, "2026-01-02")).toBe("imported day\n\n## Facts Stored\n\n- added\n");
    });

    it("stores a 1 MB document", async () => {
      const markdown = `# Big\n\n${"- line of memory\n".repeat(65536)}`;
      await store.write(scope, "MEMORY", markdown);
      expect(await store.read(scope, "MEMORY")).toBe(markdown);
    });

    it("lists documents: days ascending, then MEMORY", async () => {
      expect(await store.list(scope)).toEqual([]);
      await store.write(scope, "MEMORY", "m");
      await store.add(scope, { day: "2026-11-22", section: "Facts Stored", text: "b" });
      await store.add(scope, { day: "2025-12-31", section: "Facts Stored", text: "a" });
      expect(await store.list(scope)).toEqual(["2025-12-31", "2026-11-22", "MEMORY"]);
    });

    it("returns undefined and [] for what does not exist", async () => {
      expect(await store.read(scope, "2026-11-22")).toBeUndefined();
      expect(await store.read(scope, "MEMORY")).toBeUndefined();
      expect(await store.search(scope, "anything")).toEqual([]);
    });

    it("searches ranked, with document, 1-based line and text", async () => {
      await store.add(scope, {
        day: "2026-11-20",
        section: "Preferences Learned",
        text: "User likes green tea",
      });
      await store.add(scope, {
        day: "2026-11-21",
        section: "Facts Stored",
        text: "User drinks tea with lemon",
      });
      await store.add(scope, { day: "2026-11-21", section: "Decisions Made", text: "Deploy with Docker" });
      await store.write(scope, "MEMORY", "# Memory\n\nThe user's favourite drink is GREEN tea.\n");
      const hits = await store.search(scope, "green tea");
      expect(hits.map(({ document, line, text }) => ({ document, line, text }))).toEqual([
        { document: "MEMORY", line: 3, text: "The user's favourite drink is GREEN tea." },
        { document: "2026-11-20", line: 7, text: "- User likes green tea" },
        { document: "2026-11-21", line: 11, text: "- User drinks tea with lemon" },
      ]);
      expect(hits[0]?.score).toBeGreaterThan(hits[2]?.score ?? 0);
      expect((await store.search(scope, "docker"))[0]).toMatchObject({ document: "2026-11-21", line: 5 });
      expect(await store.search(scope, "tea", { limit: 1 })).toHaveLength(1);
      expect(await store.search(scope, "kubernetes")).toEqual([]);
    });

    it("breaks score ties by recency: MEMORY, then later days, then later lines", async () => {
      await store.add(scope, { day: "2026-01-01", section: "Facts Stored", text: "alpha one" });
      await store.add(scope, { day: "2026-01-02", section: "Facts Stored", text: "alpha two" });
      await store.add(scope, { day: "2026-01-02", section: "Facts Stored", text: "alpha three" });
      const hits = await store.search(scope, "ALPHA");
      expect(hits.map((hit) => hit.text)).toEqual(["- alpha three", "- alpha two", "- alpha one"]);
    });

    it("returns [] for a blank or symbol-only query and rejects a bad limit", async () => {
      await store.add(scope, { day: "2026-11-22", section: "Facts Stored", text: "something" });
      expect(await store.search(scope, "")).toEqual([]);
      expect(await store.search(scope, "   \n\t")).toEqual([]);
      expect(await store.search(scope, "- ## !!")).toEqual([]);
      expect((await rejection(store.search(scope, "x", { limit: 0 }))).code).toBe("BAD_REQUEST");
    });

    it("isolates tenants and agents", async () => {
      const tenantB = { tenant: "tenant-b", agent: "assistant" };
      await store.add(scope, { day: "2026-11-22", section: "Facts Stored", text: "secret of default" });
      await store.write(tenantB, "MEMORY", "secret of b");
      expect(await store.read(tenantB, "2026-11-22")).toBeUndefined();
      expect(await store.read(scope, "MEMORY")).toBeUndefined();
      expect(await store.list(tenantB)).toEqual(["MEMORY"]);
      expect(await store.list({ tenant: "default", agent: "other" })).toEqual([]);
      expect((await store.search(tenantB, "secret")).map((hit) => hit.document)).toEqual(["MEMORY"]);
    });

    it("rejects bad document names, days, sections and text", async () => {
      for (const document of [
        "../MEMORY",
        "/etc/passwd",
        "a/b",
        "",
        "MEMORY\0",
        "memory",
        "2026-02-30",
        "2026-13-01",
        "2026-1-1",
        "MEMORY.md",
      ]) {
        expect((await rejection(store.read(scope, document))).code).toBe("INVALID_NAME");
        expect((await rejection(store.write(scope, document, "x"))).code).toBe("INVALID_NAME");
      }
      expect(
        (await rejection(store.add(scope, { day: "../x", section: "Facts Stored", text: "x" }))).code,
      ).toBe("INVALID_NAME");
      expect(
        (
          await rejection(
            store.add(scope, { day: "2026-11-22", section: "Nope" as "Facts Stored", text: "x" }),
          )
        ).code,
      ).toBe("BAD_REQUEST");
      expect(
        (await rejection(store.add(scope, { day: "2026-11-22", section: "Facts Stored", text: " \n " })))
          .code,
      ).toBe("BAD_REQUEST");
      for (const bad of [
        { tenant: "../x", agent: "a" },
        { tenant: "default", agent: "a/b" },
        { tenant: "default", agent: "" },
      ]) {
        expect((await rejection(store.list(bad))).code).toBe("INVALID_NAME");
        expect((await rejection(store.write(bad, "MEMORY", "x"))).code).toBe("INVALID_NAME");
      }
      expect(await store.list(scope)).toEqual([]);
    });
  });
}
