// The checkpoint's tensors, looked up by name and checked against the shape the model expects.
// Owns the safetensors files (their bytes live once, in the heap); tensors are views into them.
//
//   auto attn = w.pp("model.layers").pp(i).pp("self_attn");
//   weight_view q = attn.get("q_proj.weight", {q_dim, hidden});
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/byte_buffer.h"
#include "core/weight_view.h"
#include "io/load_options.h"
#include "io/safetensors.h"
#include "core/quantized_matrix.h"

namespace wax {

class weights {
 public:
  // Validates the file and takes ownership of its bytes (on error too).
  void add_file(const std::string& file_name, byte_buffer bytes);

  // A file that arrives in pieces, so that a model quantized on load never holds the whole file:
  // its head first (the 8-byte length and the JSON header; `file_size` is the whole file's),
  // then its data section in runs of whole tensors. Matrices that `options` quantizes or halves
  // are converted as their run arrives; other tensors are copied out of it; the caller keeps the run.
  void begin_file(const std::string& file_name, const std::byte* head, size_t head_size, uint64_t file_size,
                  const load_options& options);
  // `bytes` hold the data section from offset `data_begin`; every tensor that starts there must end there.
  void add_tensors(const std::string& file_name, uint64_t data_begin, const std::byte* bytes, size_t size);
  // Throws naming the first tensor of a begun file whose bytes never came.
  void check_complete() const;

  const weight_view* find(const std::string& name) const;  // a quantized tensor's view has no data
  // weights_prefix notes each tensor a model reads, so that a load can report what it left.
  void note_used(const std::string& name) const { used_.insert(name); }
  // Tensors no model read, in name order; buffers that transformers also recomputes rather than
  // loads (rotary inv_freq, position_ids) are not counted.
  std::vector<std::string> unused_tensor_names() const;
  std::shared_ptr<const quantized_matrix> quantized(const std::string& name) const;
  size_t weight_bytes() const;  // the files' bytes while they are kept

  // A model that converted every matrix it read (and copied the rest) no longer needs the
  // files' bytes: it records each view it keeps, and releases the files if there is none.
  void note_view_kept() const { views_kept_ = true; }
  bool views_kept() const { return views_kept_; }
  void release_files();

 private:
  void add_view(const std::string& file_name, const std::string& name, weight_view view);

  mutable bool views_kept_ = false;
  mutable std::set<std::string> used_;
  std::deque<byte_buffer> files_;
  std::map<std::string, std::shared_ptr<const quantized_matrix>> quantized_;
  struct arriving_file {
    safetensors_header header;
    load_options options;
    size_t received = 0;  // entries (in header order) whose bytes came
  };
  std::map<std::string, arriving_file> arriving_;
  std::map<std::string, weight_view> tensors_;
  std::map<std::string, std::string> file_of_;  // tensor name -> file, for error messages
};

// A name prefix over `weights`, as candle's VarBuilder::pp.
class weights_prefix {
 public:
  explicit weights_prefix(const weights& all, const load_options& options = default_options(), std::string prefix = "")
      : all_(&all), options_(&options), prefix_(std::move(prefix)) {}

  weights_prefix pp(const std::string& part) const;
  weights_prefix pp(int index) const { return pp(std::to_string(index)); }

  // Throws naming the tensor, the expected and the actual shape. Float tensors only (F32, F16, BF16).
  weight_view get(const std::string& name, const shape_t& expected_shape) const;
  std::optional<weight_view> get_optional(const std::string& name, const shape_t& expected_shape) const;
  // The matrix if it was quantized as it arrived (checked against `expected_shape`), else null.
  std::shared_ptr<const quantized_matrix> quantized(const std::string& name, const shape_t& expected_shape) const;
  bool contains(const std::string& name) const { return all_->find(full_name(name)) != nullptr; }
  std::string full_name(const std::string& name) const { return prefix_.empty() ? name : prefix_ + "." + name; }
  const load_options& options() const { return *options_; }
  const weights& all() const { return *all_; }

 private:
  static const load_options& default_options();
  const weights* all_;
  const load_options* options_;
  std::string prefix_;
};

}  // namespace wax
