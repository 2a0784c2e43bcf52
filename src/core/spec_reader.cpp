#include "core/spec_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.hpp"

namespace jalapeno {
namespace {

// JSON is parsed strictly by nlohmann and converted, so that both formats are
// read by one SpecReader. Integers stay integers, floats keep full precision.
YAML::Node to_yaml(const nlohmann::json& json) {
  switch (json.type()) {
    case nlohmann::json::value_t::object: {
      YAML::Node node(YAML::NodeType::Map);
      for (const auto& [key, value] : json.items()) node[key] = to_yaml(value);
      return node;
    }
    case nlohmann::json::value_t::array: {
      YAML::Node node(YAML::NodeType::Sequence);
      for (const auto& value : json) node.push_back(to_yaml(value));
      return node;
    }
    case nlohmann::json::value_t::string:
      return YAML::Node(json.get<std::string>());
    case nlohmann::json::value_t::boolean:
      return YAML::Node(json.get<bool>() ? "true" : "false");
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return YAML::Node(json.dump());
    case nlohmann::json::value_t::number_float:
      return YAML::Node(fmt::format("{:.17g}", json.get<double>()));
    case nlohmann::json::value_t::null:
    default:
      return YAML::Node(YAML::NodeType::Null);
  }
}

// Levenshtein distance, for suggesting the key a misspelling meant.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Document parse_document(const std::string& text, const std::string& name, bool is_json) {
  if (is_json) {
    try {
      return {to_yaml(nlohmann::json::parse(text)), name};
    } catch (const nlohmann::json::exception& e) {
      throw ConfigError(fmt::format("{}: malformed JSON: {}", name, e.what()));
    }
  }
  try {
    return {YAML::Load(text), name};
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) throw ConfigError(fmt::format("{}: malformed YAML: {}", name, e.msg));
    throw ConfigError(fmt::format("{}:{}: malformed YAML: {}", name, e.mark.line + 1, e.msg));
  }
}

Document load_document(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(fmt::format("{}: cannot open file", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_document(buffer.str(), path, ends_with(path, ".json"));
}

SpecReader::SpecReader(YAML::Node node, std::string file, std::string path)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)) {}

SpecReader SpecReader::mapping(const Document& doc) {
  if (!doc.root.IsMap()) {
    throw ConfigError(
        fmt::format("{}: expected a mapping of keys to values at the top level", doc.file));
  }
  return SpecReader(doc.root, doc.file);
}

std::string SpecReader::key_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

std::string SpecReader::where(const std::string& key) const {
  YAML::Node value = node_[key];
  const YAML::Mark mark = value.IsDefined() ? value.Mark() : node_.Mark();
  if (mark.line >= 0 && !mark.is_null()) {
    return fmt::format("{}:{}: key '{}'", file_, mark.line + 1, key_path(key));
  }
  return fmt::format("{}: key '{}'", file_, key_path(key));
}

void SpecReader::fail(const std::string& key, const std::string& expected) const {
  throw ConfigError(fmt::format("{}: expected {}", where(key), expected));
}

bool SpecReader::has(const std::string& key) const {
  return node_.IsMap() && node_[key].IsDefined() && !node_[key].IsNull();
}

YAML::Node SpecReader::get(const std::string& key) {
  read_.insert(key);
  if (!has(key)) {
    // A misspelt key is the usual cause: name the keys here that are close.
    std::string unknown;
    if (node_.IsMap()) {
      for (const auto& entry : node_) {
        const std::string k = entry.first.as<std::string>();
        if (!read_.count(k) && edit_distance(k, key) <= 2) {
          unknown += (unknown.empty() ? "" : ", ") + ("'" + k + "'");
        }
      }
    }
    const YAML::Mark mark = node_.Mark();
    const std::string at =
        (!mark.is_null() && mark.line >= 0) ? fmt::format("{}:{}", file_, mark.line + 1) : file_;
    throw ConfigError(fmt::format("{}: missing required key '{}'{}", at, key_path(key),
                                  unknown.empty() ? "" : " (did you mean " + unknown + "?)"));
  }
  return node_[key];
}

std::string SpecReader::scalar(const std::string& key) {
  YAML::Node value = get(key);
  if (!value.IsScalar()) fail(key, "a single value, not a list or mapping");
  return value.Scalar();
}

double SpecReader::quantity(const std::string& key, Dimension dim) {
  const std::string text = scalar(key);
  auto value = parse_quantity(text, dim);
  if (!value) fail(key, fmt::format("{}, got '{}'", describe(dim), text));
  return *value;
}

double SpecReader::positive_quantity(const std::string& key, Dimension dim) {
  const double value = quantity(key, dim);
  if (!(value > 0)) fail(key, fmt::format("a value above zero, got '{}'", node_[key].Scalar()));
  return value;
}

std::string SpecReader::string(const std::string& key) {
  return scalar(key);
}

double SpecReader::number(const std::string& key) {
  const std::string text = scalar(key);
  const auto value = parse_number(text);
  if (!value) fail(key, fmt::format("a number, got '{}'", text));
  return *value;
}

double SpecReader::fraction(const std::string& key) {
  const double value = number(key);
  if (!(value > 0 && value <= 1)) fail(key, fmt::format("a fraction in (0, 1], got {}", value));
  return value;
}

int64_t SpecReader::integer(const std::string& key, int64_t min_value) {
  const std::string text = scalar(key);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    fail(key, fmt::format("a whole number, got '{}'", text));
  }
  if (value < min_value)
    fail(key, fmt::format("a whole number of at least {}, got {}", min_value, value));
  return value;
}

bool SpecReader::boolean(const std::string& key) {
  const std::string text = scalar(key);
  if (text == "true") return true;
  if (text == "false") return false;
  fail(key, fmt::format("true or false, got '{}'", text));
}

double SpecReader::positive_quantity_or(const std::string& key, Dimension dim, double fallback) {
  read_.insert(key);
  return has(key) ? positive_quantity(key, dim) : fallback;
}

std::string SpecReader::string_or(const std::string& key, const std::string& fallback) {
  read_.insert(key);
  return has(key) ? string(key) : fallback;
}

int64_t SpecReader::integer_or(const std::string& key, int64_t fallback, int64_t min_value) {
  read_.insert(key);
  return has(key) ? integer(key, min_value) : fallback;
}

double SpecReader::number_or(const std::string& key, double fallback) {
  read_.insert(key);
  return has(key) ? number(key) : fallback;
}

bool SpecReader::boolean_or(const std::string& key, bool fallback) {
  read_.insert(key);
  return has(key) ? boolean(key) : fallback;
}

SpecReader SpecReader::child(const std::string& key) {
  YAML::Node value = get(key);
  if (!value.IsMap()) fail(key, "a mapping of keys to values");
  return SpecReader(value, file_, key_path(key));
}

std::vector<std::string> SpecReader::child_keys(const std::string& key) {
  YAML::Node value = get(key);
  if (!value.IsMap()) fail(key, "a mapping of keys to values");
  std::vector<std::string> keys;
  for (const auto& entry : value) keys.push_back(entry.first.as<std::string>());
  return keys;
}

void SpecReader::ignore(const std::string& key) {
  read_.insert(key);
}

YAML::Node SpecReader::raw(const std::string& key) {
  return get(key);
}

void SpecReader::finish() const {
  if (!node_.IsMap()) return;
  std::vector<std::string> known(read_.begin(), read_.end());
  for (const auto& entry : node_) {
    const std::string key = entry.first.as<std::string>();
    if (read_.count(key)) continue;
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    const YAML::Mark mark = entry.first.Mark();
    const std::string at =
        (mark.line >= 0 && !mark.is_null()) ? fmt::format("{}:{}", file_, mark.line + 1) : file_;
    throw ConfigError(
        fmt::format("{}: unknown key '{}' (known keys here: {})", at, key_path(key), list));
  }
}

}  // namespace jalapeno
