// A tokenizer on its own: encode, decode, and the model's chat template.
//   node examples/tokenizer.mjs
import { AutoTokenizer } from 'wax-ml';

const tokenizer = await AutoTokenizer.from_pretrained(new URL('../models/kjv-llama-5m/', import.meta.url).pathname);
const ids = tokenizer.encode('In the beginning God created the heaven and the earth.');
console.log(ids);
console.log(tokenizer.decode(ids));
console.log(await tokenizer.apply_chat_template([{ role: 'user', content: 'Hello' }], { tokenize: false, add_generation_prompt: true }));
tokenizer.dispose();
