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

Document resolve_extends(const Document& doc, const std::string& kind, const std::string& extension,
                         const std::string& what, const std::vector<std::string>& path_keys) {
  constexpr int kMaxDepth = 8;
  std::vector<Document> chain{doc};
  while (chain.back().root.IsMap() && chain.back().root["extends"].IsDefined()) {
    const Document& child = chain.back();
    SpecReader reader(child.root, child.file);
    const std::string parent = reader.string("extends");
    if (chain.size() > kMaxDepth) {
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
