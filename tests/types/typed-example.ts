// A user's program against wax's declarations: type-checked by tests/node/types.test.mjs (tsc
// --noEmit), never run. `wax-ml` resolves to this package by its own name ("exports").
import {
  AutoProcessor, WhisperFeatureExtractor, read_audio,
  AutoModel, AutoModelForCausalLM, AutoTokenizer, CausalLM, PreTrainedModel, Tensor, TextStreamer, WAX_ERROR_CODES, WaxError, clearCache, cos_sim, env,
  isCached, pipeline, preflight, runtimeInfo, type Message, type ProgressInfo, type StoppingCriterion, type WaxErrorCode,
} from 'wax-ml';

async function main(): Promise<void> {
  env.wasm.numThreads = 2;
  env.remoteHost = 'https://huggingface.co/';
  const controller = new AbortController();
  const onProgress = (event: ProgressInfo): void => {
    if (event.status === 'progress') console.log(event.file, event.progress.toFixed(0));
  };

  const generator = await pipeline('text-generation', 'models/kjv-llama-5m', { progress_callback: onProgress, dtype: 'q8' });
  const bundled = await pipeline('text-generation');
  await bundled.dispose();
  const [{ generated_text }] = await generator('In the beginning', { max_new_tokens: 20, do_sample: false });
  const text: string = generated_text;
  const chat: Message[] = [{ role: 'user', content: 'Hello' }];
  const [{ generated_text: reply }] = await generator(chat, { max_new_tokens: 20, seed: 1, signal: controller.signal });
  const last: Message | undefined = reply.at(-1);
  for await (const piece of generator.stream('And God said', { max_new_tokens: 10, stop_strings: ['.'] })) console.log(piece);
  const streamer = new TextStreamer(generator.tokenizer, { skip_prompt: true, callback_function: (t) => console.log(t) });
  await generator('x', { streamer });
  await generator.dispose();

  const model = await AutoModelForCausalLM.from_pretrained('org/name', { dtype: { embed_tokens: 'q8', default: 'q4' }, worker: false });
  const { logits } = await model.forward({ input_ids: [[1, 2, 3]] });
  const vocab: number = logits.dims[2];
  const { logits: called } = await model({ input_ids: [[1, 2, 3]] });
  const lastLogits: Tensor<'float32'> = called.slice(0, -1, null).normalize(2, -1);
  console.log(lastLogits.mean().tolist(), lastLogits.slice([0, 10]).dims);
  const ids: Tensor<'int64'> = await model.generate({ input_ids: [[1, 2]], max_new_tokens: 5, temperature: 0.7, top_p: 0.9 });
  const first: bigint = ids.data[0];
  const memory = await model.memory();
  console.log(text, last?.content, vocab, first, memory.weights_bytes);
  model.dispose();
  const direct: CausalLM = await CausalLM.from_pretrained('org/name', { dtype: 'auto' });
  const base: PreTrainedModel = direct;
  const held: number = (await base.memory()).heap_bytes;
  console.log(held, base.config.model_type);
  base.dispose();
  {
    await using scoped = await AutoModelForCausalLM.from_pretrained('org/name');
    const stops: StoppingCriterion = (input_ids) => input_ids.map((row) => row.length > 8);
    await scoped.generate({ input_ids: [[1, 2]], stopping_criteria: [stops], stop_strings: ['.'], tokenizer: generator.tokenizer });
  }

  const tokenizer = await AutoTokenizer.from_pretrained('models/kjv-llama-5m', { revision: 'main', progress_callback: onProgress });
  const encoded: number[] = tokenizer.encode('hello');
  const batch = tokenizer(['a', 'bb'], { padding: true, truncation: true, max_length: 16 });
  const mask: Tensor<'int64'> = batch.attention_mask;
  const rendered: string = await tokenizer.apply_chat_template(chat, { tokenize: false, add_generation_prompt: true });
  const chatIds: number[] = await tokenizer.apply_chat_template(chat, { return_tensor: false });
  console.log(encoded, mask.dims, rendered, chatIds, tokenizer.decode(encoded, { skip_special_tokens: true }));

  const extractor = await pipeline('feature-extraction', 'tests/fixtures/bert_tiny_st');
  const embeddings = await extractor(['a', 'b'], { pooling: 'mean', normalize: true });
  const similarity: number = cos_sim(embeddings.data.subarray(0, 64), embeddings.data.subarray(64));
  const encoder = await AutoModel.from_pretrained('tests/fixtures/bert_tiny_st');
  const { last_hidden_state, pooler_output } = await encoder.forward({ input_ids: [[101, 102]] });
  const pooled: Tensor<'float32'> = (await encoder({ input_ids: [[101, 102]] })).last_hidden_state.mean(1).normalize();
  console.log(pooled.tolist());
  console.log(similarity, last_hidden_state.dims, pooler_output?.dims, extractor.defaults.pooling);

  const transcriber = await pipeline('automatic-speech-recognition', 'models/whisper-kjv-tiny');
  const { text: transcript, chunks } = await transcriber(new Float32Array(16000), { language: 'fr', return_timestamps: true,
    chunk_length_s: 30, chunk_callback: ({ text: windowText, timestamp: [from, to] }) => console.log(windowText, from, to) });
  const segmentEnd: number | null | undefined = chunks?.[0]?.timestamp?.[1];
  const offsets = transcriber.tokenizer.decode([50364, 2425, 50439], { output_offsets: true }).offsets;
  console.log(transcript, segmentEnd, offsets[0].timestamp[0], transcriber.tokenizer.get_decoder_prompt_ids({ language: 'french' }),
    transcriber.sampling_rate, (await transcriber.processor(new Float32Array(16000))).input_features.dims);

  const processor = await AutoProcessor.from_pretrained('tests/fixtures/whisper_tiny_random', { signal: controller.signal });
  const { input_features } = await processor(await read_audio('speech.wav', 16000));
  const melBins: number = input_features.dims[1];
  const melExtractor: WhisperFeatureExtractor = processor.feature_extractor;
  console.log(melBins, melExtractor.config.sampling_rate, processor.tokenizer?.decode([1, 2]));
  processor.dispose();

  const report = await preflight('org/name', { max_length: 1024, dtype: 'q4' });
  if (!report.fits) console.log(report.advice);
  console.log(await isCached('org/name'), await clearCache('org/name'), (await runtimeInfo()).threads);
  try {
    await AutoModelForCausalLM.from_pretrained('missing');
  } catch (error) {
    if (error instanceof WaxError && error.code === 'WAX_NOT_FOUND') console.log(error.message);
    const code: WaxErrorCode = 'WAX_DISPOSED';
    console.log(WAX_ERROR_CODES[code]);
  }
}

main();
