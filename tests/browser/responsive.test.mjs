// The worker-first API in Chromium: while a long generation and a 1000-sentence embedding batch
// run through pipeline() (which puts the model in a wax-made module Worker), the page's main
// thread never runs a task over 50 ms; errors and aborts cross as the right Errors; a streamer,
// stopping criteria and a tokenizer of the page work with a worker model; dispose() (and
// `await using`) ends the worker.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { openBrowser } from './browser.mjs';

let browser, page;
before(async () => {
  browser = await openBrowser();
  page = await browser.newPage();
  await page.goto(browser.url('/tests/browser/oracle.html'));
  await page.waitForFunction(() => window.oracleReady === true, null, { timeout: 15_000 });
});
after(async () => {
  await browser?.close();
});

/** Runs `task` (a function source run in the page) while measuring long tasks and frame gaps. */
function measured(task, arg) {
  return page.evaluate(async ([source, value]) => {
    const longTasks = [];
    const observer = new PerformanceObserver((list) => longTasks.push(...list.getEntries().map((e) => e.duration)));
    observer.observe({ type: 'longtask', buffered: false });
    let last = performance.now(), worstFrameGap = 0, running = true;
    const frame = () => {
      const now = performance.now();
      worstFrameGap = Math.max(worstFrameGap, now - last);
      last = now;
      if (running) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    const started = performance.now();
    const result = await (0, eval)(`(${source})`)(value);
    running = false;
    await new Promise((resolve) => setTimeout(resolve, 50)); // let the observer deliver
    observer.disconnect();
    return { result, longestTask: Math.max(0, ...longTasks), worstFrameGap, ms: performance.now() - started };
  }, [task.toString(), arg]);
}

describe('the page stays responsive while the model works in the wax worker', () => {
  it('during a long text generation', async () => {
    const run = await measured(async () => {
      const { pipeline } = await import('/js/src/index.js');
      const generator = await pipeline('text-generation', '/models/kjv-llama-5m/');
      const [{ generated_text }] = await generator('In the beginning', { max_new_tokens: 200, do_sample: false, eos_token_id: [] });
      await generator.dispose();
      return { length: generated_text.length };
    });
    console.log(`generation: ${run.ms.toFixed(0)} ms, longest main-thread task ${run.longestTask.toFixed(0)} ms, worst frame gap ${run.worstFrameGap.toFixed(0)} ms`);
    assert.ok(run.result.length > 200);
    assert.ok(run.longestTask < 50, `longest main-thread task ${run.longestTask} ms`);
  });

  it('during a 1000-sentence embedding batch', async () => {
    const run = await measured(async () => {
      const { pipeline } = await import('/js/src/index.js');
      const extractor = await pipeline('feature-extraction', '/tests/fixtures/bert_tiny_st/');
      const sentences = Array.from({ length: 1000 }, (_, i) => `sentence ${i}: the quick brown fox jumps over the lazy dog ${i % 7}`);
      let events = 0;
      const embeddings = await extractor(sentences, { progress_callback: () => { events++; } });
      await extractor.dispose();
      return { dims: embeddings.dims, events };
    });
    console.log(`embedding: ${run.ms.toFixed(0)} ms, longest main-thread task ${run.longestTask.toFixed(0)} ms, worst frame gap ${run.worstFrameGap.toFixed(0)} ms`);
    assert.deepEqual(run.result.dims, [1000, 64]);
    assert.ok(run.result.events >= 30, 'progress crosses the worker boundary');
    assert.ok(run.longestTask < 50, `longest main-thread task ${run.longestTask} ms`);
  });

  it('one long forward() blocks the page in-process but not through the worker (the check measures something)', async () => {
    const forward = async (worker) => {
      const { AutoModelForCausalLM } = await import('/js/src/index.js');
      const model = await AutoModelForCausalLM.from_pretrained('/models/kjv-llama-5m/', { worker });
      // A forward runs a layer a step; a step over 8 rows of 256 positions stays a long task on a
      // fast machine (one row's was under 50 ms once attention went through the packed kernel).
      const ids = Array.from({ length: 8 }, (_, row) => Array.from({ length: 256 }, (_, i) => 3 + (i * 37 + row * 11) % 4000));
      await model.forward({ input_ids: ids });
      await model.dispose();
      return null;
    };
    const inPage = await measured(forward, false);
    const inWorker = await measured(forward, undefined);
    console.log(`forward of 8 × 256 tokens: in the page, longest task ${inPage.longestTask.toFixed(0)} ms; through the worker, ${inWorker.longestTask.toFixed(0)} ms`);
    assert.ok(inPage.longestTask >= 50, `the in-page forward should be a long task, was ${inPage.longestTask} ms`);
    assert.ok(inWorker.longestTask < 50, `longest main-thread task ${inWorker.longestTask} ms`);
  });
});

describe('errors, aborts and dispose across the worker', () => {
  it('a bad URL, a malformed file and an abort arrive as the right Errors; dispose() ends the worker', async () => {
    await page.route((url) => url.pathname.startsWith('/broken/'), async (route) => {
      const file = new URL(route.request().url()).pathname.split('/').pop();
      if (file === 'config.json' || file === 'tokenizer.json' || file === 'tokenizer_config.json') {
        return route.fulfill({ path: new URL(`../../models/kjv-llama-5m/${file}`, import.meta.url).pathname });
      }
      if (file === 'model.safetensors') return route.fulfill({ status: 200, body: Buffer.from('\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}') });
      return route.fulfill({ status: 404, body: 'not found' });
    });
    const workersBefore = page.workers().length;
    const result = await page.evaluate(async () => {
      const { pipeline } = await import('/js/src/index.js');
      const describe = (e) => ({ name: e?.name, code: e?.code, message: e?.message });
      const missing = await pipeline('text-generation', '/no-such-model/').then(() => null, describe);
      const broken = await pipeline('text-generation', '/broken/').then(() => null, describe);
      const generator = await pipeline('text-generation', '/models/kjv-llama-5m/');
      const controller = new AbortController();
      // Aborted as the first ids reach the page (the bundled model's 256 positions last under a second).
      const streamer = { put: () => controller.abort(), end() {} };
      const aborted = await generator('And', { max_new_tokens: 250, eos_token_id: [], signal: controller.signal, streamer }).then(() => null, describe);
      const after = await generator('And', { max_new_tokens: 3, do_sample: false });
      window.__generator = generator;
      return { missing, broken, aborted, after: after[0].generated_text };
    });
    assert.equal(result.missing.name, 'WaxError');
    assert.equal(result.missing.code, 'WAX_NOT_FOUND');
    assert.match(result.missing.message, /no-such-model/);
    assert.equal(result.broken.code, 'WAX_BAD_SAFETENSORS');
    assert.match(result.broken.message, /model\.safetensors/);
    assert.equal(result.aborted.name, 'AbortError');
    assert.ok(result.after.startsWith('And'));
    assert.equal(page.workers().length, workersBefore + 1, 'one wax worker (with its own pthread workers, if any) is alive');
    await page.evaluate(() => window.__generator.dispose());
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(page.workers().length, workersBefore, 'dispose() ended the worker');
  });
});

describe('objects of the page with a model in the wax worker', () => {
  it('a TextStreamer over a page tokenizer, stopping_criteria and stop_strings work; `await using` ends the worker', async () => {
    const workersBefore = page.workers().length;
    // A string: Node 20 cannot parse `await using`, Chromium can.
    const result = await page.evaluate(`(async () => {
      const { AutoModelForCausalLM, AutoTokenizer, TextStreamer } = await import('/js/src/index.js');
      await using tokenizer = await AutoTokenizer.from_pretrained('/models/kjv-llama-5m/'); // tokenizers stay in the page
      const input_ids = [tokenizer.encode('In the beginning')];
      const newText = (out) => tokenizer.decode(out.tolist()[0].slice(input_ids[0].length), { skip_special_tokens: true });
      let model, inScope;
      {
        await using scoped = await AutoModelForCausalLM.from_pretrained('/models/kjv-llama-5m/');
        model = scoped;
        let streamed = '';
        const streamer = new TextStreamer(tokenizer, { skip_prompt: true, callback_function: (text) => { streamed += text; } });
        const whole = newText(await model.generate({ input_ids, max_new_tokens: 12, do_sample: false, eos_token_id: [], streamer }));
        const criterion = (ids) => ids.map((row) => row.length >= input_ids[0].length + 2);
        const stopped = await model.generate({ input_ids, max_new_tokens: 12, eos_token_id: [], stopping_criteria: [criterion] });
        const byString = newText(await model.generate({ input_ids, max_new_tokens: 30, do_sample: false, eos_token_id: [], stop_strings: ',', tokenizer }));
        inScope = { streamed, whole, newTokens: stopped.dims[1] - input_ids[0].length, byString };
      }
      const afterScope = await model.forward({ input_ids }).then(() => null, (e) => e.code);
      return { ...inScope, afterScope };
    })()`);
    assert.ok(result.whole.length > 0);
    assert.equal(result.streamed, result.whole);
    assert.equal(result.newTokens, 2);
    assert.ok(result.byString.endsWith(','), result.byString);
    assert.equal(result.afterScope, 'WAX_DISPOSED');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(page.workers().length, workersBefore, '`await using` ended the worker');
  });
});
