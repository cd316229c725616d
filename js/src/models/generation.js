// The token loop of a C++ generate job (src/api.h), shared by every model that generates (a
// causal LM from its prompt, Whisper from its decoder start ids): each step's new tokens go to the
// streamer, rows stop at their eos or by the stopping criteria, and the ids come back as a Tensor.
// What a token is chosen from (the logits processors, sampling, eos) is C++'s.
import { WaxError, throwIfAborted } from '../errors.js';
import { Tensor } from '../tensor.js';
import { UnawaitedCalls } from '../streamers.js';
import { sliceTimer } from '../yield.js';

/**
 * The criterion of `stop_strings`, as transformers' generate: a row is done once its new text
 * contains one of `stops`. The text comes from the tokenizer's decode_stream (a wax tokenizer,
 * here or across the wax worker) one piece a token, and only the end that a new piece can
 * complete is searched, so the work a token stays the same however long the text grows. A
 * tokenizer with decode() alone has its rows' new text decoded again after every token.
 * `dispose()` frees the streams.
 */
function stopStringCriterion(tokenizer, stops, batch, promptLength) {
  const keep = Math.max(...stops.map((stop) => stop.length)) - 1;
  const tails = new Array(batch).fill('');
  const found = (row, piece) => {
    const text = tails[row] + piece;
    tails[row] = text.slice(Math.max(0, text.length - keep));
    return stops.some((stop) => text.includes(stop));
  };
  if (typeof tokenizer.decode_stream !== 'function') {
    return {
      criterion: (input_ids) => Promise.all(input_ids.map(async (ids) => {
        const text = await tokenizer.decode(ids.slice(promptLength), { skip_special_tokens: true });
        return stops.some((stop) => text.includes(stop));
      })),
      dispose: () => {},
    };
  }
  let streams = null;
  return {
    criterion: async (input_ids) => {
      streams ??= await tokenizer.decode_stream(batch, { skip_special_tokens: true });
      const pieces = await streams.push(input_ids.map((ids) => Number(ids.at(-1))));
      return pieces.map((piece, row) => found(row, piece));
    },
    dispose: () => streams?.dispose(),
  };
}

/**
 * The criteria generate asks after every token, as transformers.js: `stopping_criteria` is one
 * criterion (called with (input_ids, scores), answering a boolean per row), a list of them, or a
 * StoppingCriteriaList (itself such a criterion); `stop_strings`, as transformers' generate,
 * needs the `tokenizer` to read each row's new text (stopStringCriterion). Answers may be
 * promises: a criterion or a tokenizer on the other side of the wax worker answers through a
 * message. `dispose()` frees what the stop strings' criterion holds.
 */
function stoppingCriteria({ stopping_criteria, stop_strings, tokenizer }, batch, promptLength) {
  const criteria = stopping_criteria === undefined || stopping_criteria === null ? [] : [stopping_criteria].flat();
  const stops = stopStrings(stop_strings, tokenizer);
  if (!stops.length) return { criteria, dispose: () => {} };
  const { criterion, dispose } = stopStringCriterion(tokenizer, stops, batch, promptLength);
  return { criteria: [...criteria, criterion], dispose };
}

/** The stop strings as a list; a WAX_BAD_INPUT when there are some and no tokenizer to read the text. */
function stopStrings(stop_strings, tokenizer) {
  const stops = stop_strings === undefined || stop_strings === null ? [] : [stop_strings].flat();
  if (stops.length && typeof tokenizer?.decode !== 'function') {
    throw new WaxError('stop_strings: pass the tokenizer too, generate({ stop_strings, tokenizer }), to read the generated text',
      { code: 'WAX_BAD_INPUT' });
  }
  return stops;
}

/** Marks the rows that `criteria` call done (a single boolean speaks for every row); true when all are. */
async function allRowsDone(criteria, sequences, done) {
  for (const criterion of criteria) {
    const answer = await criterion(sequences, undefined);
    done.forEach((rowDone, row) => { done[row] = rowDone || !!(Array.isArray(answer) ? answer[row] : answer); });
  }
  return done.every(Boolean);
}

/** The bytes that generate jobs in flight hold (their KV caches), for a model's memory(). */
export function kvCacheBytes(model, jobs) {
  let bytes = 0;
  for (const job of jobs) bytes += model.jobInfo(job).held_bytes;
  return bytes;
}

/**
 * Runs a generate job to its end: `start()` makes it over `model` and gives `{ job, prompt }`
 * (`prompt` { data: Int32Array, dims: [batch, seq] }, the ids the job continues), which go to the
 * streamer first, then each step's new tokens as `[[id], …]`, then `end()`; between steps the
 * event loop gets a turn and `signal` is checked; rows stop at the job's eos ids or by the
 * stopping criteria (`stopping_criteria`, `stop_strings` with `tokenizer`). The job is in `jobs`
 * (the model's generations in flight, for memory()) until it ends and is freed, whatever happens.
 * Resolves to an int64 Tensor [batch, seq + new tokens], or, when `finalOutputs` names float32
 * outputs the job gives with its last tokens (Whisper's token_timestamps), to
 * `{ sequences, …those outputs as Tensors }`.
 */
export async function streamGeneration(model, jobs, start, { streamer: userStreamer, signal, stopping_criteria, stop_strings, tokenizer },
  finalOutputs = []) {
  const { runtime } = model;
  const streamer = userStreamer && new UnawaitedCalls().watch(userStreamer);
  let job = 0;
  let disposeCriteria = () => {};
  try {
    stopStrings(stop_strings, tokenizer);
    let prompt;
    ({ job, prompt } = start());
    jobs.add(job);
    const [batch, seq] = prompt.dims;
    const stopping = stoppingCriteria({ stopping_criteria, stop_strings, tokenizer }, batch, seq);
    disposeCriteria = stopping.dispose;
    const { criteria } = stopping;
    const promptRows = () => Array.from({ length: batch }, (_, b) => Array.from(prompt.data.subarray(b * seq, (b + 1) * seq), BigInt));
    const eosIds = new Set(model.jobInfo(job).eos_token_id);
    streamer?.put(promptRows());
    const pause = sliceTimer();
    const sequences = promptRows();
    const done = new Array(batch).fill(false);
    let tokens = null; // the job's (batch, 1) new tokens, read in place (none when max_new_tokens is 0)
    for (let state = 0; state !== 2;) {
      await pause();
      throwIfAborted(signal);
      model.liveHandle();
      state = runtime.call('wax_job_step', job);
      if (state === 0) continue;
      tokens ??= model.jobOutputs(job).tokens;
      if (tokens.dims[1] === 0) continue;
      const ids = new Int32Array(runtime.heapU8.buffer, tokens.data, batch).slice();
      streamer?.put(Array.from(ids, (id) => [BigInt(id)]));
      ids.forEach((id, b) => {
        sequences[b].push(BigInt(id));
        done[b] ||= eosIds.has(id);
      });
      if (criteria.length && await allRowsDone(criteria, sequences, done)) break;
    }
    const last = finalOutputs.length ? model.jobOutputs(job) : {};
    const extra = Object.fromEntries(finalOutputs.map((name) => {
      const { dims, data } = last[name];
      return [name, new Tensor('float32', new Float32Array(runtime.heapU8.buffer, data, dims[0] * dims[1]).slice(), dims)];
    }));
    await streamer?.end();
    model.liveHandle();
    const ids = new Tensor('int64', BigInt64Array.from(sequences.flat()), [batch, sequences[0].length]);
    return finalOutputs.length ? { sequences: ids, ...extra } : ids;
  } finally {
    if (job) {
      jobs.delete(job);
      model.freeJob(job);
    }
    streamer?.release();
    await disposeCriteria();
  }
}
