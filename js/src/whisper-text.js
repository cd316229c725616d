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
