#pragma once
// Reading config files (YAML, or JSON) into typed specs. A SpecReader wraps
// one mapping: each accessor declares a key with its type and unit, and
// finish() rejects every key nobody asked for, so a misspelt key is an error
// rather than a silently kept default. Every error names the file, the key
// path, the line where the format gives one, and what was expected.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/units.hpp"

namespace jalapeno {

struct ParamKind;
struct ParamDecl;

// A parsed document and the name of the file it came from.
struct Document {
  YAML::Node root;
  std::string file;
};

// Reads a YAML or JSON file (JSON strictly, by extension .json). Throws
// ConfigError for a missing file or a syntax error, with its position.
Document load_document(const std::string& path);
// Parses text already in memory (for tests and inline specs).
Document parse_document(const std::string& text, const std::string& name, bool is_json);
Document parse_document_uncached(const std::string& text, const std::string& name, bool is_json);

// While one of these lives (anywhere in the process), documents parsed from
// the same text are parsed once and copied after (a sweep reads the same
// engine, chip and model files for every point: parsing was 80% of an
// analytical point). Thread-safe; emptied when the last one ends.
class DocumentCache {
 public:
  DocumentCache();
  ~DocumentCache();
  DocumentCache(const DocumentCache&) = delete;
  DocumentCache& operator=(const DocumentCache&) = delete;
};

// Levenshtein distance: how a misspelling is matched to what it meant.
size_t edit_distance(const std::string& a, const std::string& b);

// Given the kind of file it reads (core/params.hpp), a reader checks every
// key it is asked for against that kind's declarations: reading a key that is
// not declared, with another type, or with a default other than the declared
// one throws std::logic_error (a bug in jalapeno, not in the input; the tests
// read every preset and fixture to catch it). Without a kind nothing is
// checked (readers of ad-hoc mappings in tests).
class SpecReader {
 public:
  SpecReader(YAML::Node node, std::string file, std::string path = "",
             const ParamKind* kind = nullptr, std::vector<std::string> decl_path = {});

  // Throws unless the node is a mapping. key_prefix: the path its keys are
  // named under (a mapping written inside another file). kind: the
  // declarations its keys are checked against, from their root.
  static SpecReader mapping(const Document& doc, const std::string& key_prefix = "",
                            const ParamKind* kind = nullptr);

  bool has(const std::string& key) const;

  // Required values: throw when absent or malformed.
  double quantity(const std::string& key, Dimension dim);
  double positive_quantity(const std::string& key, Dimension dim);
  std::string string(const std::string& key);
  int64_t integer(const std::string& key, int64_t min_value = INT64_MIN);
  double number(const std::string& key);
  double fraction(const std::string& key);  // in (0, 1]
  // Bounded values: the message states the range.
  int64_t integer_in(const std::string& key, int64_t min_value, int64_t max_value);
  double number_in(const std::string& key, double min_value, double max_value);
  bool boolean(const std::string& key);

  // Optional values: the default when absent, an error when malformed.
  double positive_quantity_or(const std::string& key, Dimension dim, double fallback);
  std::string string_or(const std::string& key, const std::string& fallback);
  int64_t integer_or(const std::string& key, int64_t fallback, int64_t min_value = INT64_MIN);
  double number_or(const std::string& key, double fallback);
  bool boolean_or(const std::string& key, bool fallback);

  // A nested mapping, read by its own SpecReader (call its finish() too);
  // checked against the kind its declaration names, if it names one.
  SpecReader child(const std::string& key);
  // Element `index` of the list under `key` (from raw(key)), as a mapping:
  // named "key[index]", declared as "key[].name".
  SpecReader element(const YAML::Node& list, const std::string& key, size_t index) const;
  // The keys of a nested mapping whose keys are names (e.g. dtypes).
  std::vector<std::string> child_keys(const std::string& key);
  // Marks a key as read without interpreting it (known but unused keys).
  void ignore(const std::string& key);
  // Marks every key its kind declares as ignored here as read: the
  // declarations are the one list of what a third-party format (a
  // config.json) holds that jalapeno knows and does not use.
  void ignore_declared();
  // The raw node of a key, marked as read (for lists).
  YAML::Node raw(const std::string& key);

  // Rejects keys that were never read.
  void finish() const;

  [[noreturn]] void fail(const std::string& key, const std::string& expected) const;
  std::string where(const std::string& key) const;
  const std::string& file() const { return file_; }
  std::string key_path(const std::string& key) const;

 private:
  // How a key is read, to check against its declared type.
  enum class Access {
    kQuantity,
    kInteger,
    kNumber,
    kFraction,
    kBoolean,
    kString,
    kChild,
    kChildKeys,
    kRaw,
    kAny,
  };
  // The key's declaration (nothing without a kind); throws logic_error when
  // it is undeclared or declared with a type `access` cannot read.
  const ParamDecl* declared(const std::string& key, Access access) const;
  // For an _or accessor: the declared default must be the code's fallback.
  void check_default(const std::string& key, const ParamDecl* decl,
                     const std::string& fallback_text, std::optional<double> fallback) const;
  std::string description_of(const std::string& key) const;
  // has() without the declaration check (the accessors make it themselves).
  bool present(const std::string& key) const;
  YAML::Node get(const std::string& key);
  std::string scalar(const std::string& key);
  // A scalar written without quotes: numbers and booleans must not be strings.
  std::string unquoted_scalar(const std::string& key, const std::string& expected);

  YAML::Node node_;
  std::string file_;
  std::string path_;
  const ParamKind* kind_ = nullptr;
  std::vector<std::string> decl_path_;  // this mapping's path within kind_
  std::set<std::string> read_;
};

}  // namespace jalapeno
