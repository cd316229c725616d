// A job: one call on a model (a forward, an embedding; later an encoder pass, a detection, a mask
// decode), run in bounded steps so that callers can yield and abort between them. Every family
// builds its jobs from the same request and hands back named tensors, so the wasm boundary is one
// set of exports (new, step, outputs, free) whatever the model.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"
#include "io/config.h"

namespace wax {

// One input tensor, borrowed from the caller for the job's constructor only.
struct job_input {
  std::string name;
  std::string dtype;  // "int32" or "float32"
  shape_t dims;
  const void* data = nullptr;
};

// What a caller asks of a model: the task ("forward", "embed", ...), its inputs, and the task's
// options as the request JSON gives them.
struct job_request {
  std::string task;
  std::vector<job_input> inputs;
  json options;

  // The int32 input `name` with `rank` dims (null when absent and not `required`); throws
  // WAX_BAD_INPUT naming it when its dtype or rank is wrong.
  const job_input* int32_input(std::string_view name, size_t rank, bool required) const;
  // The optional int32 attention_mask, which must have the dims of `ids`.
  const job_input* attention_mask_for(const job_input& ids) const;
  config_reader options_reader() const { return config_reader(options, "the " + task + " options", error_bad_input); }
};

// {"task", "inputs": [{"name", "dtype", "dims"}], "options": {...}} and one data pointer per
// input, in that order → the request; throws naming a malformed field.
job_request job_request_from_json(std::string_view request_json, const void* const* data);

// One output as the boundary hands it out, whatever its dtype; the data is owned by the job.
struct job_output_view {
  std::string name;
  std::string dtype;  // "float32" or "int32"
  shape_t dims;
  const void* data = nullptr;
};

class job {
 public:
  virtual ~job() = default;
  // Runs the next bounded piece of work (a layer); true once the outputs are ready (for a job
  // that gives outputs again, has_more(): the next ones, such as a generation's new tokens).
  virtual bool step() = 0;
  // Whether outputs come again after the ones step() just made ready.
  virtual bool has_more() const { return false; }
  // Bytes the job holds beside its model (a generation's KV cache), for memory reports.
  virtual uint64_t held_bytes() const { return 0; }
  // {"held_bytes"} and what the task settled on from its request and defaults (a generation's
  // max_new_tokens and eos_token_id), for the caller.
  virtual json info() const { return {{"held_bytes", held_bytes()}}; }
  // The float32 results by name, in a fixed order; owned by the job.
  const std::vector<std::pair<std::string, tensor>>& outputs() const { return outputs_; }
  // Every output with its dtype: outputs() unless the job gives other dtypes.
  virtual std::vector<job_output_view> output_views() const;

 protected:
  std::vector<std::pair<std::string, tensor>> outputs_;
};

}  // namespace wax
