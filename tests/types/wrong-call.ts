// Must NOT type-check (tests/node/types.test.mjs checks that tsc rejects it): a number as a prompt,
// an unknown dtype and the mean of an int64 Tensor.
import { AutoTokenizer, pipeline } from 'wax-ml';

const generator = await pipeline('text-generation', 'models/kjv-llama-5m', { dtype: 'q5' });
await generator(42);

// The mean of token ids (an int64 Tensor) is a type error, as torch refuses it.
const tokenizer = await AutoTokenizer.from_pretrained('models/kjv-llama-5m');
tokenizer('In the beginning').input_ids.mean();
