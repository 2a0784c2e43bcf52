#include "core/presets.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "core/error.hpp"
#include "core/params.hpp"

#ifndef JALAPENO_DATA_DIR
#define JALAPENO_DATA_DIR "data"
#endif

namespace jalapeno {
namespace fs = std::filesystem;

namespace {

std::mutex set_dir_mutex;
std::string& set_dir() {
  static std::string dir;
  return dir;
}

bool holds_data(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir / "chips", ec);
}

// share/jalapeno/data beside the running binary's bin/ (an installed copy).
const std::string& installed_data_dir() {
  static const std::string dir = [] {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return std::string();
    return (exe.parent_path().parent_path() / "share" / "jalapeno" / "data").string();
  }();
  return dir;
}

}  // namespace

std::string built_in_data_dir() {
  return JALAPENO_DATA_DIR;
}

void set_data_dir(const std::string& dir) {
  const std::lock_guard<std::mutex> lock(set_dir_mutex);
  set_dir() = dir;
}

std::string data_dir() {
  const char* env = std::getenv("JALAPENO_DATA");
  if (env != nullptr && *env != '\0') {
    // Named explicitly: it must be right.
    if (!holds_data(env)) {
      throw ConfigError(fmt::format(
          "data directory '{}' (from JALAPENO_DATA) has no chips/ folder: set JALAPENO_DATA to "
          "the jalapeno data directory (the one holding chips/, engines/, models/, systems/)",
          env));
    }
    return env;
  }
  std::string chosen;
  {
    const std::lock_guard<std::mutex> lock(set_dir_mutex);
    chosen = set_dir();
  }
  if (!chosen.empty() && holds_data(chosen)) return chosen;
  // Installed beside the binary, else the source tree the binary was built from.
  if (!installed_data_dir().empty() && holds_data(installed_data_dir())) {
    return installed_data_dir();
  }
  if (holds_data(JALAPENO_DATA_DIR)) return JALAPENO_DATA_DIR;
  throw ConfigError(fmt::format(
      "no jalapeno data directory: looked in {}{} and '{}' (built in); set JALAPENO_DATA to the "
      "directory holding chips/, engines/, models/, systems/",
      chosen.empty() ? "" : "'" + chosen + "' (set by the caller), ",
      installed_data_dir().empty() ? "" : "'" + installed_data_dir() + "' (beside the binary)",
      JALAPENO_DATA_DIR));
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
  // With an error code: a name too long for a path is not a file, not a throw.
  std::error_code ec;
  if (fs::is_regular_file(preset, ec)) return preset.string();
  if (fs::is_regular_file(name_or_path, ec)) return name_or_path;
  std::string names;
  for (const auto& name : preset_names(kind, extension))
    names += (names.empty() ? "" : ", ") + name;
  throw ConfigError(fmt::format("unknown {} '{}': not a preset and not a file (presets: {})", what,
                                name_or_path, names));
}

YAML::Node merge_over(const YAML::Node& base, const YAML::Node& over) {
  if (!base.IsMap() || !over.IsMap()) return YAML::Clone(over);
  YAML::Node out = YAML::Clone(base);
  for (const auto& entry : over) {
    const std::string key = entry.first.Scalar();
    out[key] =
        out[key].IsDefined() ? merge_over(out[key], entry.second) : YAML::Clone(entry.second);
  }
  return out;
}

namespace {

// The declarations of the files that may extend a preset of this directory.
const ParamKind* extends_kind(const std::string& preset_dir) {
  if (preset_dir == "chips") return &chip_param_kind();
  if (preset_dir == "engines") return &engine_param_kind();
  if (preset_dir == "systems") return &system_param_kind();
  return nullptr;
}

}  // namespace

Document resolve_extends(const Document& doc, const std::string& kind, const std::string& extension,
                         const std::string& what, const std::vector<std::string>& path_keys) {
  constexpr size_t kMaxDepth = 8;
  std::vector<Document> chain{doc};
  while (chain.back().root.IsMap() && chain.back().root["extends"].IsDefined()) {
    const Document& child = chain.back();
    SpecReader reader(child.root, child.file, "", extends_kind(kind));
    const std::string parent = reader.string("extends");
    if (chain.size() >= kMaxDepth) {
      reader.fail("extends", fmt::format("a chain of at most {} files (a cycle?)", kMaxDepth));
    }
    // A path is relative to the file that names it; a bare name is a preset.
    const fs::path beside = fs::path(child.file).parent_path() / parent;
    std::error_code ec;
    std::string path;
    try {
      path = !child.file.empty() && fs::is_regular_file(beside, ec)
                 ? beside.string()
                 : resolve_preset(kind, parent, extension, what);
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{}: {}", reader.where("extends"), e.what()));
    }
    Document ancestor = load_document(path);
    for (const std::string& key : path_keys) {
      const YAML::Node value = ancestor.root.IsMap() ? ancestor.root[key] : YAML::Node();
      if (!value.IsDefined() || !value.IsScalar()) continue;
      const fs::path file(value.Scalar());
      const fs::path there = fs::path(ancestor.file).parent_path() / file;
      if (file.is_relative() && fs::is_regular_file(there, ec)) {
        ancestor.root[key] = fs::absolute(there, ec).lexically_normal().string();
      }
    }
    chain.push_back(std::move(ancestor));
  }
  if (chain.size() == 1) return doc;
  YAML::Node merged = chain.back().root;
  for (size_t i = chain.size() - 1; i-- > 0;) {
    YAML::Node over = YAML::Clone(chain[i].root);
    over.remove("extends");
    merged.reset(merge_over(merged, over));  // rebinds; operator= would write through
  }
  return Document{merged, doc.file};
}

std::string preset_display_name(const std::string& name_or_path, const std::string& extension) {
  fs::path path(name_or_path);
  if (path.extension() == extension) return path.stem().string();
  return path.filename().string();
}

}  // namespace jalapeno
