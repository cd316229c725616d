// The wasm boundary over src/api.h (it includes nothing below the api but core/): handles in, heap
// pointers out, no math. Every function that can fail takes `error_out`; on failure it stores a
// malloc'd JSON string {"code", "message"} there (the JS side reads, frees and throws it as an
// Error) and returns 0/null. C++ exceptions never cross this file.
#include <emscripten/emscripten.h>
#include <malloc.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <string>

#include <nlohmann/json.hpp>

#include "api.h"
#include "core/error.h"
#include "core/sizes.h"
#include "core/thread_pool.h"

using namespace wax;

namespace {

void report(char** error_out, const std::string& code, const std::string& message) {
  const std::string text = nlohmann::json{{"code", code}, {"message", message}}.dump();
  char* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy) std::memcpy(copy, text.c_str(), text.size() + 1);
  *error_out = copy;
}

// Runs `body`, turning any exception into an error report; returns `failed` then.
template <typename Body, typename Result = decltype(std::declval<Body>()())>
Result guarded(char** error_out, Result failed, Body body) {
  *error_out = nullptr;
  try {
    return body();
  } catch (const error& e) {
    report(error_out, e.code(), e.what());
  } catch (const std::bad_alloc&) {
    report(error_out, error_out_of_memory, "out of memory in the wasm heap (wasm32 is limited to 4 GiB)");
  } catch (const std::exception& e) {
    report(error_out, "WAX_INTERNAL", e.what());
  }
  return failed;
}

template <typename T>
T* copy_to_heap(const std::vector<T>& values) {
  T* out = static_cast<T*>(std::malloc(values.size() * sizeof(T)));
  if (!out) throw std::bad_alloc();
  std::memcpy(out, values.data(), values.size() * sizeof(T));
  return out;
}

// A malloc'd NUL-terminated copy.
char* copy_to_heap(const std::string& text) {
  return copy_to_heap(std::vector<char>(text.c_str(), text.c_str() + text.size() + 1));
}

}  // namespace

extern "C" {

// Threads that share each matmul and attention (the caller included); 1 in the plain build.
EMSCRIPTEN_KEEPALIVE int wax_set_threads(int threads) {
  thread_pool::instance().set_threads(threads);
  return thread_pool::instance().threads();
}

// Bytes the allocator has handed out and not yet taken back (dlmalloc's mallinfo().uordblks):
// what the loader tests compare before and after an aborted load.
EMSCRIPTEN_KEEPALIVE double wax_heap_used() { return double(mallinfo().uordblks); }

EMSCRIPTEN_KEEPALIVE weights* wax_weights_new() { return new (std::nothrow) weights(); }
EMSCRIPTEN_KEEPALIVE void wax_weights_free(weights* w) { delete w; }

// Takes ownership of `block` (malloc'd by JS; the file's bytes start `offset` in), also when it fails.
EMSCRIPTEN_KEEPALIVE int wax_weights_add_file(weights* w, const char* file_name, std::byte* block, size_t offset,
                                              size_t size, char** error_out) {
  byte_buffer owned(block, offset, size);
  return guarded(error_out, 0, [&] {
    w->add_file(file_name, std::move(owned));
    return 1;
  });
}

// A file streamed in runs of whole tensors (weights::begin_file/add_tensors); JS keeps its buffers.
// Offsets and sizes are doubles: files pass 4 GiB even where the heap cannot.
EMSCRIPTEN_KEEPALIVE int wax_weights_begin_file(weights* w, const char* file_name, const std::byte* head, size_t head_size,
                                                double file_size, const char* options_json, char** error_out) {
  return guarded(error_out, 0, [&] {
    api::weights_begin_file(*w, file_name, head, head_size, uint64_t(file_size), options_json);
    return 1;
  });
}

EMSCRIPTEN_KEEPALIVE int wax_weights_add_tensors(weights* w, const char* file_name, double data_begin, const std::byte* bytes,
                                                 size_t size, char** error_out) {
  return guarded(error_out, 0, [&] {
    w->add_tensors(file_name, uint64_t(data_begin), bytes, size);
    return 1;
  });
}

// A safetensors file's first `prefix_size` bytes (its length and header) and its size (negative:
// not known) → malloc'd JSON of its checked tensor table (api.h safetensors_header_table); the caller frees it.
EMSCRIPTEN_KEEPALIVE char* wax_safetensors_header(const char* file_name, const std::byte* prefix, size_t prefix_size,
                                                  double file_size, char** error_out) {
  return guarded(error_out, static_cast<char*>(nullptr), [&] {
    const std::optional<uint64_t> size = file_size < 0 ? std::nullopt : std::optional<uint64_t>(uint64_t(file_size));
    return copy_to_heap(api::safetensors_header_table(file_name, prefix, prefix_size, size));
  });
}

// config.json and {"dtype", "max_length", "files": the safetensors headers} → malloc'd JSON of what
// loading it needs (api.h model_estimate); the caller frees it.
EMSCRIPTEN_KEEPALIVE char* wax_model_estimate(const char* config_json, const char* request_json, char** error_out) {
  return guarded(error_out, static_cast<char*>(nullptr), [&] {
    const std::string text = api::model_estimate(config_json, request_json);
    return copy_to_heap(text);
  });
}

// Consumes `w` (also on failure): config.json's model as `task` ("causal_lm", "encoder"; api.h
// model_load) with options_json {"dtype": ...} (see load_options_from_json) and
// generation_config.json's text (null or empty: none), or null on error.
EMSCRIPTEN_KEEPALIVE loaded_model* wax_model_load(const char* config_json, weights* w, const char* options_json,
                                                  const char* task, const char* generation_config_json, char** error_out) {
  weights owned = std::move(*w);
  delete w;
  return guarded(error_out, static_cast<loaded_model*>(nullptr), [&] {
    return api::model_load(config_json, std::move(owned), options_json, task, generation_config_json ? generation_config_json : "")
        .release();
  });
}

EMSCRIPTEN_KEEPALIVE void wax_model_free(loaded_model* model) { delete model; }

// → malloc'd JSON of the model's info (models/loaded_model.h: unused_tensors, generation_config and
// its sizes); the caller frees it.
EMSCRIPTEN_KEEPALIVE char* wax_model_info(const loaded_model* model, char** error_out) {
  return guarded(error_out, static_cast<char*>(nullptr), [&] { return copy_to_heap(model->info().dump()); });
}

// tokenizer.json (+ tokenizer_config.json, may be empty) → a tokenizer handle, or null on error.
EMSCRIPTEN_KEEPALIVE tokenizer* wax_tokenizer_new(const char* tokenizer_json, const char* tokenizer_config_json,
                                                  char** error_out) {
  return guarded(error_out, static_cast<tokenizer*>(nullptr),
                 [&] { return new tokenizer(api::tokenizer_load(tokenizer_json, tokenizer_config_json)); });
}

EMSCRIPTEN_KEEPALIVE void wax_tokenizer_free(tokenizer* t) { delete t; }

// Encodes UTF-8 `text` (and `pair` unless null), given with their byte lengths since text may
// hold NULs → malloc'd int32 [n, ids (n), type_ids (n), special_tokens_mask (n)]; the caller frees it.
EMSCRIPTEN_KEEPALIVE int32_t* wax_tokenizer_encode(const tokenizer* t, const char* text, int text_bytes, const char* pair,
                                                   int pair_bytes, int add_special_tokens, char** error_out) {
  return guarded(error_out, static_cast<int32_t*>(nullptr), [&] {
    const std::string_view first(text, size_t(text_bytes));
    const auto encoded = pair ? t->encode_pair(first, std::string_view(pair, size_t(pair_bytes)), add_special_tokens != 0)
                              : t->encode(first, add_special_tokens != 0);
    std::vector<int32_t> packed{int32_t(encoded.ids.size())};
    packed.insert(packed.end(), encoded.ids.begin(), encoded.ids.end());
    packed.insert(packed.end(), encoded.type_ids.begin(), encoded.type_ids.end());
    packed.insert(packed.end(), encoded.special_tokens_mask.begin(), encoded.special_tokens_mask.end());
    return copy_to_heap(packed);
  });
}

// ids (n) → malloc'd [uint32 byte length, UTF-8 bytes] (the text may hold NULs); the caller frees it.
EMSCRIPTEN_KEEPALIVE uint8_t* wax_tokenizer_decode(const tokenizer* t, const int32_t* ids, int n, int skip_special_tokens,
                                                   char** error_out) {
  return guarded(error_out, static_cast<uint8_t*>(nullptr), [&] {
    const std::string text = t->decode(std::vector<int32_t>(ids, ids + n), skip_special_tokens != 0);
    std::vector<uint8_t> packed(4 + text.size());
    const auto length = uint32_t(text.size());
    std::memcpy(packed.data(), &length, 4);
    std::memcpy(packed.data() + 4, text.data(), text.size());
    return copy_to_heap(packed);
  });
}

// The id of a token string, or -1.
EMSCRIPTEN_KEEPALIVE int wax_tokenizer_token_to_id(const tokenizer* t, const char* token) {
  return t->token_to_id(token).value_or(-1);
}

// One decode_stream a row over `t` (which must outlive them): text as ids come, constant work a
// token (tokenizers/decode_stream.h).
EMSCRIPTEN_KEEPALIVE std::vector<decode_stream>* wax_decode_streams_new(const tokenizer* t, int rows, int skip_special_tokens) {
  return new (std::nothrow) std::vector<decode_stream>(size_t(std::max(rows, 0)), decode_stream(*t, skip_special_tokens != 0));
}

EMSCRIPTEN_KEEPALIVE void wax_decode_streams_free(std::vector<decode_stream>* streams) { delete streams; }

// ids (rows,): one new id a row → malloc'd [per row: uint32 byte length, UTF-8 bytes] of the text
// each completes; ids null: what each row holds back, and the rows start afresh. The caller frees it.
EMSCRIPTEN_KEEPALIVE uint8_t* wax_decode_streams_push(std::vector<decode_stream>* streams, const int32_t* ids,
                                                      char** error_out) {
  return guarded(error_out, static_cast<uint8_t*>(nullptr), [&] {
    std::vector<uint8_t> packed;
    for (size_t row = 0; row < streams->size(); ++row) {
      const std::string text = ids ? (*streams)[row].push(ids[row]) : (*streams)[row].finish();
      const auto length = uint32_t(text.size());
      packed.insert(packed.end(), reinterpret_cast<const uint8_t*>(&length), reinterpret_cast<const uint8_t*>(&length) + 4);
      packed.insert(packed.end(), text.begin(), text.end());
    }
    return copy_to_heap(packed);
  });
}

// A job over a model handle:
// request_json {"task", "inputs": [{"name", "dtype", "dims"}], "options"} (models/job.h; the
// tasks are api.h's) with `inputs` holding one data pointer per input, read only by this call.
// Null on error.
EMSCRIPTEN_KEEPALIVE job* wax_job_new(const loaded_model* model, const char* request_json, const void* const* inputs,
                                      char** error_out) {
  return guarded(error_out, static_cast<job*>(nullptr),
                 [&] { return api::job_new(*model, job_request_from_json(request_json, inputs)).release(); });
}

// 0: a step ran; 1: outputs are ready (wax_job_outputs) and more will come (a generation's next
// tokens); 2: the outputs are ready and the job is done; -1: error (the job may be freed).
EMSCRIPTEN_KEEPALIVE int wax_job_step(job* j, char** error_out) {
  return guarded(error_out, -1, [&] { return j->step() ? (j->has_more() ? 1 : 2) : 0; });
}

// → malloc'd JSON {"held_bytes": bytes the job holds beside its model, and what its task settled
// on: a generation's max_new_tokens and eos_token_id} (models/job.h info); the caller frees it.
EMSCRIPTEN_KEEPALIVE char* wax_job_info(const job* j, char** error_out) {
  return guarded(error_out, static_cast<char*>(nullptr), [&] { return copy_to_heap(j->info().dump()); });
}

// → malloc'd JSON [{"name", "dtype", "dims", "data": heap address of its values, owned by the job}];
// the caller frees the JSON.
EMSCRIPTEN_KEEPALIVE char* wax_job_outputs(const job* j, char** error_out) {
  return guarded(error_out, static_cast<char*>(nullptr), [&] {
    nlohmann::json list = nlohmann::json::array();
    for (const job_output_view& output : j->output_views())
      list.push_back({{"name", output.name}, {"dtype", output.dtype}, {"dims", output.dims}, {"data", uintptr_t(output.data)}});
    const std::string text = list.dump();
    return copy_to_heap(text);
  });
}

EMSCRIPTEN_KEEPALIVE void wax_job_free(job* j) { delete j; }

// preprocessor_config.json's Whisper log-mel features of `n` float32 samples (api.h audio_features)
// → malloc'd [int32 n_mels, int32 frames, float32 values (n_mels, frames)]; the caller frees it.
EMSCRIPTEN_KEEPALIVE int32_t* wax_audio_features(const char* preprocessor_config_json, const float* samples, size_t n,
                                                 char** error_out) {
  return guarded(error_out, static_cast<int32_t*>(nullptr), [&] {
    const tensor features = api::audio_features(preprocessor_config_json, samples, int64_t(n));
    auto* out = static_cast<int32_t*>(std::malloc(8 + features.values().size() * sizeof(float)));
    if (!out) throw std::bad_alloc();
    out[0] = int32_t(features.dim(0));
    out[1] = int32_t(features.dim(1));
    std::memcpy(out + 2, features.data(), features.values().size() * sizeof(float));
    return out;
  });
}

}  // extern "C"
