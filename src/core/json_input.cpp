#include "core/json_input.hpp"

#include <fmt/format.h>

#include <cmath>
#include <set>
#include <vector>

#include "core/error.hpp"
#include "core/input_file.hpp"

namespace jalapeno {
namespace {
constexpr int kMaxJsonDepth = 64;

template <class json>
json parse_strict(const std::string& text, const std::string& where) {
  std::vector<std::set<std::string>> keys;  // one set per open object
  const typename json::parser_callback_t check = [&](int depth, typename json::parse_event_t event,
                                                     json& parsed) -> bool {
    if (depth > kMaxJsonDepth) {
      throw ConfigError(fmt::format("{}: nested deeper than {} levels", where, kMaxJsonDepth));
    }
    switch (event) {
      case json::parse_event_t::object_start:
        keys.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case json::parse_event_t::key: {
        const std::string key = parsed.template get<std::string>();
        if (!keys.empty() && !keys.back().insert(key).second) {
          throw ConfigError(
              fmt::format("{}: duplicate key '{}' (each key may appear once)", where, key));
        }
        break;
      }
      case json::parse_event_t::value:
        if (parsed.is_number_float() && !std::isfinite(parsed.template get<double>())) {
          throw ConfigError(fmt::format("{}: a number beyond what a double can hold", where));
        }
        break;
      default:
        break;
    }
    return true;
  };
  try {
    return json::parse(text, check);
  } catch (const typename json::exception& e) {
    throw ConfigError(fmt::format("{}: malformed JSON: {}", where, e.what()));
  }
}

}  // namespace

nlohmann::json parse_json_strict(const std::string& text, const std::string& where) {
  return parse_strict<nlohmann::json>(text, where);
}

nlohmann::ordered_json parse_ordered_json_strict(const std::string& text,
                                                 const std::string& where) {
  return parse_strict<nlohmann::ordered_json>(text, where);
}

nlohmann::json read_json_file(const std::string& path, const std::string& what) {
  return parse_json_strict(read_regular_file(path, what), path);
}

}  // namespace jalapeno
