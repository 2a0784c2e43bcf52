#pragma once
// Presets are data files under the data directory: data/models/*.json,
// data/chips/*.yaml, data/engines/*.yaml (data_dir says which directory).
#include <string>
#include <vector>

#include "core/spec_reader.hpp"

namespace jalapeno {

// Where presets are read from, the first that holds a chips/ folder:
// JALAPENO_DATA (an error if it does not), set_data_dir's, share/jalapeno/data
// beside the binary's bin/ (an installed copy), the source tree's data/.
// Throws ConfigError naming every place it looked.
std::string data_dir();
void set_data_dir(const std::string& dir);
// The source tree's data/ the library was built from.
std::string built_in_data_dir();
// Names (file stems) of the presets in data/<kind>/ ending in extension, sorted.
std::vector<std::string> preset_names(const std::string& kind, const std::string& extension);
// A path that exists as given, or the preset of that name. Unknown names throw
// ConfigError listing the available presets.
std::string resolve_preset(const std::string& kind, const std::string& name_or_path,
                           const std::string& extension, const std::string& what);
// A document whose top-level `extends: NAME` names a preset of `kind` (or a
// file, relative to the document's own folder first): that document, itself
// resolved, with this one's keys laid over it. Mappings merge key by key;
// anything else (a value, a list) replaces. Without `extends`, `doc` as it
// is. Chains are followed up to 8 deep (a cycle is an error, not a hang).
// `path_keys`: top-level keys whose values may be files relative to the
// document that wrote them; an inherited one that names a file beside its
// own document is made to name that file from anywhere.
Document resolve_extends(const Document& doc, const std::string& kind, const std::string& extension,
                         const std::string& what, const std::vector<std::string>& path_keys = {});
// `over` laid over `base` as resolve_extends does, into a new node.
YAML::Node merge_over(const YAML::Node& base, const YAML::Node& over);

// "llama-3.1-8b" for both "llama-3.1-8b" and "some/dir/llama-3.1-8b.json".
std::string preset_display_name(const std::string& name_or_path, const std::string& extension);

}  // namespace jalapeno
