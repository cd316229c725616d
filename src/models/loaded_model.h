// What every model built from a checkpoint reports about its load.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "io/weights.h"
#include "models/job.h"

namespace wax {

class loaded_model {
 public:
  virtual ~loaded_model() = default;

  // Checkpoint tensors the model never read, in name order: a config.json with fewer layers than
  // the checkpoint, or a head this model has no use for. Loading goes on; callers warn.
  const std::vector<std::string>& unused_tensors() const { return unused_tensors_; }

  // config.json and generation_config.json as read at load, whole (generation_config.json: an
  // empty object when the model has none): what runs the model beyond its weights, such as a
  // generation's defaults and eos ids, or Whisper's language and task ids. generation_config.json
  // is parsed only: its values are checked where they are used, so that a call can override a
  // bad one.
  const json& config() const { return config_; }
  const json& generation_config() const { return generation_config_; }
  // Set once by the loader (models/registry.h model_load).
  void keep_settings(json config, json generation_config) {
    config_ = std::move(config);
    generation_config_ = std::move(generation_config);
  }

  // What callers read of the model, by name: {"unused_tensors", "generation_config"} and the task
  // interface's sizes (a causal LM's vocab_size, max_position_embeddings, weight_bytes,
  // scratch_bytes; an encoder's hidden_size, max_position_embeddings).
  virtual json info() const { return {{"unused_tensors", unused_tensors_}, {"generation_config", generation_config_}}; }

  // A job over this model (models/job.h); the model must outlive it. Throws WAX_BAD_INPUT naming
  // a task the model does not run or an input that does not fit.
  virtual std::unique_ptr<job> new_job(const job_request& request) const {
    throw error(error_bad_input, "this model runs no task '" + request.task + "'");
  }

 protected:
  // Called once the model has read every tensor it needs, before the files are released.
  void note_unused_tensors(const weights& w) { unused_tensors_ = w.unused_tensor_names(); }

 private:
  std::vector<std::string> unused_tensors_;
  json config_ = json::object();
  json generation_config_ = json::object();
};

}  // namespace wax
