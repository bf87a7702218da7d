/**
 * Measures the prompt scaffolding Pluto adds around the user's own prompt files: runs one turn of an
 * agent whose SYSTEM_PROMPT.md is one line and whose INSTRUCTIONS.md is empty, captures the OpenAI
 * Responses request Pluto sends to the fake model, and counts what is not the user's own text.
 */
import { startFakeModel } from "../test/support/fake-model/fake-model.js";
import { postRun } from "./http-load.js";
import { createProject, startPluto } from "./servers.js";

/**
 * @typedef {object} Tokenizer
 * @property {string} name how tokens are counted, for the report
 * @property {(text: string) => number} count
 */

/**
 * The o200k_base tokenizer from the `gpt-tokenizer` package when installed, else chars/4.
 * @returns {Promise<Tokenizer>}
 */
export async function loadTokenizer() {
  try {
    const { encode } = await import("gpt-tokenizer/encoding/o200k_base");
    return { name: "o200k_base (gpt-tokenizer)", count: (text) => encode(text).length };
  } catch {
    return { name: "chars/4 (gpt-tokenizer is not installed)", count: (text) => Math.ceil(text.length / 4) };
  }
}

/** @param {unknown} content a message's content: a string or an array of `{type, text}` parts */
function textOf(content) {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) =>
      typeof part === "object" && part !== null && typeof part.text === "string" ? part.text : "",
    )
    .join("");
}

/**
 * @typedef {object} ScaffoldingResult
 * @property {string} tokenizer
 * @property {string} systemPrompt the agent's SYSTEM_PROMPT.md (INSTRUCTIONS.md is empty)
 * @property {string} input the user's message
 * @property {string} systemText every system/developer text Pluto sent (instructions + system messages)
 * @property {number} addedChars characters of `systemText` beyond the user's prompt files
 * @property {number} addedTokens tokens of `systemText` minus tokens of the user's prompt files
 * @property {string} addedText `systemText` with the user's prompt text cut out (what Pluto added)
 * @property {number} userWrapperChars characters of the user message beyond the input itself
 * @property {number} toolsTokens tokens of the tool definitions as sent (JSON)
 * @property {Array<{ name: string; tokens: number }>} tools per tool definition
 * @property {number} requestTokens tokens of the whole request body (JSON)
 */

/**
 * @param {import("./processes.js").Resources} resources
 * @param {Tokenizer} tokenizer
 * @returns {Promise<ScaffoldingResult>}
 */
export async function measureScaffolding(resources, tokenizer) {
  const fake = await startFakeModel({ defaultTurn: { text: "4" }, recordRequests: true });
  resources.onCleanup(() => fake.close());
  const systemPrompt = "You are a terse assistant.";
  const input = "What is 2 + 2?";
  const project = createProject(resources, {
    agent: "scaffold",
    fsync: "batch",
    systemPrompt: `${systemPrompt}\n`,
    instructions: "",
  });
  const server = await startPluto(resources, { project, fakeUrl: fake.url });
  try {
    await postRun(`${server.url}/api/v1/agents/scaffold/runs`, input, undefined);
  } finally {
    await server.stop();
  }
  const request = fake.requests.find((entry) => entry.format === "openai-responses");
  if (request === undefined) throw new Error("Pluto sent no OpenAI Responses request to the fake model");
  const body = request.body;
  const items = Array.isArray(body.input) ? body.input : [];
  /** @type {string[]} */
  const systemTexts = typeof body.instructions === "string" ? [body.instructions] : [];
  /** @type {string[]} */
  const userTexts = [];
  for (const item of items) {
    if (typeof item !== "object" || item === null) continue;
    if (item.role === "system" || item.role === "developer") systemTexts.push(textOf(item.content));
    else if (item.role === "user") userTexts.push(textOf(item.content));
  }
  const systemText = systemTexts.join("\n\n");
  const addedText = systemText.replace(systemPrompt, "");
  const tools = Array.isArray(body.tools) ? body.tools : [];
  return {
    tokenizer: tokenizer.name,
    systemPrompt,
    input,
    systemText,
    addedChars: systemText.length - (systemText.includes(systemPrompt) ? systemPrompt.length : 0),
    addedTokens: tokenizer.count(systemText) - tokenizer.count(systemPrompt),
    addedText,
    userWrapperChars: userTexts.join("").length - input.length,
    toolsTokens: tools.length === 0 ? 0 : tokenizer.count(JSON.stringify(tools)),
    tools: tools.map((tool) => ({
      name: String(tool?.name ?? tool?.function?.name ?? "?"),
      tokens: tokenizer.count(JSON.stringify(tool)),
    })),
    requestTokens: tokenizer.count(JSON.stringify(body)),
  };
}
