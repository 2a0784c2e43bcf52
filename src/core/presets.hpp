#pragma once
// Presets are data files under the data directory: data/models/*.json,
// data/chips/*.yaml, data/engines/*.yaml. The directory is the source tree's
// data/ unless JALAPENO_DATA names another.
#include <string>
#include <vector>

namespace jalapeno {

std::string data_dir();
// Names (file stems) of the presets in data/<kind>/ ending in extension, sorted.
std::vector<std::string> preset_names(const std::string& kind, const std::string& extension);
// A path that exists as given, or the preset of that name. Unknown names throw
// ConfigError listing the available presets.
std::string resolve_preset(const std::string& kind, const std::string& name_or_path,
                           const std::string& extension, const std::string& what);
// "llama-3.1-8b" for both "llama-3.1-8b" and "some/dir/llama-3.1-8b.json".
std::string preset_display_name(const std::string& name_or_path, const std::string& extension);

}  // namespace jalapeno
