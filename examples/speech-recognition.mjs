// Speech recognition with the bundled model: a WAV file, then a long recording in 30 s windows with
// segment timestamps, printed window by window.
//   node examples/speech-recognition.mjs [file.wav]
import { pipeline } from 'wax-ml';

const here = (path) => new URL(path, import.meta.url).pathname;
const transcriber = await pipeline('automatic-speech-recognition', here('../models/whisper-kjv-tiny/'));

const { text } = await transcriber(process.argv[2] ?? here('../tests/fixtures/whisper-kjv-eval/sentence-2.wav'));
console.log(`text:${text}`);

const { chunks } = await transcriber(here('../tests/fixtures/whisper-kjv-eval/ruth-1.wav'), {
  return_timestamps: true, chunk_length_s: 30,
  chunk_callback: ({ timestamp: [start, end] }) => console.log(`window ${start.toFixed(1)}-${end.toFixed(1)} s done`),
});
for (const { text: words, timestamp: [start, end] } of chunks) console.log(`[${start.toFixed(2)} → ${end?.toFixed(2) ?? '…'}]${words}`);
transcriber.dispose();
