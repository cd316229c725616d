#include "io/weights.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "io/safetensors.h"
#include "core/weight_view.h"

namespace wax {
namespace {

// "[3, 17]": the element at `flat` of a row-major tensor of `shape`.
std::string element_at(const shape_t& shape, int64_t flat) {
  std::string text;
  for (size_t d = shape.size(); d-- > 0;) {
    const int64_t dim = std::max<int64_t>(shape[d], 1);
    text = std::to_string(flat % dim) + (text.empty() ? "" : ", ") + text;
    flat /= dim;
  }
  return "[" + text + "]";
}

// A NaN or infinite weight makes every logit NaN (and quantizing would hide it as a number):
// every float tensor is checked as it arrives, before any conversion.
void check_finite(const std::string& file_name, const std::string& name, const weight_view& view) {
  const int64_t index = first_non_finite(view);
  if (index < 0) return;
  float value;
  tensor_to_f32(view, index, 1, &value);
  throw error(error_bad_weights, file_name + ": tensor '" + name + "' holds " +
                                     (std::isnan(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf") + " at element " +
                                     element_at(view.shape, index) + " (index " + std::to_string(index) +
                                     "); the checkpoint is damaged: download or export it again");
}

}  // namespace

void weights::add_view(const std::string& file_name, const std::string& name, weight_view view) {
  if (tensors_.count(name))
    throw error(error_bad_weights, file_name + ": tensor '" + name + "' is also stored in " + file_of_[name]);
  file_of_[name] = file_name;
  tensors_[name] = std::move(view);
}

void weights::add_file(const std::string& file_name, byte_buffer bytes) {
  auto views = safetensors_parse(bytes.data(), bytes.size(), file_name);
  for (const auto& [name, view] : views) {
    if (tensors_.count(name))
      throw error(error_bad_weights, file_name + ": tensor '" + name + "' is also stored in " + file_of_[name]);
    check_finite(file_name, name, view);
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
    add_view(file_name, name, std::move(view));
  }
  files_.push_back(std::move(bytes));
}

void weights::begin_file(const std::string& file_name, const std::byte* head, size_t head_size, uint64_t file_size,
                         const load_options& options) {
  if (arriving_.count(file_name)) throw error(error_bad_weights, file_name + ": the file was already begun");
  const uint64_t header_length = safetensors_header_length(head, file_size, file_name);
  if (head_size < 8 + header_length)
    throw error(error_bad_safetensors, file_name + ": only " + std::to_string(head_size) + " bytes of its " +
                                           std::to_string(8 + header_length) + "-byte header arrived");
  const std::string_view header_json(reinterpret_cast<const char*>(head + 8), header_length);
  arriving_[file_name] = {safetensors_parse_header(header_json, header_length, file_size - 8 - header_length, file_name),
                          options, 0};
}

void weights::add_tensors(const std::string& file_name, uint64_t data_begin, const std::byte* bytes, size_t size) {
  auto found = arriving_.find(file_name);
  if (found == arriving_.end()) throw error(error_bad_weights, file_name + ": tensors arrived before the file's header");
  arriving_file& file = found->second;
  const uint64_t data_end = data_begin + size;
  for (; file.received < file.header.entries.size(); ++file.received) {
    const safetensors_entry& entry = file.header.entries[file.received];
    if (entry.begin < data_begin)
      throw error(error_bad_weights, file_name + ": the bytes of tensor '" + entry.name + "' were skipped");
    if (entry.begin >= data_end) break;
    if (entry.end > data_end)
      throw error(error_bad_weights, file_name + ": tensor '" + entry.name + "' is cut at the end of a run of tensors");
    const weight_view arrived{entry.type, entry.shape, bytes + (entry.begin - data_begin), static_cast<size_t>(entry.end - entry.begin)};
    check_finite(file_name, entry.name, arrived);
    const std::string& dtype = file.options.dtype_for(entry.name);
    const bool is_float = entry.type == dtype::f32 || entry.type == dtype::f16 || entry.type == dtype::bf16;
    const bool converts = is_float && file.options.converts(entry.name, entry.shape);
    if (converts && (dtype == "q8" || dtype == "q4")) {
      quantized_[entry.name] = std::make_shared<quantized_matrix>(quantize(arrived, dtype == "q8" ? quant_type::q8_0 : quant_type::q4_0));
      add_view(file_name, entry.name, {entry.type, entry.shape, nullptr, arrived.nbytes});
      continue;
    }
    if (converts && dtype == "fp16" && entry.type != dtype::f16) {
      byte_buffer halves = byte_buffer::allocate(arrived.nbytes / dtype_size(entry.type) * 2);
      tensor_to_f16(arrived, reinterpret_cast<uint16_t*>(halves.data()));
      add_view(file_name, entry.name, {dtype::f16, entry.shape, halves.data(), halves.size()});
      files_.push_back(std::move(halves));
      continue;
    }
    byte_buffer copy = byte_buffer::allocate(arrived.nbytes);
    std::copy(arrived.data, arrived.data + arrived.nbytes, copy.data());
    add_view(file_name, entry.name, {entry.type, entry.shape, copy.data(), arrived.nbytes});
    files_.push_back(std::move(copy));
  }
}

void weights::check_complete() const {
  for (const auto& [file_name, file] : arriving_)
    if (file.received < file.header.entries.size())
      throw error(error_bad_weights, file_name + ": the bytes of tensor '" + file.header.entries[file.received].name + "' never arrived");
}

std::shared_ptr<const quantized_matrix> weights::quantized(const std::string& name) const {
  auto found = quantized_.find(name);
  return found == quantized_.end() ? nullptr : found->second;
}

const weight_view* weights::find(const std::string& name) const {
  auto found = tensors_.find(name);
  return found == tensors_.end() ? nullptr : &found->second;
}

size_t weights::weight_bytes() const {
  size_t total = 0;
  for (const auto& file : files_) total += file.size();
  return total;
}

std::vector<std::string> weights::unused_tensor_names() const {
  const auto recomputed = [](const std::string& name) {
    for (const std::string_view buffer : {"rotary_emb.inv_freq", "position_ids"})
      if (name.size() >= buffer.size() && name.compare(name.size() - buffer.size(), buffer.size(), buffer) == 0) return true;
    return false;
  };
  std::vector<std::string> names;
  for (const auto& [name, view] : tensors_)
    if (!used_.count(name) && !recomputed(name)) names.push_back(name);
  return names;
}

void weights::release_files() {
  used_.clear();
  files_.clear();
  quantized_.clear();
  arriving_.clear();
  tensors_.clear();
  file_of_.clear();
}

const load_options& weights_prefix::default_options() {
  static const load_options defaults;
  return defaults;
}

weights_prefix weights_prefix::pp(const std::string& part) const { return weights_prefix(*all_, *options_, full_name(part)); }

namespace {

void check_shape(const std::string& full, const shape_t& expected_shape, const shape_t& shape) {
  if (shape != expected_shape)
    throw error(error_bad_weights, "weights: '" + full + "': expected shape " + shape_to_string(expected_shape) +
                                       ", got " + shape_to_string(shape));
}

}  // namespace

std::shared_ptr<const quantized_matrix> weights_prefix::quantized(const std::string& name, const shape_t& expected_shape) const {
  const std::string full = full_name(name);
  auto matrix = all_->quantized(full);
  if (!matrix) return nullptr;
  check_shape(full, expected_shape, all_->find(full)->shape);
  all_->note_used(full);
  return matrix;
}

std::optional<weight_view> weights_prefix::get_optional(const std::string& name, const shape_t& expected_shape) const {
  const std::string full = full_name(name);
  const weight_view* view = all_->find(full);
  if (!view) return std::nullopt;
  all_->note_used(full);
  check_shape(full, expected_shape, view->shape);
  if (!view->data && view->nbytes)
    throw error(error_unsupported, "weights: '" + full + "' was quantized as it loaded and cannot be read as a plain tensor");
  if (view->type != dtype::f32 && view->type != dtype::f16 && view->type != dtype::bf16)
    throw error(error_unsupported, "weights: '" + full + "': dtype " + std::string(dtype_name(view->type)) +
                                       " is not supported for weights (expected F32, F16 or BF16)");
  return *view;
}

weight_view weights_prefix::get(const std::string& name, const shape_t& expected_shape) const {
  auto view = get_optional(name, expected_shape);
  if (!view)
    throw error(error_bad_weights, "weights: missing tensor '" + full_name(name) + "' of shape " +
                                       shape_to_string(expected_shape));
  return *view;
}

}  // namespace wax
