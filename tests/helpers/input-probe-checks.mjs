// The assertions on tests/helpers/input-probes.mjs's results, shared by the Node and Chromium
// tests of issue 11's probes: each bad input a WaxError with its code and a message that names
// the argument and what it wants, the user's own callback errors passed on unchanged, the model
// still giving its greedy ids after every probe, and (where the heap can be read) no leak.
import assert from 'node:assert/strict';
import { it } from 'node:test';

/** Asserts a probe failed with a WaxError of `code` whose message matches `pattern`, and the model still ran. */
function assertWaxError(results, name, code, pattern) {
  const outcome = results[name];
  assert.ok(outcome, `no probe '${name}'`);
  assert.equal(outcome.ok, false, `${name}: succeeded with ${JSON.stringify(outcome.value)}`);
  assert.ok(outcome.waxError, `${name}: ${outcome.name}: ${outcome.message}`);
  assert.equal(outcome.code, code, `${name}: ${outcome.message}`);
  assert.match(outcome.message, pattern, name);
  assert.equal(outcome.stillGreedy, true, `${name}: the model's greedy ids changed after it`);
}

/** Asserts a probe rejected with the error the user's own callback threw, unchanged. */
function assertUserError(results, name, message) {
  const outcome = results[name];
  assert.equal(outcome.ok, false, `${name}: succeeded with ${JSON.stringify(outcome.value)}`);
  assert.equal(outcome.message, message, name);
  assert.equal(outcome.stillGreedy, true, name);
}

/**
 * The tests of one run of runInputProbes. `run()` gives its result (made in a before hook);
 * `heapUsed`: whether the run measured its heap (in-process) and so must show no leak.
 */
export function inputProbeTests(run, { heapUsed }) {
  it('max_new_tokens up to the model\'s 256 positions runs; one past is WAX_BAD_INPUT naming it and the limit', () => {
    const { results } = run();
    const { ok, value } = results['max_new_tokens 256 (the positions)'];
    assert.deepEqual({ ok, value }, { ok: true, value: 257 });
    assertWaxError(results, 'max_new_tokens 257', 'WAX_BAD_INPUT', /max_new_tokens: 257 is more than the model's max_position_embeddings \(256\); ask for at most 256/);
    assertWaxError(results, 'pipeline max_new_tokens 257', 'WAX_BAD_INPUT', /max_new_tokens: 257 .*\(256\)/);
    assertWaxError(results, 'pipeline max_new_tokens 1e9', 'WAX_BAD_INPUT', /text-generation: max_new_tokens must be an integer in \[0, 1048576\], got 1000000000/);
    assertWaxError(results, 'KV cache of 200000 rows', 'WAX_TOO_LARGE', /max_new_tokens: 200 new tokens after 200000 × 1 prompt tokens .*4\.00 GiB .*at most \d+ fit/);
  });

  it('empty and non-finite inputs through the pipeline and tokenizer', () => {
    const { results } = run();
    assertWaxError(results, 'pipeline empty prompt', 'WAX_BAD_INPUT', /input_ids: row 0 has no tokens/);
    assertWaxError(results, 'pipeline temperature NaN', 'WAX_BAD_INPUT', /text-generation: temperature must be a finite number > 0, got NaN/);
    assertWaxError(results, 'pipeline chat without content', 'WAX_BAD_INPUT', /message 0 \(role 'user'\) has no content/);
    assertWaxError(results, 'tokenizer max_length 1e9', 'WAX_BAD_INPUT', /max_length must be an integer in \[1, 1048576\], got 1000000000/);
    assertWaxError(results, 'tokenizer empty batch', 'WAX_BAD_INPUT', /the list of texts is empty/);
    assertWaxError(results, 'tokenizer number', 'WAX_BAD_INPUT', /text 1 is 5; expected a string/);
  });

  it('typed-array rows give the ids number[][] gives; a fraction or an id past 2^32 is refused naming where', () => {
    const { results } = run();
    const reference = results['ids as number[][] for reference'];
    assert.equal(reference.ok, true);
    for (const type of ['Int32Array', 'Float64Array', 'BigInt64Array', 'Uint16Array']) {
      assert.deepEqual(results[`${type} rows`].value, reference.value, type);
    }
    assertWaxError(results, 'Float64Array row with 404.5', 'WAX_BAD_INPUT', /input_ids: row 0, position 1 is 404\.5; expected a token id in \[0, 4096\)/);
    assertWaxError(results, 'BigInt64Array row with 2^33', 'WAX_BAD_INPUT', /input_ids: row 0, position 1 is 8589934592n; expected a token id/);
  });

  it('an attention_mask of the wrong type or values names attention_mask and what it wants', () => {
    const { results } = run();
    assertWaxError(results, 'attention_mask a string', 'WAX_BAD_INPUT', /attention_mask: expected a Tensor or an array .*got "yes"/);
    assertWaxError(results, 'attention_mask a float32 Tensor of 0.5', 'WAX_BAD_INPUT', /attention_mask: row 0, position 1 is 0\.5; expected 0 or 1/);
    assertWaxError(results, 'attention_mask of 2', 'WAX_BAD_INPUT', /attention_mask: row 0, position 1 is 2; expected 0 or 1/);
    assertWaxError(results, 'attention_mask all 0', 'WAX_BAD_INPUT', /row 0 has no tokens \(its attention_mask is all 0\)/);
  });

  it('a throwing or rejecting streamer or stopping criterion rejects generate with its own error, never an unhandled rejection', () => {
    const { results, unhandled } = run();
    assertUserError(results, 'streamer put throws', 'put threw');
    assertUserError(results, 'streamer end throws', 'end threw');
    assertUserError(results, 'streamer put rejects', 'async put rejected');
    assertUserError(results, 'TextStreamer callback throws', 'callback_function threw');
    assertUserError(results, 'pipeline TextStreamer callback throws', 'pipeline callback_function threw');
    assertUserError(results, 'stopping_criteria throws', 'stopping_criteria threw');
    assertUserError(results, 'pipeline stopping_criteria throws', 'pipeline stopping_criteria threw');
    assert.deepEqual(unhandled, []);
  });

  it('a model disposed while it generates rejects with WAX_DISPOSED; the module goes on, its heap back', () => {
    const { results, expected, afterAll, heapAfterRound } = run();
    assertWaxError(results, 'disposed while generating', 'WAX_DISPOSED', /disposed/);
    assert.deepEqual(afterAll, expected);
    // A few bytes come and go with the allocator's bookkeeping; a leak would be a block a probe.
    if (heapUsed) {
      const growth = Object.entries(results).map(([name, { heapGrowth }]) => `${name}: ${heapGrowth}`).join('\n');
      assert.ok(Math.abs(heapAfterRound[1] - heapAfterRound[0]) <= 1024,
        `heap in use after the second round of probes ${heapAfterRound[1]}, after the first ${heapAfterRound[0]}; the second round:\n${growth}`);
    }
  });
}
