#include "core/params.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "core/spec_reader.hpp"

namespace jalapeno {

namespace {

// "a.b[].c" -> {"a", "b", "[]", "c"}: the form reader paths are matched in.
std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    if (dot == std::string_view::npos) dot = path.size();
    std::string_view segment = path.substr(start, dot - start);
    const bool list = segment.size() > 2 && segment.substr(segment.size() - 2) == "[]";
    if (list) segment.remove_suffix(2);
    if (!segment.empty()) out.emplace_back(segment);
    if (list) out.emplace_back("[]");
    start = dot + 1;
  }
  return out;
}

// The first `count` segments match: `*` stands for any name, not a list's [].
bool prefix_matches(const std::vector<std::string>& declared, const std::vector<std::string>& path,
                    size_t count) {
  for (size_t i = 0; i < count; ++i) {
    if (declared[i] != path[i] && (declared[i] != "*" || path[i] == "[]")) return false;
  }
  return true;
}

bool segments_match(const std::vector<std::string>& declared,
                    const std::vector<std::string>& path) {
  return declared.size() == path.size() && prefix_matches(declared, path, path.size());
}

// Per kind: exact paths by hash, wildcard ones scanned (there are few).
struct KindIndex {
  std::unordered_map<std::string, const ParamDecl*> exact;  // joined with '\x1f'
  std::vector<std::pair<std::vector<std::string>, const ParamDecl*>> wildcard;
  std::vector<std::pair<std::vector<std::string>, const ParamDecl*>> all;  // split once
};

std::string join_segments(const std::vector<std::string>& segments) {
  std::string out;
  for (const auto& s : segments) (out += s) += '\x1f';
  return out;
}

KindIndex build_index(const ParamKind& kind) {
  KindIndex index;
  for (const ParamDecl& decl : kind.params) {
    std::vector<std::string> segments = split_path(decl.path);
    index.all.emplace_back(segments, &decl);
    if (std::find(segments.begin(), segments.end(), "*") != segments.end()) {
      index.wildcard.emplace_back(std::move(segments), &decl);
    } else {
      index.exact.emplace(join_segments(segments), &decl);
    }
  }
  return index;
}

// The registered kinds' indexes are built once and read without a lock
// (every read of every key comes here); a kind outside the registry (a
// test's own, living as long as the process) is indexed on first use.
const KindIndex& index_of(const ParamKind& kind) {
  static const std::unordered_map<const ParamKind*, KindIndex> registered = [] {
    std::unordered_map<const ParamKind*, KindIndex> out;
    for (const ParamKind* k : param_kinds()) out.emplace(k, build_index(*k));
    return out;
  }();
  const auto it = registered.find(&kind);
  if (it != registered.end()) return it->second;
  static std::mutex mutex;
  static std::unordered_map<const ParamKind*, KindIndex> others;
  const std::lock_guard<std::mutex> lock(mutex);
  auto other = others.find(&kind);
  if (other == others.end()) other = others.emplace(&kind, build_index(kind)).first;
  return other->second;
}

// Whether `declared` is one key below `parent` (wildcards matching).
bool directly_under(const std::vector<std::string>& declared,
                    const std::vector<std::string>& parent) {
  return declared.size() == parent.size() + 1 && prefix_matches(declared, parent, parent.size());
}

std::atomic<bool> recording{false};
std::mutex recorded_mutex;
std::set<std::string>& recorded() {
  static std::set<std::string> set;
  return set;
}

std::string markdown_cell(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

}  // namespace

const std::vector<const ParamKind*>& param_kinds() {
  static const std::vector<const ParamKind*> kinds = {
      &chip_param_kind(),          &chip_power_param_kind(), &chip_cost_param_kind(),
      &system_param_kind(),        &engine_param_kind(),     &model_param_kind(),
      &quantization_param_kind(),  &scenario_param_kind(),   &power_override_param_kind(),
      &cost_override_param_kind(), &facility_param_kind(),   &sweep_param_kind(),
      &process_param_kind(),       &die_model_param_kind(),  &switch_param_kind(),
  };
  return kinds;
}

const ParamKind* find_param_kind(std::string_view name) {
  for (const ParamKind* kind : param_kinds()) {
    if (kind->name == name) return kind;
  }
  return nullptr;
}

const ParamDecl* find_param(const ParamKind& kind, const std::vector<std::string>& parent,
                            std::string_view key) {
  // One hash lookup, in a buffer kept per thread: no allocation per read.
  const KindIndex& index = index_of(kind);
  thread_local std::string joined;
  joined.clear();
  for (const auto& s : parent) (joined += s) += '\x1f';
  (joined += key) += '\x1f';
  const auto hit = index.exact.find(joined);
  if (hit != index.exact.end()) return hit->second;
  if (index.wildcard.empty()) return nullptr;
  std::vector<std::string> segments = parent;
  segments.emplace_back(key);
  return find_param(kind, segments);
}

const ParamDecl* find_param(const ParamKind& kind, const std::vector<std::string>& segments) {
  const KindIndex& index = index_of(kind);
  const auto hit = index.exact.find(join_segments(segments));
  if (hit != index.exact.end()) return hit->second;
  for (const auto& [declared, decl] : index.wildcard) {
    if (segments_match(declared, segments)) return decl;
  }
  return nullptr;
}

const ParamDecl* find_param(const ParamKind& kind, std::string_view path) {
  return find_param(kind, split_path(path));
}

std::vector<std::string> declared_keys_under(const ParamKind& kind,
                                             const std::vector<std::string>& segments) {
  std::vector<std::string> out;
  for (const auto& [declared, decl] : index_of(kind).all) {
    if (decl->type == ParamType::kIgnored || !directly_under(declared, segments)) continue;
    if (declared.back() == "*" || declared.back() == "[]") continue;
    if (std::find(out.begin(), out.end(), declared.back()) == out.end())
      out.push_back(declared.back());
  }
  return out;
}

std::vector<std::pair<std::string, const ParamDecl*>> ignored_keys_under(
    const ParamKind& kind, const std::vector<std::string>& segments) {
  std::vector<std::pair<std::string, const ParamDecl*>> out;
  for (const auto& [declared, decl] : index_of(kind).all) {
    if (decl->type == ParamType::kIgnored && directly_under(declared, segments))
      out.emplace_back(declared.back(), decl);
  }
  return out;
}

std::vector<std::string> declared_keys_under(const ParamKind& kind, std::string_view path) {
  return declared_keys_under(kind, split_path(path));
}

std::string describe_param_type(const ParamDecl& decl) {
  switch (decl.type) {
    case ParamType::kQuantity: {
      if (!decl.dim) return "quantity";
      switch (*decl.dim) {
        case Dimension::kBytes:
          return "size (141GB, 80GiB)";
        case Dimension::kBandwidth:
          return "bandwidth (4.8TB/s)";
        case Dimension::kFlopRate:
          return "compute rate (989TFLOPS)";
        case Dimension::kTime:
          return "time (10us, 2ms, 1s)";
        case Dimension::kPower:
          return "power (700W)";
        case Dimension::kEnergy:
          return "energy (1pJ, 5J)";
        case Dimension::kFrequency:
          return "frequency (1.98GHz)";
        case Dimension::kRate:
          return "rate (20/s)";
        case Dimension::kArea:
          return "area (814mm2, 0.021um2)";
      }
      return "quantity";
    }
    case ParamType::kInteger:
      return "whole number";
    case ParamType::kNumber:
      return "number";
    case ParamType::kFraction:
      return "fraction in (0, 1]";
    case ParamType::kBoolean:
      return "true or false";
    case ParamType::kString:
      return "string";
    case ParamType::kList:
      return "list";
    case ParamType::kMapping:
      return decl.kind.empty() ? "mapping" : "mapping (a " + decl.kind + ")";
    case ParamType::kNames:
      return "mapping by name";
    case ParamType::kNameOrMapping:
      return "preset name or inline " + (decl.kind.empty() ? std::string("mapping") : decl.kind);
    case ParamType::kIgnored:
      return "ignored";
  }
  return "";
}

namespace {

std::string default_text(const ParamDecl& decl) {
  if (decl.type == ParamType::kIgnored) return "";
  return decl.default_value ? *decl.default_value : "required";
}

const char* type_name(ParamType type) {
  switch (type) {
    case ParamType::kQuantity:
      return "quantity";
    case ParamType::kInteger:
      return "integer";
    case ParamType::kNumber:
      return "number";
    case ParamType::kFraction:
      return "fraction";
    case ParamType::kBoolean:
      return "boolean";
    case ParamType::kString:
      return "string";
    case ParamType::kList:
      return "list";
    case ParamType::kMapping:
      return "mapping";
    case ParamType::kNames:
      return "names";
    case ParamType::kNameOrMapping:
      return "name-or-mapping";
    case ParamType::kIgnored:
      return "ignored";
  }
  return "";
}

const char* dimension_name(Dimension dim) {
  switch (dim) {
    case Dimension::kBytes:
      return "bytes";
    case Dimension::kBandwidth:
      return "bandwidth";
    case Dimension::kFlopRate:
      return "flop-rate";
    case Dimension::kTime:
      return "time";
    case Dimension::kPower:
      return "power";
    case Dimension::kEnergy:
      return "energy";
    case Dimension::kFrequency:
      return "frequency";
    case Dimension::kRate:
      return "rate";
    case Dimension::kArea:
      return "area";
  }
  return "";
}

}  // namespace

std::string format_params(const std::vector<const ParamKind*>& kinds, ParamFormat format) {
  if (format == ParamFormat::kJson) {
    nlohmann::ordered_json out;
    out["schema"] = "jalapeno.params/1";
    out["kinds"] = nlohmann::ordered_json::array();
    for (const ParamKind* kind : kinds) {
      nlohmann::ordered_json k;
      k["name"] = kind->name;
      k["summary"] = kind->summary;
      k["params"] = nlohmann::ordered_json::array();
      for (const ParamDecl& decl : kind->params) {
        nlohmann::ordered_json p;
        p["path"] = decl.path;
        p["type"] = type_name(decl.type);
        if (decl.dim) p["dimension"] = dimension_name(*decl.dim);
        p["required"] = !decl.default_value && decl.type != ParamType::kIgnored;
        if (decl.default_value) p["default"] = *decl.default_value;
        if (!decl.kind.empty()) p["kind"] = decl.kind;
        p["description"] = decl.description;
        k["params"].push_back(std::move(p));
      }
      out["kinds"].push_back(std::move(k));
    }
    return out.dump(2) + "\n";
  }
  std::string out;
  for (const ParamKind* kind : kinds) {
    if (format == ParamFormat::kMarkdown) {
      out += fmt::format("#### `{}`\n\n{}\n\n", kind->name, kind->summary);
      out += "| key | type | default | meaning |\n|---|---|---|---|\n";
      std::string ignored;
      for (const ParamDecl& decl : kind->params) {
        if (decl.type == ParamType::kIgnored) {
          ignored += (ignored.empty() ? "`" : ", `") + decl.path + "`";
          continue;
        }
        out += fmt::format("| `{}` | {} | {} | {} |\n", markdown_cell(decl.path),
                           markdown_cell(describe_param_type(decl)),
                           markdown_cell(default_text(decl)), markdown_cell(decl.description));
      }
      if (!ignored.empty()) out += fmt::format("\nRead and not used: {}.\n", ignored);
      out += "\n";
    } else {
      out += fmt::format("{}: {}\n", kind->name, kind->summary);
      size_t width = 0;
      for (const ParamDecl& decl : kind->params) width = std::max(width, decl.path.size());
      for (const ParamDecl& decl : kind->params) {
        out += fmt::format("  {:<{}}  {}", decl.path, width, describe_param_type(decl));
        const std::string def = default_text(decl);
        if (!def.empty()) out += fmt::format(" [{}]", def);
        out += fmt::format("\n  {:<{}}  {}\n", "", width, decl.description);
      }
      out += "\n";
    }
  }
  return out;
}

const ParamDecl* resolve_param_path(const ParamKind& kind, std::string_view path,
                                    std::vector<std::string>* near) {
  // Walk the path segment by segment; where a mapping is read as another
  // kind, carry on from that kind's root.
  const std::vector<std::string> segments = split_path(path);
  const ParamKind* current = &kind;
  std::vector<std::string> within;  // the path inside `current`
  std::string prefix;               // what `within` hangs under, for messages
  const ParamDecl* decl = nullptr;
  for (size_t i = 0; i < segments.size(); ++i) {
    within.push_back(segments[i]);
    decl = find_param(*current, within);
    if (!decl) {
      if (near) {
        std::vector<std::string> parent(within.begin(), within.end() - 1);
        for (const std::string& key : declared_keys_under(*current, parent)) {
          if (edit_distance(key, segments[i]) <= 2) {
            std::string full = prefix;
            for (const auto& s : parent) full += s + ".";
            near->push_back(full + key);
          }
        }
      }
      return nullptr;
    }
    if (i + 1 < segments.size() && !decl->kind.empty()) {
      const ParamKind* sub = find_param_kind(decl->kind);
      if (!sub) return nullptr;
      for (const auto& s : within) prefix += s + ".";
      current = sub;
      within.clear();
    }
  }
  return decl;
}

void set_param_recording(bool on) {
  recording.store(on);
}

void record_param(const ParamKind& kind, const ParamDecl& decl) {
  if (!recording.load(std::memory_order_relaxed)) return;
  const std::lock_guard<std::mutex> lock(recorded_mutex);
  recorded().insert(kind.name + ":" + decl.path);
}

std::vector<std::string> recorded_params() {
  const std::lock_guard<std::mutex> lock(recorded_mutex);
  return {recorded().begin(), recorded().end()};
}

void clear_recorded_params() {
  const std::lock_guard<std::mutex> lock(recorded_mutex);
  recorded().clear();
}

}  // namespace jalapeno
