#include "models/job.h"

#include "core/error.h"
#include "core/sizes.h"

namespace wax {

const job_input* job_request::int32_input(std::string_view name, size_t rank, bool required) const {
  for (const job_input& input : inputs) {
    if (input.name != name) continue;
    if (input.dtype != "int32" || input.dims.size() != rank)
      throw error(error_bad_input, std::string(name) + ": expected " + std::to_string(rank) + " dims of int32, got " +
                                       std::to_string(input.dims.size()) + " of " + input.dtype);
    return &input;
  }
  if (required) throw error(error_bad_input, task + ": the input " + std::string(name) + " is missing");
  return nullptr;
}

const job_input* job_request::attention_mask_for(const job_input& ids) const {
  const job_input* mask = int32_input("attention_mask", ids.dims.size(), false);
  if (mask && mask->dims != ids.dims)
    throw error(error_bad_input, "attention_mask: dims " + shape_to_string(mask->dims) + " differ from input_ids' " +
                                     shape_to_string(ids.dims));
  return mask;
}

std::vector<job_output_view> job::output_views() const {
  std::vector<job_output_view> views;
  for (const auto& [name, values] : outputs_) views.push_back({name, "float32", values.shape(), values.data()});
  return views;
}

job_request job_request_from_json(std::string_view request_json, const void* const* data) {
  const json object = json_parse(request_json, "job request", error_bad_input);
  if (!object.is_object()) throw error(error_bad_input, "job request: expected a JSON object, got " + json_describe(object));
  const config_reader request(object, "job request", error_bad_input);
  job_request result;
  result.task = request.string("task", "");
  if (result.task.empty()) request.fail("task", "a task name such as \"forward\"");
  const auto inputs = object.find("inputs");
  if (inputs != object.end()) {
    if (!inputs->is_array()) request.fail("inputs", "a list of {name, dtype, dims}");
    for (const json& entry : *inputs) {
      const auto dims = entry.find("dims");
      const bool well_formed = entry.is_object() && entry.value("name", json()).is_string() &&
                               entry.value("dtype", json()).is_string() && dims != entry.end() && dims->is_array();
      if (!well_formed) request.fail("inputs", "a list of {name, dtype, dims}");
      job_input input{entry["name"], entry["dtype"], {}, data[result.inputs.size()]};
      for (const json& dim : *dims) {
        if (!dim.is_number_integer() || dim.get<int64_t>() < 0) request.fail("inputs", "dims of non-negative integers");
        input.dims.push_back(dim.get<int64_t>());
      }
      if (input.dtype != "int32" && input.dtype != "float32") request.fail("inputs", "dtypes int32 or float32");
      checked_elements(input.dims, 4, input.name);
      result.inputs.push_back(std::move(input));
    }
  }
  const auto options = object.find("options");
  result.options = options == object.end() || options->is_null() ? json::object() : *options;
  if (!result.options.is_object()) request.fail("options", "an object");
  return result;
}

}  // namespace wax
