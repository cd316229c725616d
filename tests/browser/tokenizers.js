// Runs inside Chromium (tests/browser/tokenizers.html): tokenizers, seeded sampling and the
// text-generation pipeline on the public JS API, with the files fetched from the test server.
// Each check returns plain data; the Node side (tokenizers.test.mjs) compares it with Node's.
import { AutoModelForCausalLM, AutoTokenizer, pipeline } from '../../js/src/index.js';

const folder = (path) => new URL(`../../${path}/`, import.meta.url);

window.checks = {
  /** Ids of every row ({ text, text_pair? }) with the tokenizer of `path` (a folder under the repo root). */
  async encodeRows(path, rows) {
    const tokenizer = await AutoTokenizer.from_pretrained(folder(path));
    try {
      return rows.map((row) => tokenizer.encode(row.text, row.text_pair === undefined ? {} : { text_pair: row.text_pair }));
    } finally {
      tokenizer.dispose();
    }
  },

  /** generate()'s ids (numbers) for one prompt, per seed. */
  async sample(path, prompt, options, seeds) {
    const model = await AutoModelForCausalLM.from_pretrained(folder(path));
    try {
      const out = [];
      for (const seed of seeds) out.push((await model.generate({ input_ids: [prompt], ...options, seed })).tolist()[0].map(Number));
      return out;
    } finally {
      model.dispose();
    }
  },

  /** pipeline('text-generation') outputs for each input (a string or chat messages). */
  async generate(path, inputs, options) {
    const generator = await pipeline('text-generation', folder(path));
    try {
      const out = [];
      for (const input of inputs) out.push(await generator(input, options));
      return out;
    } finally {
      generator.dispose();
    }
  },
};
window.checksReady = true;
