/**
 * The four provider wire formats the fake model speaks, as pure functions from a scripted turn to
 * the frames written on the wire. Shapes follow the providers' API references and the recorded
 * streams in `../shared/corpus/provider-streams` (SOURCES.md there):
 * - OpenAI Chat Completions: `data: {chat.completion.chunk}` SSE lines, a `choices: []` usage chunk
 *   when `stream_options.include_usage` is set, then `data: [DONE]`.
 * - OpenAI Responses: `event: <type>` + `data: {...}` SSE frames from `response.created` to
 *   `response.completed`.
 * - Anthropic Messages: `event: <type>` + `data: {...}` frames from `message_start` to `message_stop`.
 * - Ollama `/api/chat`: NDJSON objects, the last one with `done: true` and eval counts.
 */

/** @typedef {import("./fake-model.js").FakeTurn} FakeTurn */
/** @typedef {import("./fake-model.js").FakeFormat} FakeFormat */

/**
 * A turn with defaults applied: text and reasoning as chunk arrays, tool calls with ids and inputs.
 * @typedef {object} PlayableTurn
 * @property {string[]} text
 * @property {string[]} reasoning
 * @property {{ id: string; name: string; input: unknown }[]} toolCalls
 * @property {{ inputTokens: number; outputTokens: number; reasoningTokens: number; cachedInputTokens: number }} usage
 * @property {"stop" | "length" | "tool-calls"} finishReason
 * @property {{ message: string; code?: string } | undefined} streamError
 * @property {string} model
 * @property {string} id
 */

/** Content types per format, as the real APIs send them. */
export const STREAM_CONTENT_TYPE = {
  "openai-chat": "text/event-stream; charset=utf-8",
  "openai-responses": "text/event-stream; charset=utf-8",
  anthropic: "text/event-stream; charset=utf-8",
  ollama: "application/x-ndjson",
};

/** @param {string} type @param {unknown} data */
function namedEvent(type, data) {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** @param {unknown} data */
function dataEvent(data) {
  return `data: ${JSON.stringify(data)}\n\n`;
}

/** Splits a tool call's JSON arguments in two, so clients must join `arguments` deltas. @param {string} json */
function splitArguments(json) {
  if (json.length < 2) return [json];
  const middle = Math.floor(json.length / 2);
  return [json.slice(0, middle), json.slice(middle)];
}

/** @param {PlayableTurn} turn */
function chatUsage(turn) {
  const { usage } = turn;
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** @param {PlayableTurn} turn */
function chatFinishReason(turn) {
  return turn.finishReason === "tool-calls" ? "tool_calls" : turn.finishReason;
}

/**
 * OpenAI Chat Completions stream frames.
 * @param {PlayableTurn} turn
 * @param {Record<string, unknown>} body the request body (for `stream_options.include_usage`)
 * @returns {string[]}
 */
export function openaiChatStream(turn, body) {
  const created = Math.floor(Date.now() / 1000);
  /** @param {Record<string, unknown>} delta @param {string | null} finishReason */
  const chunk = (delta, finishReason = null) =>
    dataEvent({
      id: turn.id,
      object: "chat.completion.chunk",
      created,
      model: turn.model,
      system_fingerprint: "fp_fake",
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      usage: null,
    });
  const frames = [chunk({ role: "assistant", content: "", refusal: null })];
  // DeepSeek/xAI/vLLM send `reasoning_content`; OpenRouter sends `reasoning` plus `reasoning_details`
  // (corpus: deepseek-tool-call.chunks.txt, test_openrouter_stream_error.yaml). Clients read one of them.
  for (const piece of turn.reasoning) {
    frames.push(
      chunk({
        reasoning_content: piece,
        reasoning: piece,
        reasoning_details: [{ type: "reasoning.text", text: piece, index: 0, format: null }],
      }),
    );
  }
  for (const piece of turn.text) frames.push(chunk({ content: piece }));
  turn.toolCalls.forEach((call, index) => {
    frames.push(
      chunk({
        tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }],
      }),
    );
    for (const piece of splitArguments(JSON.stringify(call.input))) {
      frames.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  });
  if (turn.streamError) {
    frames.push(
      dataEvent({
        error: {
          message: turn.streamError.message,
          type: turn.streamError.code ?? "server_error",
          param: null,
          code: turn.streamError.code ?? null,
        },
      }),
    );
    return frames;
  }
  frames.push(chunk({}, chatFinishReason(turn)));
  const streamOptions = /** @type {{ include_usage?: boolean } | undefined} */ (body.stream_options);
  const usageOption = /** @type {{ include?: boolean } | undefined} */ (body.usage);
  if (streamOptions?.include_usage === true || usageOption?.include === true) {
    frames.push(
      dataEvent({
        id: turn.id,
        object: "chat.completion.chunk",
        created,
        model: turn.model,
        choices: [],
        usage: chatUsage(turn),
      }),
    );
  }
  frames.push("data: [DONE]\n\n");
  return frames;
}

/** OpenAI Chat Completions non-streaming body. @param {PlayableTurn} turn */
export function openaiChatJson(turn) {
  /** @type {Record<string, unknown>} */
  const message = {
    role: "assistant",
    content: turn.text.length > 0 ? turn.text.join("") : null,
    refusal: null,
    annotations: [],
  };
  if (turn.reasoning.length > 0) message.reasoning_content = turn.reasoning.join("");
  if (turn.toolCalls.length > 0) {
    message.tool_calls = turn.toolCalls.map((call) => ({
      id: call.id,
      type: "function",
      function: { name: call.name, arguments: JSON.stringify(call.input) },
    }));
  }
  return {
    id: turn.id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: turn.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: chatFinishReason(turn) }],
    usage: chatUsage(turn),
    service_tier: "default",
    system_fingerprint: "fp_fake",
  };
}

/** @param {PlayableTurn} turn */
function responsesUsage(turn) {
  const { usage } = turn;
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: { cached_tokens: usage.cachedInputTokens },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens },
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

/** The Responses API output items of a turn, completed. @param {PlayableTurn} turn */
function responsesOutput(turn) {
  /** @type {Record<string, unknown>[]} */
  const output = [];
  if (turn.reasoning.length > 0) {
    output.push({
      id: `rs_${turn.id}`,
      type: "reasoning",
      summary: [{ type: "summary_text", text: turn.reasoning.join("") }],
    });
  }
  if (turn.text.length > 0) {
    output.push({
      id: `msg_${turn.id}`,
      type: "message",
      status: "completed",
      role: "assistant",
      content: [{ type: "output_text", annotations: [], logprobs: [], text: turn.text.join("") }],
    });
  }
  turn.toolCalls.forEach((call, index) => {
    output.push({
      id: `fc_${turn.id}_${index}`,
      type: "function_call",
      status: "completed",
      arguments: JSON.stringify(call.input),
      call_id: call.id,
      name: call.name,
    });
  });
  return output;
}

/**
 * The Responses API `response` object.
 * @param {PlayableTurn} turn
 * @param {"in_progress" | "completed" | "failed" | "incomplete"} status
 */
function responseObject(turn, status) {
  const done = status !== "in_progress";
  return {
    id: `resp_${turn.id}`,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status,
    error:
      status === "failed"
        ? { code: turn.streamError?.code ?? "server_error", message: turn.streamError?.message }
        : null,
    incomplete_details: status === "incomplete" ? { reason: "max_output_tokens" } : null,
    model: turn.model,
    output: done && status !== "failed" ? responsesOutput(turn) : [],
    parallel_tool_calls: true,
    service_tier: "default",
    usage: done && status !== "failed" ? responsesUsage(turn) : null,
    metadata: {},
  };
}

/**
 * OpenAI Responses API stream frames.
 * @param {PlayableTurn} turn
 * @returns {string[]}
 */
export function openaiResponsesStream(turn) {
  let sequence = 0;
  /** @type {string[]} */
  const frames = [];
  /** @param {string} type @param {Record<string, unknown>} data */
  const emit = (type, data) => frames.push(namedEvent(type, { type, sequence_number: sequence++, ...data }));
  emit("response.created", { response: responseObject(turn, "in_progress") });
  emit("response.in_progress", { response: responseObject(turn, "in_progress") });
  let outputIndex = 0;
  if (turn.reasoning.length > 0) {
    const itemId = `rs_${turn.id}`;
    const text = turn.reasoning.join("");
    emit("response.output_item.added", {
      output_index: outputIndex,
      item: { id: itemId, type: "reasoning", summary: [] },
    });
    const part = { item_id: itemId, output_index: outputIndex, summary_index: 0 };
    emit("response.reasoning_summary_part.added", { ...part, part: { type: "summary_text", text: "" } });
    for (const piece of turn.reasoning)
      emit("response.reasoning_summary_text.delta", { ...part, delta: piece });
    emit("response.reasoning_summary_text.done", { ...part, text });
    emit("response.reasoning_summary_part.done", { ...part, part: { type: "summary_text", text } });
    emit("response.output_item.done", {
      output_index: outputIndex,
      item: { id: itemId, type: "reasoning", summary: [{ type: "summary_text", text }] },
    });
    outputIndex++;
  }
  if (turn.text.length > 0) {
    const itemId = `msg_${turn.id}`;
    const text = turn.text.join("");
    emit("response.output_item.added", {
      output_index: outputIndex,
      item: { id: itemId, type: "message", status: "in_progress", content: [], role: "assistant" },
    });
    const part = { item_id: itemId, output_index: outputIndex, content_index: 0 };
    emit("response.content_part.added", {
      ...part,
      part: { type: "output_text", annotations: [], logprobs: [], text: "" },
    });
    for (const piece of turn.text)
      emit("response.output_text.delta", { ...part, delta: piece, logprobs: [] });
    if (turn.streamError) return responsesFailure(turn, frames, emit);
    emit("response.output_text.done", { ...part, text, logprobs: [] });
    emit("response.content_part.done", {
      ...part,
      part: { type: "output_text", annotations: [], logprobs: [], text },
    });
    emit("response.output_item.done", {
      output_index: outputIndex,
      item: {
        id: itemId,
        type: "message",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", annotations: [], logprobs: [], text }],
      },
    });
    outputIndex++;
  }
  turn.toolCalls.forEach((call, index) => {
    const itemId = `fc_${turn.id}_${index}`;
    const args = JSON.stringify(call.input);
    const item = { id: itemId, type: "function_call", call_id: call.id, name: call.name };
    emit("response.output_item.added", {
      output_index: outputIndex,
      item: { ...item, status: "in_progress", arguments: "" },
    });
    for (const piece of splitArguments(args)) {
      emit("response.function_call_arguments.delta", {
        item_id: itemId,
        output_index: outputIndex,
        delta: piece,
      });
    }
    emit("response.function_call_arguments.done", {
      item_id: itemId,
      output_index: outputIndex,
      arguments: args,
    });
    emit("response.output_item.done", {
      output_index: outputIndex,
      item: { ...item, status: "completed", arguments: args },
    });
    outputIndex++;
  });
  if (turn.streamError) return responsesFailure(turn, frames, emit);
  const status = turn.finishReason === "length" ? "incomplete" : "completed";
  emit(status === "incomplete" ? "response.incomplete" : "response.completed", {
    response: responseObject(turn, status),
  });
  return frames;
}

/**
 * Ends a Responses stream the way the recorded `openai-error.1.chunks.txt` does: `error`, then `response.failed`.
 * @param {PlayableTurn} turn
 * @param {string[]} frames
 * @param {(type: string, data: Record<string, unknown>) => void} emit
 */
function responsesFailure(turn, frames, emit) {
  const code = turn.streamError?.code ?? "server_error";
  emit("error", { error: { type: code, code, message: turn.streamError?.message ?? "error", param: null } });
  emit("response.failed", { response: responseObject(turn, "failed") });
  return frames;
}

/** OpenAI Responses API non-streaming body. @param {PlayableTurn} turn */
export function openaiResponsesJson(turn) {
  return responseObject(turn, turn.finishReason === "length" ? "incomplete" : "completed");
}

/** @param {PlayableTurn} turn */
function anthropicStopReason(turn) {
  if (turn.finishReason === "tool-calls") return "tool_use";
  return turn.finishReason === "length" ? "max_tokens" : "end_turn";
}

/** @param {PlayableTurn} turn */
function anthropicMessage(turn) {
  return {
    id: `msg_${turn.id}`,
    type: "message",
    role: "assistant",
    model: turn.model,
    content: /** @type {unknown[]} */ ([]),
    stop_reason: /** @type {string | null} */ (null),
    stop_sequence: null,
    usage: {
      input_tokens: turn.usage.inputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: turn.usage.cachedInputTokens,
      output_tokens: 1,
      service_tier: "standard",
    },
  };
}

/**
 * Anthropic Messages stream frames.
 * @param {PlayableTurn} turn
 * @returns {string[]}
 */
export function anthropicStream(turn) {
  /** @type {string[]} */
  const frames = [];
  /** @param {string} type @param {Record<string, unknown>} data */
  const emit = (type, data) => frames.push(namedEvent(type, { type, ...data }));
  emit("message_start", { message: anthropicMessage(turn) });
  let index = 0;
  if (turn.reasoning.length > 0) {
    emit("content_block_start", { index, content_block: { type: "thinking", thinking: "", signature: "" } });
    for (const piece of turn.reasoning) {
      emit("content_block_delta", { index, delta: { type: "thinking_delta", thinking: piece } });
    }
    emit("content_block_delta", { index, delta: { type: "signature_delta", signature: `sig_${turn.id}` } });
    emit("content_block_stop", { index });
    index++;
  }
  if (turn.text.length > 0) {
    emit("content_block_start", { index, content_block: { type: "text", text: "" } });
    emit("ping", {});
    for (const piece of turn.text)
      emit("content_block_delta", { index, delta: { type: "text_delta", text: piece } });
    if (turn.streamError) return anthropicFailure(turn, frames, emit);
    emit("content_block_stop", { index });
    index++;
  }
  for (const call of turn.toolCalls) {
    emit("content_block_start", {
      index,
      content_block: { type: "tool_use", id: call.id, name: call.name, input: {} },
    });
    emit("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: "" } });
    for (const piece of splitArguments(JSON.stringify(call.input))) {
      emit("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: piece } });
    }
    emit("content_block_stop", { index });
    index++;
  }
  if (turn.streamError) return anthropicFailure(turn, frames, emit);
  emit("message_delta", {
    delta: { stop_reason: anthropicStopReason(turn), stop_sequence: null },
    usage: {
      input_tokens: turn.usage.inputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: turn.usage.cachedInputTokens,
      output_tokens: turn.usage.outputTokens,
    },
  });
  emit("message_stop", {});
  return frames;
}

/**
 * Anthropic's mid-stream error event (`event: error`, documented under "Error events").
 * @param {PlayableTurn} turn
 * @param {string[]} frames
 * @param {(type: string, data: Record<string, unknown>) => void} emit
 */
function anthropicFailure(turn, frames, emit) {
  emit("error", {
    error: { type: turn.streamError?.code ?? "overloaded_error", message: turn.streamError?.message },
  });
  return frames;
}

/** Anthropic Messages non-streaming body. @param {PlayableTurn} turn */
export function anthropicJson(turn) {
  const message = anthropicMessage(turn);
  if (turn.reasoning.length > 0) {
    message.content.push({
      type: "thinking",
      thinking: turn.reasoning.join(""),
      signature: `sig_${turn.id}`,
    });
  }
  if (turn.text.length > 0) message.content.push({ type: "text", text: turn.text.join("") });
  for (const call of turn.toolCalls) {
    message.content.push({ type: "tool_use", id: call.id, name: call.name, input: call.input });
  }
  message.stop_reason = anthropicStopReason(turn);
  message.usage.output_tokens = turn.usage.outputTokens;
  return message;
}

/** @param {PlayableTurn} turn */
function ollamaFinal(turn) {
  return {
    model: turn.model,
    created_at: new Date().toISOString(),
    message: { role: "assistant", content: "" },
    done_reason: turn.finishReason === "length" ? "length" : "stop",
    done: true,
    total_duration: 1000000,
    load_duration: 1000,
    prompt_eval_count: turn.usage.inputTokens,
    prompt_eval_duration: 1000,
    eval_count: turn.usage.outputTokens,
    eval_duration: 1000,
  };
}

/** @param {PlayableTurn} turn */
function ollamaToolCalls(turn) {
  return turn.toolCalls.map((call) => ({ function: { name: call.name, arguments: call.input } }));
}

/**
 * Ollama `/api/chat` NDJSON lines (tool call arguments are JSON objects and carry no id, as in the docs).
 * @param {PlayableTurn} turn
 * @returns {string[]}
 */
export function ollamaStream(turn) {
  const createdAt = new Date().toISOString();
  /** @param {Record<string, unknown>} message */
  const line = (message) =>
    `${JSON.stringify({ model: turn.model, created_at: createdAt, message: { role: "assistant", content: "", ...message }, done: false })}\n`;
  const frames = [];
  for (const piece of turn.reasoning) frames.push(line({ thinking: piece }));
  for (const piece of turn.text) frames.push(line({ content: piece }));
  if (turn.streamError) {
    frames.push(`${JSON.stringify({ error: turn.streamError.message })}\n`);
    return frames;
  }
  if (turn.toolCalls.length > 0) frames.push(line({ tool_calls: ollamaToolCalls(turn) }));
  frames.push(`${JSON.stringify(ollamaFinal(turn))}\n`);
  return frames;
}

/** Ollama `/api/chat` non-streaming body. @param {PlayableTurn} turn */
export function ollamaJson(turn) {
  const final = ollamaFinal(turn);
  /** @type {Record<string, unknown>} */
  const message = { role: "assistant", content: turn.text.join("") };
  if (turn.reasoning.length > 0) message.thinking = turn.reasoning.join("");
  if (turn.toolCalls.length > 0) message.tool_calls = ollamaToolCalls(turn);
  return { ...final, message };
}

/**
 * The error body each API sends with a non-2xx status (OpenAI `{error: {message, type, param, code}}`,
 * Anthropic `{type: "error", error: {type, message}}`, Ollama `{error: "..."}`).
 * @param {FakeFormat} format
 * @param {number} status
 */
export function defaultErrorBody(format, status) {
  const message = `fake model error ${status}`;
  if (format === "anthropic") {
    const type =
      status === 429
        ? "rate_limit_error"
        : status === 401
          ? "authentication_error"
          : status === 529
            ? "overloaded_error"
            : status >= 500
              ? "api_error"
              : "invalid_request_error";
    return { type: "error", error: { type, message } };
  }
  if (format === "ollama") return { error: message };
  const type =
    status === 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error";
  return { error: { message, type, param: null, code: type } };
}
