// How the LLM benchmarks time an engine, shared by Node (bench/llm.mjs) and the Chromium page
// (bench/browser-llm-page.mjs), so that every engine is timed on the same token ids the same way:
// a 128-token prompt processed, then 64 tokens decoded one at a time, one warm-up run, medians.

export const PROMPT_TOKENS = 128;
export const DECODE_TOKENS = 64;

/** The prompt: ids spread over the vocabulary, above the special and byte tokens of the GGUF's synthetic vocabulary. */
export const promptIds = (vocab) => Array.from({ length: PROMPT_TOKENS }, (_, i) => 300 + ((i * 7919) % (vocab - 300)));

/** The middle value; the mean of the two middle ones for an even count. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b), middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Calls `once()` runs + 1 times, the first to warm up (JIT tiers, first-touch page faults, lazy
 * allocations); `once` returns { promptMs, decodeMs }. Returns the medians in tokens/s.
 */
export async function medianSpeeds(runs, once) {
  const prefill = [], decode = [];
  for (let run = 0; run <= runs; run++) {
    const { promptMs, decodeMs } = await once();
    if (run === 0) continue;
    prefill.push(PROMPT_TOKENS / (promptMs / 1000));
    decode.push(DECODE_TOKENS / (decodeMs / 1000));
  }
  return { prefill: median(prefill), decode: median(decode) };
}

/**
 * One wax run through the public API: generate 1 token times prompt processing (the first new
 * token comes from the prompt's logits); generate 65 tokens, less that, times 64 decode steps.
 */
export async function waxOnce(model, ids) {
  let start = performance.now();
  await model.generate({ input_ids: [ids], max_new_tokens: 1, eos_token_id: [] });
  const promptMs = performance.now() - start;
  start = performance.now();
  await model.generate({ input_ids: [ids], max_new_tokens: DECODE_TOKENS + 1, eos_token_id: [] });
  return { promptMs, decodeMs: performance.now() - start - promptMs };
}
