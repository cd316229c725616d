// A Whisper-style tokenizer for the 512 ids of the random-weight tests/fixtures/whisper_tiny_random,
// which has none: Whisper's byte-level pieces and layout, built from the real multilingual
// tokenizer.json (tests/fixtures/tokenizers/whisper_multilingual). Plain data in, data out: the
// Node tests write it to a folder, the browser tests hand it to the pipeline as picked files.
//
// Ids: 0–3 special (2 <|endoftext|> and 3 <|startoftranscript|>, as the fixture's config.json),
// 4–259 the 256 byte-level tokens, 260–264 <|en|> <|fr|> <|translate|> <|transcribe|>
// <|notimestamps|>, then the timestamps <|0.00|>, <|0.02|>, … up to id 511.

/** @param {object} whisper the parsed whisper_multilingual tokenizer.json @returns {{ tokenizer: object, tokenizerConfig: object }} */
export function whisperStyleTokenizer(whisper) {
  const bytes = Object.entries(whisper.model.vocab).filter(([, id]) => id < 256);
  const added = (id, content, special = true) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special });
  const specials = ['<|unk|>', '<|startoflm|>', '<|endoftext|>', '<|startoftranscript|>'].map((t, i) => added(i, t));
  const tasks = ['<|en|>', '<|fr|>', '<|translate|>', '<|transcribe|>', '<|notimestamps|>'].map((t, i) => added(260 + i, t));
  const timestamps = Array.from({ length: 512 - 265 }, (_, i) => added(265 + i, `<|${(i * 0.02).toFixed(2)}|>`, false));
  const special = (token, id) => ({ id: token, ids: [id], tokens: [token] });
  const tokenizer = {
    ...whisper,
    added_tokens: [...specials, ...tasks, ...timestamps],
    model: { ...whisper.model, vocab: Object.fromEntries(bytes.map(([token, id]) => [token, id + 4])), merges: [] },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<|startoftranscript|>', type_id: 0 } }, { SpecialToken: { id: '<|notimestamps|>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<|endoftext|>', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<|startoftranscript|>': special('<|startoftranscript|>', 3), '<|notimestamps|>': special('<|notimestamps|>', 264),
        '<|endoftext|>': special('<|endoftext|>', 2) },
    },
  };
  const tokenizerConfig = { tokenizer_class: 'WhisperTokenizer', eos_token: '<|endoftext|>', bos_token: '<|startoftranscript|>',
    pad_token: '<|endoftext|>', unk_token: '<|unk|>' };
  return { tokenizer, tokenizerConfig };
}

/** Speech-like test audio: tones under noise, deterministic. */
export function testAudio(seconds, rate = 16000) {
  const samples = new Float32Array(Math.round(seconds * rate));
  let state = 7;
  for (let i = 0; i < samples.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    samples[i] = 0.3 * Math.sin(i * 0.05) * Math.sin(i / 4000) + 0.05 * (state / 2 ** 32 - 0.5);
  }
  return samples;
}

/**
 * tests/fixtures/whisper_tiny_random as picked files, fetched from `fixture` (a folder URL), with
 * the Whisper-style tokenizer built from `tokenizerUrl` (whisper_multilingual's tokenizer.json)
 * and Whisper's timestamp entries in its generation config. For pages: the browser tests, and the
 * speech demo until its bundled checkpoint is there.
 */
export async function whisperFixtureFiles(fixture, tokenizerUrl) {
  const fetched = async (url, as) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response[as]();
  };
  const [config, generation, preprocessor, weights, whisper] = await Promise.all([
    fetched(new URL('config.json', fixture), 'text'), fetched(new URL('generation_config.json', fixture), 'json'),
    fetched(new URL('preprocessor_config.json', fixture), 'text'), fetched(new URL('model.safetensors', fixture), 'blob'),
    fetched(tokenizerUrl, 'json')]);
  const { tokenizer, tokenizerConfig } = whisperStyleTokenizer(whisper);
  return {
    'config.json': config,
    'generation_config.json': JSON.stringify({ ...generation, no_timestamps_token_id: 264, max_initial_timestamp_index: 50 }),
    'preprocessor_config.json': preprocessor,
    'model.safetensors': weights,
    'tokenizer.json': JSON.stringify(tokenizer),
    'tokenizer_config.json': JSON.stringify(tokenizerConfig),
  };
}
