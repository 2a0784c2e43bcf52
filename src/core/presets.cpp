#include "core/presets.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "core/error.hpp"

#ifndef JALAPENO_DATA_DIR
#define JALAPENO_DATA_DIR "data"
#endif

namespace jalapeno {
namespace fs = std::filesystem;

std::string data_dir() {
  const char* env = std::getenv("JALAPENO_DATA");
  const bool from_env = env != nullptr && *env != '\0';
  const std::string dir = from_env ? env : JALAPENO_DATA_DIR;
  // A missing data directory would list no presets and resolve none: say
  // where we looked instead.
  std::error_code ec;
  if (!fs::is_directory(fs::path(dir) / "chips", ec)) {
    throw ConfigError(fmt::format(
        "data directory '{}' ({}) has no chips/ folder: set JALAPENO_DATA to the jalapeno data "
        "directory (the one holding chips/, engines/, models/, systems/)",
        dir, from_env ? "from JALAPENO_DATA" : "built in"));
  }
  return dir;
}

std::vector<std::string> preset_names(const std::string& kind, const std::string& extension) {
  std::vector<std::string> names;
  const fs::path dir = fs::path(data_dir()) / kind;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == extension) names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string resolve_preset(const std::string& kind, const std::string& name_or_path,
                           const std::string& extension, const std::string& what) {
  const fs::path preset = fs::path(data_dir()) / kind / (name_or_path + extension);
  if (fs::is_regular_file(preset)) return preset.string();
  if (fs::is_regular_file(name_or_path)) return name_or_path;
  std::string names;
  for (const auto& name : preset_names(kind, extension))
    names += (names.empty() ? "" : ", ") + name;
  throw ConfigError(fmt::format("unknown {} '{}': not a preset and not a file (presets: {})", what,
                                name_or_path, names));
}

std::string preset_display_name(const std::string& name_or_path, const std::string& extension) {
  fs::path path(name_or_path);
  if (path.extension() == extension) return path.stem().string();
  return path.filename().string();
}

}  // namespace jalapeno
