#pragma once
// A Hugging Face config.json's `quantization_config`, read into a Precision.
// Each quantisation method is registered once, with its reader; a method not
// registered is an error, never a silent bf16.
#include <string>
#include <vector>

#include "core/spec_reader.hpp"
#include "model/precision.hpp"

namespace jalapeno {

// Reads reader (the quantization_config mapping) on top of precision (whose
// hidden dtype is the checkpoint's torch_dtype). Calls reader.finish().
void read_quantization_config(SpecReader& reader, Precision& precision);

// The registered method names, for messages and docs.
std::vector<std::string> quantization_method_names();

}  // namespace jalapeno
