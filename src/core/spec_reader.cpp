#include "core/spec_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/params.hpp"

namespace jalapeno {
namespace {

// Bounds on any document, whatever its format: configs are shallow and small,
// so anything beyond these is a wrong file or an attack, and a clear error
// beats a stack overflow or a runaway expansion of YAML aliases.
constexpr int kMaxDepth = 64;
constexpr int64_t kMaxNodes = 1000000;

// Tag yaml-cpp gives a quoted (non-plain) scalar; JSON strings get it too, so
// that "4096" is a string in either format and never read as a number.
constexpr const char* kQuotedTag = "!";

// JSON is read with nlohmann's SAX interface straight into YAML nodes, so both
// formats are read by one SpecReader. The SAX parser keeps its own stack (no
// recursion); the builder bounds the depth, rejects duplicate keys (which
// nlohmann would resolve silently, keeping the last), keeps integers as
// written and floats at full precision.
class JsonToYaml final : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit JsonToYaml(std::string file) : file_(std::move(file)) {}

  YAML::Node root() const { return root_; }

  bool null() override { return add(YAML::Node(YAML::NodeType::Null)); }
  bool boolean(bool value) override { return add(YAML::Node(value ? "true" : "false")); }
  bool number_integer(number_integer_t value) override {
    return add(YAML::Node(std::to_string(value)));
  }
  bool number_unsigned(number_unsigned_t value) override {
    return add(YAML::Node(std::to_string(value)));
  }
  bool number_float(number_float_t value, const string_t&) override {
    return add(YAML::Node(fmt::format("{:.17g}", value)));
  }
  bool string(string_t& value) override {
    YAML::Node node(value);
    node.SetTag(kQuotedTag);
    return add(node);
  }
  bool binary(binary_t&) override { return fail("binary values are not JSON"); }
  bool start_object(std::size_t) override { return open(YAML::Node(YAML::NodeType::Map)); }
  bool key(string_t& key) override {
    Frame& frame = stack_.back();
    if (!frame.keys.insert(key).second) {
      return fail(fmt::format("duplicate key '{}' (each key may appear once in an object)",
                              path_with(key)));
    }
    frame.key = key;
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(YAML::Node(YAML::NodeType::Sequence)); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::json::exception& e) override {
    if (error_.empty()) error_ = fmt::format("malformed JSON at byte {}: {}", position, e.what());
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  struct Frame {
    YAML::Node node;
    std::string key;
    std::set<std::string> keys;
  };

  std::string path_with(const std::string& key) const {
    std::string path;
    for (size_t i = 1; i < stack_.size(); ++i) path += stack_[i - 1].key + ".";
    return path + key;
  }
  bool fail(const std::string& message) {
    if (error_.empty()) error_ = message;
    return false;
  }
  bool add(YAML::Node node) {
    if (++nodes_ > kMaxNodes) {
      return fail(fmt::format("more than {} values; not a config file", kMaxNodes));
    }
    if (stack_.empty()) {
      root_ = node;
    } else if (stack_.back().node.IsMap()) {
      // Appends without yaml-cpp's linear lookup: key() has already
      // rejected duplicates.
      stack_.back().node.force_insert(stack_.back().key, node);
    } else {
      stack_.back().node.push_back(node);
    }
    return true;
  }
  bool open(YAML::Node node) {
    if (static_cast<int>(stack_.size()) >= kMaxDepth) {
      return fail(fmt::format("nested deeper than {} levels; not a config file", kMaxDepth));
    }
    if (!add(node)) return false;
    stack_.push_back(Frame{node, "", {}});
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  std::string file_;
  YAML::Node root_;
  std::vector<Frame> stack_;
  int64_t nodes_ = 0;
  std::string error_;
};

// The deepest nesting of YAML flow collections ([...] and {...}) outside
// quotes: an estimate, used only to explain why yaml-cpp gave up.
int flow_nesting_depth(const std::string& text) {
  int depth = 0, deepest = 0;
  char quote = 0;
  for (char c : text) {
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

std::string at_line(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0) return file;
  return fmt::format("{}:{}", file, mark.line + 1);
}

// YAML is parsed by yaml-cpp (which bounds its own recursion), then checked
// once here, so that every reader downstream may assume: mapping keys are
// plain scalars, each appears once, and the tree is shallow and finite (an
// alias shares a node, so a walk counts every visit and stops aliases that
// expand exponentially).
void check_yaml_tree(const YAML::Node& node, const std::string& file, int depth, int64_t& visited) {
  if (++visited > kMaxNodes) {
    throw ConfigError(fmt::format("{}: more than {} values (aliases expanding?); not a config file",
                                  file, kMaxNodes));
  }
  if (depth > kMaxDepth) {
    throw ConfigError(fmt::format("{}: nested deeper than {} levels; not a config file",
                                  at_line(file, node.Mark()), kMaxDepth));
  }
  if (node.IsSequence()) {
    for (const auto& item : node) check_yaml_tree(item, file, depth + 1, visited);
  } else if (node.IsMap()) {
    std::set<std::string> keys;
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      if (!key.IsScalar() || key.Scalar().empty()) {
        throw ConfigError(fmt::format("{}: expected a mapping key that is a plain name, got {}",
                                      at_line(file, key.Mark()),
                                      key.IsMap()        ? "a mapping"
                                      : key.IsSequence() ? "a list"
                                                         : "an empty key"));
      }
      if (!keys.insert(key.Scalar()).second) {
        throw ConfigError(fmt::format("{}: duplicate key '{}' (each key may appear once)",
                                      at_line(file, key.Mark()), key.Scalar()));
      }
      check_yaml_tree(entry.second, file, depth + 1, visited);
    }
  }
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

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

namespace {

// The parsed documents of the open DocumentCache scopes, by their text: the
// same text always parses to the same tree, so an entry is never stale.
struct ParsedDocuments {
  std::mutex mutex;
  int scopes = 0;
  std::unordered_map<std::string, YAML::Node> trees;  // key: name, kind and text
};
ParsedDocuments& parsed_documents() {
  static ParsedDocuments cache;
  return cache;
}
constexpr size_t kMaxCachedText = 4 << 20;
constexpr size_t kMaxCachedDocuments = 256;

}  // namespace

DocumentCache::DocumentCache() {
  ParsedDocuments& cache = parsed_documents();
  const std::lock_guard<std::mutex> lock(cache.mutex);
  ++cache.scopes;
}

DocumentCache::~DocumentCache() {
  ParsedDocuments& cache = parsed_documents();
  const std::lock_guard<std::mutex> lock(cache.mutex);
  if (--cache.scopes == 0) cache.trees.clear();
}

Document parse_document(const std::string& text, const std::string& name, bool is_json) {
  ParsedDocuments& cache = parsed_documents();
  std::string key;
  {
    const std::lock_guard<std::mutex> lock(cache.mutex);
    if (cache.scopes > 0 && text.size() <= kMaxCachedText) {
      key = name + (is_json ? "\x01j\x01" : "\x01y\x01") + text;
      const auto hit = cache.trees.find(key);
      // A copy of its own for the caller: readers may mark and edit nodes.
      if (hit != cache.trees.end()) return {YAML::Clone(hit->second), name};
    }
  }
  Document doc = parse_document_uncached(text, name, is_json);
  if (!key.empty()) {
    const std::lock_guard<std::mutex> lock(cache.mutex);
    if (cache.scopes > 0) {
      if (cache.trees.size() >= kMaxCachedDocuments) cache.trees.clear();  // bounded
      cache.trees.emplace(std::move(key), YAML::Clone(doc.root));
    }
  }
  return doc;
}

Document parse_document_uncached(const std::string& text, const std::string& name, bool is_json) {
  if (is_json) {
    JsonToYaml builder(name);
    const bool ok = nlohmann::json::sax_parse(text, &builder, nlohmann::json::input_format_t::json,
                                              /*strict=*/true);
    if (!ok) throw ConfigError(fmt::format("{}: {}", name, builder.error()));
    return {builder.root(), name};
  }
  Document doc;
  try {
    doc = {YAML::Load(text), name};
  } catch (const YAML::Exception& e) {
    // yaml-cpp's own depth guard gives a bare "bad file": say what it is.
    if (flow_nesting_depth(text) > kMaxDepth) {
      throw ConfigError(
          fmt::format("{}: nested deeper than {} levels; not a config file", name, kMaxDepth));
    }
    if (e.mark.is_null()) throw ConfigError(fmt::format("{}: malformed YAML: {}", name, e.msg));
    throw ConfigError(fmt::format("{}:{}: malformed YAML: {}", name, e.mark.line + 1, e.msg));
  }
  int64_t visited = 0;
  check_yaml_tree(doc.root, name, 0, visited);
  return doc;
}

Document load_document(const std::string& path) {
  return parse_document(read_regular_file(path, "config file"), path, ends_with(path, ".json"));
}

SpecReader::SpecReader(YAML::Node node, std::string file, std::string path, const ParamKind* kind,
                       std::vector<std::string> decl_path)
    : node_(std::move(node)),
      file_(std::move(file)),
      path_(std::move(path)),
      kind_(kind),
      decl_path_(std::move(decl_path)) {}

SpecReader SpecReader::mapping(const Document& doc, const std::string& key_prefix,
                               const ParamKind* kind) {
  if (!doc.root.IsMap()) {
    const std::string what = kind ? fmt::format(" ({})", kind->summary) : std::string();
    throw ConfigError(fmt::format("{}: {}expected a mapping of keys to values{}{}", doc.file,
                                  key_prefix.empty() ? "" : "key '" + key_prefix + "': ",
                                  key_prefix.empty() ? " at the top level" : "", what));
  }
  return SpecReader(doc.root, doc.file, key_prefix, kind);
}

const ParamDecl* SpecReader::declared(const std::string& key, Access access) const {
  if (!kind_) return nullptr;
  const ParamDecl* decl = find_param(*kind_, decl_path_, key);
  if (!decl) {
    std::string joined;
    for (const auto& s : decl_path_) joined += (joined.empty() || s == "[]" ? "" : ".") + s;
    joined += (joined.empty() ? "" : ".") + key;
    throw std::logic_error(fmt::format(
        "{}: key '{}' is read but not declared among the {} parameters ('{}' in core/params)",
        file_, key_path(key), kind_->name, joined));
  }
  bool readable = false;
  switch (access) {
    case Access::kQuantity:
      readable = decl->type == ParamType::kQuantity;
      break;
    case Access::kInteger:
      readable = decl->type == ParamType::kInteger;
      break;
    // fraction() and number_in() read through number().
    case Access::kNumber:
      readable = decl->type == ParamType::kNumber || decl->type == ParamType::kFraction;
      break;
    case Access::kFraction:
      readable = decl->type == ParamType::kFraction;
      break;
    case Access::kBoolean:
      readable = decl->type == ParamType::kBoolean;
      break;
    case Access::kString:
      readable = decl->type == ParamType::kString || decl->type == ParamType::kNameOrMapping;
      break;
    case Access::kChild:
      readable = decl->type == ParamType::kMapping || decl->type == ParamType::kNames ||
                 decl->type == ParamType::kNameOrMapping;
      break;
    case Access::kChildKeys:
      readable = decl->type == ParamType::kMapping || decl->type == ParamType::kNames;
      break;
    case Access::kRaw:
      readable = decl->type != ParamType::kIgnored;
      break;
    case Access::kAny:
      readable = true;
      break;
  }
  if (!readable) {
    throw std::logic_error(
        fmt::format("{}: key '{}' is declared as {} among the {} parameters "
                    "and read as another type",
                    file_, key_path(key), describe_param_type(*decl), kind_->name));
  }
  record_param(*kind_, *decl);
  return decl;
}

void SpecReader::check_default(const std::string& key, const ParamDecl* decl,
                               const std::string& fallback_text,
                               std::optional<double> fallback) const {
  if (!decl) return;
  const auto bad = [&](const std::string& why) {
    throw std::logic_error(fmt::format("{}: key '{}' of the {} parameters: {}", file_,
                                       key_path(key), kind_->name, why));
  };
  if (!decl->default_value) bad("declared required and read with a default");
  const std::string& text = *decl->default_value;
  if (!text.empty() && text.front() == '(') return;  // described, not a value
  bool same = false;
  if (fallback) {
    std::optional<double> value;
    if (decl->type == ParamType::kQuantity && decl->dim) {
      value = parse_quantity(text, *decl->dim);
    } else {
      value = parse_number(text);
    }
    same = value &&
           (*value == *fallback || std::abs(*value - *fallback) <= 1e-9 * std::abs(*fallback));
  } else {
    same = text == fallback_text;
  }
  if (!same) {
    bad(fmt::format("declared default '{}', the code's is {}", text,
                    fallback ? fmt::format("{:g}", *fallback) : "'" + fallback_text + "'"));
  }
}

std::string SpecReader::description_of(const std::string& key) const {
  if (!kind_) return "";
  const ParamDecl* decl = find_param(*kind_, decl_path_, key);
  // A name's entry ("matrix.*") says what every entry is, not this one.
  if (!decl || decl->path.ends_with("*")) return "";
  return decl->description;
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
  const std::string about = description_of(key);
  throw ConfigError(fmt::format("{}: expected {}{}", where(key), expected,
                                about.empty() ? "" : " (" + key + ": " + about + ")"));
}

bool SpecReader::has(const std::string& key) const {
  declared(key, Access::kAny);
  return present(key);
}

bool SpecReader::present(const std::string& key) const {
  return node_.IsMap() && node_[key].IsDefined() && !node_[key].IsNull();
}

YAML::Node SpecReader::get(const std::string& key) {
  read_.insert(key);
  if (!present(key)) {
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
    const std::string about = description_of(key);
    throw ConfigError(fmt::format("{}: missing required key '{}'{}{}", at, key_path(key),
                                  unknown.empty() ? "" : " (did you mean " + unknown + "?)",
                                  about.empty() ? "" : ": " + about));
  }
  return node_[key];
}

std::string SpecReader::scalar(const std::string& key) {
  YAML::Node value = get(key);
  if (!value.IsScalar()) fail(key, "a single value, not a list or mapping");
  return value.Scalar();
}

std::string SpecReader::unquoted_scalar(const std::string& key, const std::string& expected) {
  const std::string text = scalar(key);
  const std::string& tag = node_[key].Tag();
  if (tag == kQuotedTag || tag == "tag:yaml.org,2002:str") {
    fail(key, fmt::format("{}, got the string \"{}\" (write it without quotes)", expected, text));
  }
  return text;
}

double SpecReader::quantity(const std::string& key, Dimension dim) {
  if (const ParamDecl* decl = declared(key, Access::kQuantity); decl && decl->dim != dim) {
    throw std::logic_error(fmt::format("{}: key '{}' is declared as {} and read as {}", file_,
                                       key_path(key), describe_param_type(*decl), describe(dim)));
  }
  const std::string text = scalar(key);
  auto value = parse_quantity(text, dim);
  if (!value && quantity_out_of_range(text, dim)) {
    fail(key, fmt::format("a value {}, got '{}' (beyond what a number can hold)",
                          describe_range(dim), text));
  }
  if (!value) fail(key, fmt::format("{}, got '{}'", describe(dim), text));
  const QuantityRange range = sane_range(dim);
  if (*value != 0 && !(std::abs(*value) >= range.min && std::abs(*value) <= range.max)) {
    fail(key, fmt::format("a value {}, got '{}'", describe_range(dim), text));
  }
  return *value;
}

double SpecReader::positive_quantity(const std::string& key, Dimension dim) {
  const double value = quantity(key, dim);
  if (!(value > 0)) fail(key, fmt::format("a value above zero, got '{}'", node_[key].Scalar()));
  return value;
}

std::string SpecReader::string(const std::string& key) {
  declared(key, Access::kString);
  return scalar(key);
}

double SpecReader::number(const std::string& key) {
  declared(key, Access::kNumber);
  const std::string text = unquoted_scalar(key, "a number");
  const auto value = parse_number(text);
  if (!value) fail(key, fmt::format("a number, got '{}'", text));
  return *value;
}

double SpecReader::fraction(const std::string& key) {
  declared(key, Access::kFraction);
  const double value = number(key);
  if (!(value > 0 && value <= 1)) fail(key, fmt::format("a fraction in (0, 1], got {}", value));
  return value;
}

int64_t SpecReader::integer(const std::string& key, int64_t min_value) {
  declared(key, Access::kInteger);
  const std::string text = unquoted_scalar(key, "a whole number");
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    fail(key, fmt::format("a whole number, got '{}'", text));
  }
  if (value < min_value)
    fail(key, fmt::format("a whole number of at least {}, got {}", min_value, value));
  return value;
}

int64_t SpecReader::integer_in(const std::string& key, int64_t min_value, int64_t max_value) {
  const int64_t value = integer(key, INT64_MIN);
  if (value < min_value || value > max_value) {
    fail(key, fmt::format("a whole number from {} to {}, got {}", min_value, max_value, value));
  }
  return value;
}

double SpecReader::number_in(const std::string& key, double min_value, double max_value) {
  const double value = number(key);
  if (!(value >= min_value && value <= max_value)) {
    fail(key, fmt::format("a number from {:g} to {:g}, got {:g}", min_value, max_value, value));
  }
  return value;
}

bool SpecReader::boolean(const std::string& key) {
  declared(key, Access::kBoolean);
  const std::string text = unquoted_scalar(key, "true or false");
  if (text == "true") return true;
  if (text == "false") return false;
  fail(key, fmt::format("true or false, got '{}'", text));
}

double SpecReader::positive_quantity_or(const std::string& key, Dimension dim, double fallback) {
  check_default(key, declared(key, Access::kQuantity), "", fallback);
  read_.insert(key);
  return present(key) ? positive_quantity(key, dim) : fallback;
}

std::string SpecReader::string_or(const std::string& key, const std::string& fallback) {
  check_default(key, declared(key, Access::kString), fallback, std::nullopt);
  read_.insert(key);
  return present(key) ? string(key) : fallback;
}

int64_t SpecReader::integer_or(const std::string& key, int64_t fallback, int64_t min_value) {
  check_default(key, declared(key, Access::kInteger), "", static_cast<double>(fallback));
  read_.insert(key);
  return present(key) ? integer(key, min_value) : fallback;
}

double SpecReader::number_or(const std::string& key, double fallback) {
  check_default(key, declared(key, Access::kNumber), "", fallback);
  read_.insert(key);
  return present(key) ? number(key) : fallback;
}

bool SpecReader::boolean_or(const std::string& key, bool fallback) {
  check_default(key, declared(key, Access::kBoolean), fallback ? "true" : "false", std::nullopt);
  read_.insert(key);
  return present(key) ? boolean(key) : fallback;
}

SpecReader SpecReader::child(const std::string& key) {
  const ParamDecl* decl = declared(key, Access::kChild);
  YAML::Node value = get(key);
  if (!value.IsMap()) fail(key, "a mapping of keys to values");
  if (decl && !decl->kind.empty()) {
    const ParamKind* sub = find_param_kind(decl->kind);
    if (!sub) throw std::logic_error("parameter kind '" + decl->kind + "' is not registered");
    return SpecReader(value, file_, key_path(key), sub);
  }
  std::vector<std::string> segments = decl_path_;
  segments.push_back(key);
  return SpecReader(value, file_, key_path(key), kind_, std::move(segments));
}

SpecReader SpecReader::element(const YAML::Node& list, const std::string& key, size_t index) const {
  std::vector<std::string> segments = decl_path_;
  segments.push_back(key);
  segments.emplace_back("[]");
  return SpecReader(list[index], file_, fmt::format("{}[{}]", key_path(key), index), kind_,
                    std::move(segments));
}

std::vector<std::string> SpecReader::child_keys(const std::string& key) {
  declared(key, Access::kChildKeys);
  YAML::Node value = get(key);
  if (!value.IsMap()) fail(key, "a mapping of keys to values");
  std::vector<std::string> keys;
  for (const auto& entry : value) keys.push_back(entry.first.as<std::string>());
  return keys;
}

void SpecReader::ignore(const std::string& key) {
  declared(key, Access::kAny);
  read_.insert(key);
}

void SpecReader::ignore_declared() {
  if (!kind_) return;
  for (const auto& [key, decl] : ignored_keys_under(*kind_, decl_path_)) {
    read_.insert(key);
    record_param(*kind_, *decl);
  }
}

YAML::Node SpecReader::raw(const std::string& key) {
  declared(key, Access::kRaw);
  return get(key);
}

void SpecReader::finish() const {
  if (!node_.IsMap()) return;
  for (const auto& entry : node_) {
    const std::string key = entry.first.as<std::string>();
    if (read_.count(key)) continue;
    // The keys a user may write here: the declared ones, else those read.
    std::vector<std::string> known;
    if (kind_) known = declared_keys_under(*kind_, decl_path_);
    if (known.empty()) known.assign(read_.begin(), read_.end());
    std::string list, close;
    for (const auto& k : known) {
      list += (list.empty() ? "" : ", ") + k;
      if (edit_distance(k, key) <= 2) close += (close.empty() ? "'" : ", '") + k + "'";
    }
    const YAML::Mark mark = entry.first.Mark();
    const std::string at =
        (mark.line >= 0 && !mark.is_null()) ? fmt::format("{}:{}", file_, mark.line + 1) : file_;
    throw ConfigError(fmt::format("{}: unknown key '{}' ({}known keys here: {})", at, key_path(key),
                                  close.empty() ? "" : "did you mean " + close + "? ", list));
  }
}

}  // namespace jalapeno
