#include "io/weights.h"

#include <algorithm>

#include "core/error.h"
#include "io/safetensors.h"

namespace wax {

void weights::add_file(const std::string& file_name, byte_buffer bytes) {
  auto views = safetensors_parse(bytes.data(), bytes.size(), file_name);
  for (const auto& [name, view] : views) {
    if (tensors_.count(name))
      throw error(error_bad_weights, file_name + ": tensor '" + name + "' is also stored in " + file_of_[name]);
  }
  for (auto& [name, view] : views) {
    // Kernels read F32/F16/BF16 elements directly: a misaligned tensor (a non-standard writer)
    // is the one case where a view is not enough.
    if (reinterpret_cast<uintptr_t>(view.data) % dtype_size(view.type) != 0) {
      byte_buffer aligned = byte_buffer::allocate(view.nbytes);
      std::copy(view.data, view.data + view.nbytes, aligned.data());
      view.data = aligned.data();
      files_.push_back(std::move(aligned));
    }
    file_of_[name] = file_name;
    tensors_[name] = std::move(view);
  }
  files_.push_back(std::move(bytes));
}

const tensor_view* weights::find(const std::string& name) const {
  auto found = tensors_.find(name);
  return found == tensors_.end() ? nullptr : &found->second;
}

size_t weights::weight_bytes() const {
  size_t total = 0;
  for (const auto& file : files_) total += file.size();
  return total;
}

const std::string& load_options::dtype_for(const std::string& key) const {
  for (size_t start = 0; start <= key.size();) {
    const size_t end = std::min(key.find('.', start), key.size());
    auto found = per_module.find(key.substr(start, end - start));
    if (found != per_module.end()) return found->second;
    start = end + 1;
  }
  return dtype;
}

void weights::release_files() {
  files_.clear();
  tensors_.clear();
  file_of_.clear();
}

const load_options& weights_prefix::default_options() {
  static const load_options defaults;
  return defaults;
}

weights_prefix weights_prefix::pp(const std::string& part) const { return weights_prefix(*all_, *options_, full_name(part)); }

std::optional<tensor_view> weights_prefix::get_optional(const std::string& name, const shape_t& expected_shape) const {
  const std::string full = full_name(name);
  const tensor_view* view = all_->find(full);
  if (!view) return std::nullopt;
  if (view->shape != expected_shape)
    throw error(error_bad_weights, "weights: '" + full + "': expected shape " + shape_to_string(expected_shape) +
                                       ", got " + shape_to_string(view->shape));
  if (view->type != dtype::f32 && view->type != dtype::f16 && view->type != dtype::bf16)
    throw error(error_unsupported, "weights: '" + full + "': dtype " + std::string(dtype_name(view->type)) +
                                       " is not supported for weights (expected F32, F16 or BF16)");
  return *view;
}

tensor_view weights_prefix::get(const std::string& name, const shape_t& expected_shape) const {
  auto view = get_optional(name, expected_shape);
  if (!view)
    throw error(error_bad_weights, "weights: missing tensor '" + full_name(name) + "' of shape " +
                                       shape_to_string(expected_shape));
  return *view;
}

}  // namespace wax
