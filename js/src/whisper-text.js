// Whisper's text conventions above the tokenizer: its languages, and the merge of the token
// sequences of overlapping audio windows into one transcript with segment timestamps, as
// transformers' `_decode_asr` (models/whisper/tokenization_whisper.py) does.
import { badInput } from './errors.js';

/** Whisper's languages, code and English name, in the order of their tokens (openai/whisper tokenizer.py). */
const LANGUAGES = [
  ['en', 'english'], ['zh', 'chinese'], ['de', 'german'], ['es', 'spanish'], ['ru', 'russian'], ['ko', 'korean'],
  ['fr', 'french'], ['ja', 'japanese'], ['pt', 'portuguese'], ['tr', 'turkish'], ['pl', 'polish'], ['ca', 'catalan'],
  ['nl', 'dutch'], ['ar', 'arabic'], ['sv', 'swedish'], ['it', 'italian'], ['id', 'indonesian'], ['hi', 'hindi'],
  ['fi', 'finnish'], ['vi', 'vietnamese'], ['he', 'hebrew'], ['uk', 'ukrainian'], ['el', 'greek'], ['ms', 'malay'],
  ['cs', 'czech'], ['ro', 'romanian'], ['da', 'danish'], ['hu', 'hungarian'], ['ta', 'tamil'], ['no', 'norwegian'],
  ['th', 'thai'], ['ur', 'urdu'], ['hr', 'croatian'], ['bg', 'bulgarian'], ['lt', 'lithuanian'], ['la', 'latin'],
  ['mi', 'maori'], ['ml', 'malayalam'], ['cy', 'welsh'], ['sk', 'slovak'], ['te', 'telugu'], ['fa', 'persian'],
  ['lv', 'latvian'], ['bn', 'bengali'], ['sr', 'serbian'], ['az', 'azerbaijani'], ['sl', 'slovenian'], ['kn', 'kannada'],
  ['et', 'estonian'], ['mk', 'macedonian'], ['br', 'breton'], ['eu', 'basque'], ['is', 'icelandic'], ['hy', 'armenian'],
  ['ne', 'nepali'], ['mn', 'mongolian'], ['bs', 'bosnian'], ['kk', 'kazakh'], ['sq', 'albanian'], ['sw', 'swahili'],
  ['gl', 'galician'], ['mr', 'marathi'], ['pa', 'punjabi'], ['si', 'sinhala'], ['km', 'khmer'], ['sn', 'shona'],
  ['yo', 'yoruba'], ['so', 'somali'], ['af', 'afrikaans'], ['oc', 'occitan'], ['ka', 'georgian'], ['be', 'belarusian'],
  ['tg', 'tajik'], ['sd', 'sindhi'], ['gu', 'gujarati'], ['am', 'amharic'], ['yi', 'yiddish'], ['lo', 'lao'],
  ['uz', 'uzbek'], ['fo', 'faroese'], ['ht', 'haitian creole'], ['ps', 'pashto'], ['tk', 'turkmen'], ['nn', 'nynorsk'],
  ['mt', 'maltese'], ['sa', 'sanskrit'], ['lb', 'luxembourgish'], ['my', 'myanmar'], ['bo', 'tibetan'], ['tl', 'tagalog'],
  ['mg', 'malagasy'], ['as', 'assamese'], ['tt', 'tatar'], ['haw', 'hawaiian'], ['ln', 'lingala'], ['ha', 'hausa'],
  ['ba', 'bashkir'], ['jw', 'javanese'], ['su', 'sundanese'], ['yue', 'cantonese'],
];

/** Language name of each code. */
export const WHISPER_LANGUAGE_NAMES = new Map(LANGUAGES);

/** Code of each name, with the other names openai/whisper accepts. */
const CODE_OF_NAME = new Map([...LANGUAGES.map(([code, name]) => [name, code]),
  ['burmese', 'my'], ['valencian', 'ca'], ['flemish', 'nl'], ['haitian', 'ht'], ['letzeburgesch', 'lb'], ['pushto', 'ps'],
  ['panjabi', 'pa'], ['moldavian', 'ro'], ['moldovan', 'ro'], ['sinhalese', 'si'], ['castilian', 'es'], ['mandarin', 'zh']]);

/**
 * The code of a language given by name or code, any case ('French', 'fr', '<|fr|>' → 'fr').
 * Throws a WAX_BAD_INPUT naming the value and the accepted forms.
 */
export function whisperLanguageCode(language, caller = 'language') {
  const key = typeof language === 'string' ? language.toLowerCase().replace(/^<\|(.*)\|>$/, '$1') : null;
  if (key !== null && WHISPER_LANGUAGE_NAMES.has(key)) return key;
  if (key !== null && CODE_OF_NAME.has(key)) return CODE_OF_NAME.get(key);
  throw badInput(`${caller}: unknown language ${JSON.stringify(language)}; expected a Whisper language by name or code, ` +
    `such as 'french' or 'fr' (codes: ${[...WHISPER_LANGUAGE_NAMES.keys()].join(', ')})`);
}

/**
 * The longest run of agreement between consecutive token sequences that overlap in audio, as
 * transformers' `_find_longest_common_sequence`: each right sequence is slid over the left one,
 * the alignment with the highest share of equal tokens (at least 2 of them, longer alignments
 * winning ties) is cut in its middle, the left sequence's tokens kept before it and the right
 * one's after. Without such an alignment the sequences are joined whole.
 *
 * @param {number[][]} sequences
 * @returns {number[]}
 */
export function mergeOverlappingSequences(sequences) {
  let left = sequences[0];
  const merged = [];
  for (const right of sequences.slice(1)) {
    let best = 0;
    let cut = [left.length, left.length, 0, 0]; // leftStart, leftStop, rightStart, rightStop
    for (let shift = 1; shift < left.length + right.length; shift++) {
      const leftStart = Math.max(0, left.length - shift);
      const leftStop = Math.min(left.length, left.length + right.length - shift);
      const rightStart = Math.max(0, shift - left.length);
      let matches = 0;
      for (let k = 0; k < leftStop - leftStart; k++) if (left[leftStart + k] === right[rightStart + k]) matches++;
      const score = matches / shift + shift / 10000; // the small term prefers longer overlaps
      if (matches > 1 && score > best) {
        best = score;
        cut = [leftStart, leftStop, rightStart, rightStart + leftStop - leftStart];
      }
    }
    const [leftStart, leftStop, rightStart, rightStop] = cut;
    // Trust each window for the half of the overlap nearer its own middle.
    merged.push(...left.slice(0, Math.floor((leftStart + leftStop) / 2)));
    left = right.slice(Math.floor((rightStart + rightStop) / 2));
  }
  merged.push(...left);
  return merged;
}

const roundTime = (seconds) => Math.round(seconds * 100) / 100;

/**
 * One transcript from the generated ids of consecutive audio windows, as transformers'
 * `_decode_asr` (segment level): text tokens of each window are gathered until an end
 * timestamp closes a segment; timestamps that fall in a window's strides (the audio it shares
 * with its neighbours) do not close one, so a segment that crosses a window boundary gathers
 * the tokens of both windows, and those are merged by `mergeOverlappingSequences` so that the
 * words of the overlap appear once. Times are offset by each window's start in the audio.
 *
 * @param {{ tokens: ArrayLike<number | bigint>, stride?: [number, number, number] }[]} windows each window's
 *   generated ids (start tokens included) and its [length, left stride, right stride] in samples
 * @param {{ decode(ids: number[]): string, specialIds: Iterable<number>, timestampBegin: number,
 *   languageOf(id: number): string | null }} vocabulary how the tokenizer reads ids: a text, the special ids,
 *   the id of `<|0.00|>` (ids from it on are timestamps; Infinity when the vocabulary has none) and
 *   the language name a special id stands for
 * @param {{ return_timestamps?: boolean, return_language?: boolean, time_precision: number, sampling_rate?: number }} options
 *   `time_precision`: seconds between timestamp tokens; `sampling_rate`: samples a second of the strides (1: seconds)
 * @returns {{ text: string, chunks?: { text: string, timestamp?: [number, number | null], language?: string | null }[] }}
 */
export function decodeAsr(windows, vocabulary, { return_timestamps = false, return_language = false, time_precision, sampling_rate = 1 }) {
  if (!(time_precision > 0)) throw badInput(`decodeAsr: time_precision must be a number > 0, got ${time_precision}`);
  const { decode, timestampBegin, languageOf } = vocabulary;
  const special = new Set(vocabulary.specialIds);
  const chunks = [];
  let lastLanguage = null;
  const newChunk = () => ({ language: lastLanguage, timestamp: [null, null], text: '' });
  let chunk = newChunk();
  let timeOffset = 0;
  let previousTokens = []; // the text tokens of the open segment, one list a window
  let skip = false;

  const closeChunk = () => {
    chunk.text = decode(mergeOverlappingSequences(previousTokens));
    chunks.push(chunk);
    previousTokens = [];
    chunk = newChunk();
  };

  for (const window of windows) {
    const tokens = Array.from(window.tokens, Number);
    const [length, strideLeft, strideRight] = (window.stride ?? [0, 0, 0]).map((samples) => samples / sampling_rate);
    timeOffset -= strideLeft;
    // Timestamps in the strides do not split: the segment waits until past both strides.
    const firstTimestamp = strideLeft ? strideLeft / time_precision + timestampBegin : timestampBegin;
    let lastTimestamp = null;
    if (strideRight) {
      const rightStrideStart = length - strideRight;
      for (let i = tokens.length - 1; i >= 0; i--) {
        if (tokens[i] < timestampBegin) continue;
        // Several timestamps may fall in the right stride; the last one is always skipped.
        if (lastTimestamp !== null && (tokens[i] - timestampBegin) * time_precision < rightStrideStart) break;
        lastTimestamp = tokens[i];
      }
    }

    let currentTokens = [];
    for (const token of tokens) {
      if (token >= timestampBegin) {
        const time = roundTime((token - timestampBegin) * time_precision + timeOffset);
        if (lastTimestamp !== null && token >= lastTimestamp) {
          skip = true; // in the right stride: skip it and the start timestamp that follows it
        } else if (skip || (previousTokens.length > 0 && token < firstTimestamp)) {
          skip = false;
        } else if (chunk.timestamp[0] === null) {
          chunk.timestamp[0] = time;
        } else if (time !== chunk.timestamp[0]) { // an end equal to the start is read as a start again
          chunk.timestamp[1] = time;
          previousTokens.push(currentTokens);
          closeChunk();
          currentTokens = [];
        }
      } else if (special.has(token)) {
        const language = languageOf(token);
        if (language === null) continue; // <|startoftranscript|>, <|transcribe|>, <|endoftext|>, …
        if (lastLanguage !== null && language !== lastLanguage && !return_timestamps) {
          previousTokens.push(currentTokens); // without timestamps a change of language is the only split
          closeChunk();
          currentTokens = [];
        }
        chunk.language = lastLanguage = language;
      } else {
        currentTokens.push(token);
      }
    }

    if (window.stride) timeOffset += length - strideRight;
    if (currentTokens.length > 0) {
      previousTokens.push(currentTokens);
    } else if (previousTokens.every((p) => p.length === 0)) {
      chunk = newChunk(); // nothing open: a start timestamp without text is dropped
      previousTokens = [];
    }
  }
  // What is left had no end timestamp (generated without timestamps, or cut off mid-word).
  if (previousTokens.length > 0) closeChunk();

  const text = chunks.map((c) => c.text).join('');
  if (!return_timestamps && !return_language) return { text };
  return {
    text,
    chunks: chunks.map(({ language, timestamp, text: chunkText }) => ({
      text: chunkText, ...(return_timestamps ? { timestamp } : {}), ...(return_language ? { language } : {}),
    })),
  };
}

/** Punctuation that joins the next word, and the previous one (openai/whisper's defaults, as transformers'). */
const PREPENDED_PUNCTUATION = '"\'“¡¿([{-';
const APPENDED_PUNCTUATION = '"\'.。,，!！?？:：”)]}、';
const ASCII_PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/**
 * The words of text ids as transformers' `_combine_tokens_into_words` reads a language written
 * with spaces: ids are grouped until their text is whole characters (a character may take
 * several byte-level ids), a piece that starts with a space or is punctuation starts a word,
 * then opening punctuation joins the word after it and closing punctuation the word before.
 * (Languages without spaces, such as Chinese or Japanese, are read the same way: a word then
 * stands for a run of text.)
 *
 * @param {number[]} tokens text ids
 * @param {(ids: number[]) => string} decode
 * @returns {{ word: string, indices: number[] }[]} each word and the positions of its ids in `tokens`
 */
export function combineTokensIntoWords(tokens, decode) {
  const full = decode(tokens);
  const pieces = [];
  let current = [];
  let offset = 0;
  tokens.forEach((token, index) => {
    current.push(index);
    const text = decode(current.map((i) => tokens[i]));
    const broken = text.indexOf('\ufffd');
    if (broken < 0 || full[offset + broken] === '\ufffd') {
      pieces.push({ word: text, indices: current });
      current = [];
      offset += text.length;
    }
  });

  const words = [];
  for (const piece of pieces) {
    const starts = piece.word.startsWith(' ') || ASCII_PUNCTUATION.includes(piece.word.trim());
    if (starts || words.length === 0) words.push({ word: piece.word, indices: [...piece.indices] });
    else {
      words.at(-1).word += piece.word;
      words.at(-1).indices.push(...piece.indices);
    }
  }

  for (let i = words.length - 2, j = words.length - 1; i >= 0; i--) {
    if (words[i].word.startsWith(' ') && PREPENDED_PUNCTUATION.includes(words[i].word.trim())) {
      words[j] = { word: words[i].word + words[j].word, indices: [...words[i].indices, ...words[j].indices] };
      words[i] = { word: '', indices: [] };
    } else {
      j = i;
    }
  }
  for (let i = 0, j = 1; j < words.length; j++) {
    if (!words[i].word.endsWith(' ') && APPENDED_PUNCTUATION.includes(words[j].word)) {
      words[i] = { word: words[i].word + words[j].word, indices: [...words[i].indices, ...words[j].indices] };
      words[j] = { word: '', indices: [] };
    } else {
      i = j;
    }
  }
  return words.filter(({ word }) => word);
}

/**
 * The transcript and its words with times from the generated ids and token start times of
 * consecutive audio windows (`return_timestamps: 'word'`). Each window speaks for the audio
 * outside the strides it shares with its neighbours: a text token is kept by the window in
 * whose own part it starts, so a word of an overlap is kept once. A word runs from its first
 * id's start to the start of the id after its last (the next word's, or <|endoftext|>'s).
 *
 * @param {{ tokens: ArrayLike<number | bigint>, token_timestamps: ArrayLike<number>, stride?: [number, number, number] }[]} windows
 *   each window's ids (start ids included), one start time each in seconds from the window's start,
 *   and its [length, left stride, right stride] in samples
 * @param {{ decode(ids: number[]): string, specialIds: Iterable<number>, timestampBegin: number }} vocabulary as decodeAsr's
 * @param {{ sampling_rate?: number }} options the strides' samples a second (1: seconds)
 * @returns {{ text: string, chunks: { text: string, timestamp: [number, number] }[] }}
 */
export function decodeAsrWords(windows, vocabulary, { sampling_rate = 1 } = {}) {
  const { decode, timestampBegin } = vocabulary;
  const special = new Set(vocabulary.specialIds);
  const isText = (id) => id < timestampBegin && !special.has(id);
  const kept = []; // { token, start, end } in seconds from the audio's start
  let windowStart = 0;
  windows.forEach((window, w) => {
    if (!window.token_timestamps) throw badInput(`decodeAsrWords: window ${w} has no token_timestamps; return_timestamps 'word' needs one time a token`);
    const tokens = Array.from(window.tokens, Number);
    const times = Array.from(window.token_timestamps, Number);
    if (times.length !== tokens.length) {
      throw badInput(`decodeAsrWords: window ${w} has ${tokens.length} tokens but ${times.length} token_timestamps; expected one time a token`);
    }
    const [length, strideLeft, strideRight] = (window.stride ?? [Infinity, 0, 0]).map((samples) => samples / sampling_rate);
    const ownFrom = w === 0 ? -Infinity : strideLeft;
    const ownTo = w === windows.length - 1 ? Infinity : length - strideRight;
    tokens.forEach((token, i) => {
      if (!isText(token) || times[i] < ownFrom || times[i] >= ownTo) return;
      const end = i + 1 < tokens.length ? times[i + 1] : times[i];
      kept.push({ token, start: roundTime(windowStart + times[i]), end: roundTime(windowStart + end) });
    });
    if (window.stride) windowStart += length - strideRight - (windows[w + 1]?.stride?.[1] ?? 0) / sampling_rate;
  });
  const tokens = kept.map(({ token }) => token);
  const chunks = combineTokensIntoWords(tokens, decode).map(({ word, indices }) =>
    ({ text: word, timestamp: [kept[indices[0]].start, kept[indices.at(-1)].end] }));
  return { text: decode(tokens), chunks };
}
