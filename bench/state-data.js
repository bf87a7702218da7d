/**
 * Deterministic test data for the state benchmark: session events shaped like a real run's, daily
 * memory notes from a varied vocabulary, and artifact bodies. Every generator takes a seeded
 * {@link Random}, so two runs of the benchmark store the same bytes.
 */
import { addBullet, renderEmptyDay } from "../dist/services/memory/day-note.js";

/** A seeded pseudo-random source (mulberry32): `next()` in [0, 1). */
export class Random {
  #state;
  /** @param {number} seed any 32-bit integer */
  constructor(seed) {
    this.#state = seed >>> 0;
  }
  next() {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [min, max]. @param {number} min @param {number} max */
  int(min, max) {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  /**
   * An element, earlier ones more likely (roughly Zipf: weight 1/(rank+1)), so some words are common
   * and others rare, as in real notes. @template T @param {readonly T[]} items
   */
  pick(items) {
    const u = this.next();
    const index = Math.floor((items.length + 1) ** u) - 1;
    return /** @type {T} */ (items[Math.min(items.length - 1, Math.max(0, index))]);
  }
}

const PEOPLE =
  "Alice Bjørn Chen Dara Emeka Farah Giulia Hiroshi Inès Jonas Kavya Lukas Maya Nadia Oren Priya Quentin Rosa Sven Tomás Uma Viktor Wen Ximena Yusuf Zofia Amara Bruno Chiara Dmitri Elif Fatima Gustav Hana Ivan Jia Kofi Lena Mateo Noor".split(
    " ",
  );
const TOOLS =
  "PostgreSQL Redis Kafka Kubernetes Terraform Grafana Prometheus S3 Docker nginx Vite React Svelte Rust Go Python TypeScript GraphQL gRPC Elasticsearch ClickHouse SQLite DuckDB Airflow dbt Snowflake Sentry Datadog Vault Consul Envoy Istio Helm ArgoCD Jenkins pnpm Bun Deno Tailwind Storybook Playwright Cypress Vitest Pulumi OpenTelemetry Temporal RabbitMQ MinIO Caddy Traefik".split(
    " ",
  );
const PROJECTS =
  "billing onboarding search checkout analytics mobile-app invoicing payroll warehouse notifications auth admin-console public-api recommendations reporting fraud-detection support-portal marketing-site data-pipeline inventory".split(
    " ",
  );
const CITIES =
  "Oslo Lisbon Nairobi Montreal Osaka Berlin Austin Bangalore Lagos Valparaíso Tallinn Hanoi Kraków Dublin Medellín Reykjavík".split(
    " ",
  );
const PREFERENCES = [
  "short answers",
  "bullet points over prose",
  "metric units",
  "ISO dates",
  "dark mode dashboards",
  "morning meetings",
  "tea over coffee",
  "async status updates",
  "no meetings on Fridays",
  "British spelling",
  "code samples in TypeScript",
  "weekly summaries by email",
  "plain-text emails",
  "video calls with cameras off",
  "detailed changelogs",
  "Slack threads over DMs",
];
const REASONS = [
  "it is cheaper",
  "the team already knows it",
  "latency dropped by half in the trial",
  "it scales better",
  "vendor support is better",
  "the licence changed",
  "it has fewer moving parts",
  "the security review passed",
  "migration risk is low",
  "the benchmark favoured it",
];
const WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday".split(" ");
const MONTHS = "January February March April May June July August September October November December".split(
  " ",
);

/**
 * One note line in the voice of an assistant's daily memory.
 * @param {Random} random
 * @param {"Decisions Made" | "Preferences Learned" | "Facts Stored"} section
 */
function noteText(random, section) {
  const person = () => random.pick(PEOPLE);
  const tool = () => random.pick(TOOLS);
  const project = () => random.pick(PROJECTS);
  const ticket = () => `PLU-${random.int(100, 9999)}`;
  const date = () =>
    `2027-${String(random.int(1, 12)).padStart(2, "0")}-${String(random.int(1, 28)).padStart(2, "0")}`;
  const templates = {
    "Decisions Made": [
      () => `Use ${tool()} for ${project()} because ${random.pick(REASONS)}.`,
      () => `Move the ${project()} standup to ${random.pick(WEEKDAYS)} at ${random.int(8, 17)}:00.`,
      () => `Postpone the ${project()} release to ${date()} (${ticket()}).`,
      () => `${person()} owns ${project()} from now on; ${person()} reviews.`,
      () => `Drop ${tool()} from ${project()} and replace it with ${tool()}.`,
      () => `Migrate ${project()} from ${tool()} to ${tool()} in Q${random.int(1, 4)}.`,
      () => `Budget for ${project()} capped at ${random.int(5, 250)}k EUR this quarter.`,
    ],
    "Preferences Learned": [
      () => `${person()} prefers ${random.pick(PREFERENCES)}.`,
      () => `${person()} dislikes ${random.pick(PREFERENCES)}.`,
      () => `For ${project()} reports, ${person()} wants ${random.pick(PREFERENCES)}.`,
      () => `${person()} likes ${tool()} examples when learning about ${project()}.`,
    ],
    "Facts Stored": [
      () => `${person()} is based in ${random.pick(CITIES)}.`,
      () => `${project()} deadline is ${date()}.`,
      () => `${tool()} version in production for ${project()} is ${random.int(1, 17)}.${random.int(0, 30)}.`,
      () =>
        `Ticket ${ticket()} tracks the ${project()} ${random.pick(["outage", "regression", "refactor", "upgrade", "audit"])}.`,
      () => `${person()}'s birthday is ${random.pick(MONTHS)} ${random.int(1, 28)}.`,
      () => `On-call for ${project()} this week: ${person()}, then ${person()}.`,
      () => `The ${project()} cluster runs ${random.int(3, 120)} nodes in ${random.pick(CITIES)}.`,
    ],
  };
  const options = templates[section];
  return /** @type {() => string} */ (options[random.int(0, options.length - 1)])();
}

/** @type {Array<"Decisions Made" | "Preferences Learned" | "Facts Stored">} */
const SECTIONS = ["Decisions Made", "Preferences Learned", "Facts Stored"];

/**
 * The Markdown of one day's note in the seed's format with 10-20 bullets across the three sections,
 * built with the same `addBullet` the stores use.
 * @param {Random} random @param {string} day `YYYY-MM-DD`
 */
export function dayNote(random, day) {
  let markdown = renderEmptyDay(day);
  const bullets = random.int(10, 20);
  for (let n = 0; n < bullets; n++) {
    const section = /** @type {(typeof SECTIONS)[number]} */ (SECTIONS[random.int(0, 2)]);
    markdown = addBullet(markdown, day, section, noteText(random, section));
  }
  return markdown;
}

/**
 * `count` consecutive days ending on 2026-11-21, oldest first.
 * @param {number} count
 * @returns {string[]}
 */
export function daysEndingYesterday(count) {
  const last = Date.UTC(2026, 10, 21);
  const days = [];
  for (let n = count - 1; n >= 0; n--) days.push(new Date(last - n * 86_400_000).toISOString().slice(0, 10));
  return days;
}

/** The curated long-term document of the generated agent. */
export const LONG_TERM_MARKDOWN = `# Memory

- The team ships ${PROJECTS.slice(0, 5).join(", ")}.
- ${PEOPLE[0]} is the product lead; ${PEOPLE[1]} runs infrastructure.
- Production runs on ${TOOLS[3]} with ${TOOLS[0]} and ${TOOLS[1]}.
`;

/**
 * The search queries measured, by kind: common and rare words, several words, a question, a prefix,
 * a typo, a ticket id and a word that is nowhere.
 */
export const QUERIES = [
  { kind: "very common word", query: "prefers" },
  { kind: "common word", query: "release" },
  { kind: "rare name", query: "Reykjavík" },
  { kind: "person", query: "Noor" },
  { kind: "two words", query: "billing deadline" },
  { kind: "question", query: "what did we decide about Kubernetes for search" },
  { kind: "prefix", query: "migra" },
  { kind: "typo", query: "kubernets" },
  { kind: "ticket id", query: "PLU-4821" },
  { kind: "absent", query: "xylophone" },
];

/**
 * A pool of events shaped like one run's (start, steps with text deltas, a tool call and result,
 * step ends, the end), cycled by the append benchmarks. Sizes vary from about 150 to 600 bytes of JSON.
 * @param {Random} random @param {string} runId @param {number} count
 * @returns {import("../dist/core/events.js").RunEvent[]}
 */
export function runEvents(random, runId, count) {
  const time = "2026-11-22T10:00:00.000Z";
  const usage = { inputTokens: 1200, outputTokens: 85, totalTokens: 1285 };
  /** @type {import("../dist/core/events.js").RunEvent[]} */
  const events = [];
  let step = 1;
  for (let n = 0; events.length < count; n++) {
    const phase = n % 12;
    const project = random.pick(PROJECTS);
    if (phase === 0)
      events.push({
        type: "run-start",
        runId,
        time,
        agent: "bench",
        input: `Summarise the ${project} status for ${random.pick(PEOPLE)} and list open tickets.`,
        model: "openai/gpt-5-mini",
      });
    else if (phase === 1) events.push({ type: "step-start", runId, time, step, model: "openai/gpt-5-mini" });
    else if (phase === 2)
      events.push({
        type: "tool-call",
        runId,
        time,
        step,
        toolCallId: `call_${random.int(1e6, 9e6)}`,
        toolName: "memory_search",
        input: { query: `${project} deadline`, limit: 10 },
      });
    else if (phase === 3)
      events.push({
        type: "tool-result",
        runId,
        time,
        step,
        toolCallId: `call_${random.int(1e6, 9e6)}`,
        toolName: "memory_search",
        content: Array.from({ length: random.int(1, 4) }, () => noteText(random, "Facts Stored")).join("\n"),
        isError: false,
      });
    else if (phase === 10) events.push({ type: "step-end", runId, time, step, finishReason: "stop", usage });
    else if (phase === 11) {
      events.push({ type: "run-end", runId, time, status: "completed", usage, steps: step });
      step += 1;
    } else
      events.push({ type: "text-delta", runId, time, step, text: `${noteText(random, "Decisions Made")} ` });
  }
  return events;
}
