// Sentence embeddings and their cosine similarity (a tiny random-weights BERT from the tests:
// the numbers are real computations, the similarities meaningless).
//   node examples/feature-extraction.mjs
import { cos_sim, pipeline } from 'wax-ml';

const extractor = await pipeline('feature-extraction', new URL('../tests/fixtures/bert_tiny_st/', import.meta.url).pathname);
const embeddings = await extractor(['hello world', 'the quick brown fox jumps over the lazy dog']);
console.log(`embeddings ${JSON.stringify(embeddings.dims)}, pooling ${extractor.defaults.pooling}, normalized ${extractor.defaults.normalize}`);
const [a, b] = embeddings.tolist();
console.log(`cos_sim = ${cos_sim(a, b).toFixed(4)}`);
extractor.dispose();
