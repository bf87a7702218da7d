#!/usr/bin/env node
/**
 * Runs the fake model as its own process, for end-to-end tests and the benchmark:
 *
 *   node test/support/fake-model/main.js [--port 0] [--script turns.json] [--loop] [--record] [--log]
 *
 * Prints one JSON line `{"url": "http://127.0.0.1:<port>"}` on stdout once listening, then serves until
 * SIGTERM/SIGINT. `--port` (or env FAKE_MODEL_PORT) defaults to 0 (a free port). `--script` names a JSON
 * file holding either an array of turns or `{"turns": [...], "defaultTurn": {...}, "loop": true}`;
 * without it every request gets the default echo turn. `--loop` cycles through the scripted turns
 * forever. Requests are recorded only with `--record` (then `GET /__fake/requests` returns them), and
 * logged to stderr only with `--log`, so the benchmark measures nothing but the answers.
 * More turns can be queued at run time with `POST /__fake/turns` (a JSON array).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startFakeModel } from "./fake-model.js";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    script: { type: "string" },
    loop: { type: "boolean", default: false },
    record: { type: "boolean", default: false },
    log: { type: "boolean", default: false },
  },
});

/** @type {{ turns?: import("./fake-model.js").FakeTurn[]; defaultTurn?: import("./fake-model.js").FakeTurn; loop?: boolean }} */
let script = {};
if (values.script !== undefined) {
  const parsed = JSON.parse(readFileSync(values.script, "utf8"));
  script = Array.isArray(parsed) ? { turns: parsed } : parsed;
}

const port = Number(values.port ?? process.env.FAKE_MODEL_PORT ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`fake model: invalid port ${values.port ?? process.env.FAKE_MODEL_PORT}\n`);
  process.exit(2);
}

const fake = await startFakeModel({
  port,
  turns: script.turns ?? [],
  loop: values.loop || script.loop === true,
  recordRequests: values.record,
  ...(script.defaultTurn === undefined ? {} : { defaultTurn: script.defaultTurn }),
  ...(values.log ? { log: (line) => process.stderr.write(`${line}\n`) } : {}),
});
process.stdout.write(`${JSON.stringify({ url: fake.url })}\n`);

const stop = () => {
  fake.close().then(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
