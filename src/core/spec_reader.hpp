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

class SpecReader {
 public:
  SpecReader(YAML::Node node, std::string file, std::string path = "");

  // Throws unless the node is a mapping. key_prefix: the path its keys are
  // named under (a mapping written inside another file).
  static SpecReader mapping(const Document& doc, const std::string& key_prefix = "");

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

  // A nested mapping, read by its own SpecReader (call its finish() too).
  SpecReader child(const std::string& key);
  // The keys of a nested mapping whose keys are names (e.g. dtypes).
  std::vector<std::string> child_keys(const std::string& key);
  // Marks a key as read without interpreting it (known but unused keys).
  void ignore(const std::string& key);
  // The raw node of a key, marked as read (for lists).
  YAML::Node raw(const std::string& key);

  // Rejects keys that were never read.
  void finish() const;

  [[noreturn]] void fail(const std::string& key, const std::string& expected) const;
  std::string where(const std::string& key) const;
  const std::string& file() const { return file_; }
  std::string key_path(const std::string& key) const;

 private:
  YAML::Node get(const std::string& key);
  std::string scalar(const std::string& key);
  // A scalar written without quotes: numbers and booleans must not be strings.
  std::string unquoted_scalar(const std::string& key, const std::string& expected);

  YAML::Node node_;
  std::string file_;
  std::string path_;
  std::set<std::string> read_;
};

}  // namespace jalapeno
