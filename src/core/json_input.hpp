#pragma once
// Strict JSON for files read as JSON documents (calibration tables,
// measurement sets, JSONL trace rows): nesting bounded, duplicate keys and
// non-finite numbers rejected, so that two readers of the same file can
// never disagree about what it says.
#include <nlohmann/json.hpp>
#include <string>

namespace jalapeno {

// Parses text; throws ConfigError naming where (a file, or "file:line") and
// what is wrong.
nlohmann::json parse_json_strict(const std::string& text, const std::string& where);
// The same, keeping the keys in the order written.
nlohmann::ordered_json parse_ordered_json_strict(const std::string& text, const std::string& where);

// Reads a regular file of bounded size and parses it strictly.
nlohmann::json read_json_file(const std::string& path, const std::string& what);

}  // namespace jalapeno
