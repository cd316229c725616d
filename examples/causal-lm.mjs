// The model below the pipeline: quantized on load, forward logits, greedy ids, memory.
//   node examples/causal-lm.mjs
import { AutoModelForCausalLM, AutoTokenizer } from 'wax-ml';

const folder = new URL('../models/kjv-llama-5m/', import.meta.url).pathname;
const tokenizer = await AutoTokenizer.from_pretrained(folder);
const model = await AutoModelForCausalLM.from_pretrained(folder, { dtype: 'q8' });
const { input_ids } = tokenizer('And the LORD said');
const { logits } = await model.forward({ input_ids });
console.log(`logits ${JSON.stringify(logits.dims)}`);
const output = await model.generate({ input_ids, max_new_tokens: 12, do_sample: false });
console.log(tokenizer.decode(output.tolist()[0], { skip_special_tokens: true }));
console.log(await model.memory());
model.dispose();
tokenizer.dispose();
