// Trace replay: Azure LLM inference CSV, BurstGPT CSV, JSONL and Mooncake
// JSONL, streamed one line at a time so that a trace of any length runs in
// constant memory (a session trace keeps, besides, one small record per
// session: what its last call left for the next to share).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/checked_math.hpp"
#include "core/error.hpp"
#include "core/input_file.hpp"
#include "workload/content.hpp"
#include "workload/lengths.hpp"
#include "workload/source.hpp"

namespace jalapeno {
namespace {

// Beyond these a row is a mistake (and 64-bit arithmetic on it could wrap).
constexpr int64_t kMaxTokens = kMaxRequestTokens;  // tokens in one request
constexpr double kMaxSeconds = 1e12;               // a timestamp: some 31,000 years
// A trace row is a few dozen bytes; a longer line is not a trace (and reading
// it whole could exhaust memory).
constexpr size_t kMaxLineBytes = 64 * 1024;
// As a scenario accepts them: a speedup beyond these turns a trace into an
// instant or an eternity, and loops multiply its span.
constexpr double kMinSpeedup = 1e-6;
constexpr double kMaxSpeedup = 1e9;
constexpr int64_t kMaxLoops = 1000000;

// The columns each CSV format may have; the first three are read.
constexpr std::array<std::string_view, 3> kAzureColumns{"TIMESTAMP", "ContextTokens",
                                                        "GeneratedTokens"};
constexpr std::array<std::string_view, 6> kBurstGptColumns{
    "Timestamp", "Request tokens", "Response tokens", "Model", "Total tokens", "Log Type"};
// The keys of a JSONL row: the first three required; "priority" is the
// request's class under a priority scheduler, "session_id" the session it is
// a call of and "prefix_tokens" how many of its leading tokens it shares with
// that session's earlier context (README "Prefix caching and sessions").
constexpr std::array<std::string_view, 6> kJsonlKeys{"timestamp", "input_tokens", "output_tokens",
                                                     "priority",  "session_id",   "prefix_tokens"};
// Mooncake's trace (github.com/kvcache-ai/Mooncake, FAST '25): timestamp in
// milliseconds, and the hash of each 512-token block of the prompt, equal
// hashes meaning an equal prefix.
constexpr std::array<std::string_view, 4> kMooncakeKeys{"timestamp", "input_length",
                                                        "output_length", "hash_ids"};
constexpr int64_t kMooncakeBlockTokens = 512;
constexpr int64_t kMaxPriority = 1000000;

// User text in a message, cut short.
std::string excerpt(std::string_view text) {
  constexpr size_t kMax = 80;
  if (text.size() <= kMax) return std::string(text);
  return std::string(text.substr(0, kMax)) + "...";
}

template <size_t N>
std::string join(const std::array<std::string_view, N>& names) {
  std::string text;
  for (const auto name : names) text += (text.empty() ? "" : ", ") + std::string(name);
  return text;
}

enum class Format { kAzure, kBurstGpt, kJsonl, kMooncake };

constexpr std::string_view kFormats =
    "expected an Azure LLM trace header (TIMESTAMP,ContextTokens,GeneratedTokens), a BurstGPT "
    "header (Timestamp,Model,Request tokens,Response tokens,...), JSONL (one object per line "
    "with \"timestamp\", \"input_tokens\", \"output_tokens\") or a Mooncake trace (\"timestamp\", "
    "\"input_length\", \"output_length\", \"hash_ids\")";

// A timestamp as whole seconds plus a fraction: an absolute date in seconds
// (~1.7e9) as one double would lose the 100 ns digits of the Azure traces.
struct Stamp {
  int64_t sec = 0;
  double frac = 0;  // [0, 1)
};

bool before(const Stamp& a, const Stamp& b) {
  return a.sec < b.sec || (a.sec == b.sec && a.frac < b.frac);
}
double seconds_between(const Stamp& later, const Stamp& earlier) {
  return static_cast<double>(later.sec - earlier.sec) + (later.frac - earlier.frac);
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// The comma-separated fields of line, trimmed, into fields (reused: no
// allocation per row once it has grown).
void split_csv(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  size_t start = 0;
  while (true) {
    const size_t end = line.find(',', start);
    fields.push_back(trim(line.substr(start, end == std::string_view::npos ? end : end - start)));
    if (end == std::string_view::npos) return;
    start = end + 1;
  }
}

// A whole-string parse of a number of seconds.
struct Seconds {
  double value = 0;
  bool ok = false;
  bool out_of_range = false;
};
Seconds parse_seconds(std::string_view text) {
  Seconds seconds;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds.value);
  if (text.empty() || ptr != text.data() + text.size()) return seconds;
  seconds.out_of_range = ec == std::errc::result_out_of_range;
  seconds.ok = ec == std::errc() && std::isfinite(seconds.value);
  return seconds;
}

// Howard Hinnant's days_from_civil: days since 1970-01-01, proleptic Gregorian.
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int64_t days_in_month(int64_t y, int64_t m) {
  static constexpr int64_t kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// Fixed-width digits at text[pos, pos + n), or -1.
int64_t digits(std::string_view text, size_t pos, size_t n) {
  if (pos + n > text.size()) return -1;
  int64_t value = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// "YYYY-MM-DD HH:MM:SS[.f...]" (or with 'T'), up to 9 fraction digits.
std::optional<Stamp> parse_date_time(std::string_view text) {
  const int64_t y = digits(text, 0, 4), mo = digits(text, 5, 2), d = digits(text, 8, 2);
  const int64_t h = digits(text, 11, 2), mi = digits(text, 14, 2), s = digits(text, 17, 2);
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' ||
      (text[10] != ' ' && text[10] != 'T') || text[13] != ':' || text[16] != ':' || y < 0 ||
      mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h < 0 || h > 23 || mi < 0 ||
      mi > 59 || s < 0 || s > 60) {
    return std::nullopt;
  }
  Stamp stamp{days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s, 0.0};
  if (text.size() > 19) {
    const size_t n = text.size() - 20;
    // Length first: more than 18 digits would overflow the accumulator.
    if (text[19] != '.' || n < 1 || n > 9) return std::nullopt;
    const int64_t frac = digits(text, 20, n);
    if (frac < 0) return std::nullopt;
    stamp.frac = static_cast<double>(frac) / std::pow(10.0, static_cast<double>(n));
  }
  return stamp;
}

class TraceSource final : public RequestSource {
 public:
  explicit TraceSource(const TraceSpec& spec) : spec_(spec) {
    if (!(std::isfinite(spec.speedup) && spec.speedup >= kMinSpeedup &&
          spec.speedup <= kMaxSpeedup)) {
      throw ConfigError(fmt::format("{}: speedup: expected {:g} to {:g}, got {:g}", spec.path,
                                    kMinSpeedup, kMaxSpeedup, spec.speedup));
    }
    if (spec.loops < 1 || spec.loops > kMaxLoops) {
      throw ConfigError(
          fmt::format("{}: loops: expected 1 to {}, got {}", spec.path, kMaxLoops, spec.loops));
    }
    if (spec.max_requests < 0) {
      throw ConfigError(fmt::format("{}: max_requests must not be negative, got {}", spec.path,
                                    spec.max_requests));
    }
    open_pass(/*detect=*/true);
    // Read ahead one request: an empty trace fails here rather than mid-run,
    // and exhausted() is exact.
    advance();
    if (!pending_) {
      throw ConfigError(fmt::format("{}: empty trace: no requests in the file", spec_.path));
    }
  }

  std::optional<Request> next() override {
    if (exhausted()) return std::nullopt;
    Request request = *pending_;
    request.id = issued_++;
    if (spec_.max_requests > 0 && static_cast<int64_t>(issued_) >= spec_.max_requests) {
      pending_.reset();  // done: do not read further
    } else {
      advance();
    }
    return request;
  }

  bool exhausted() const override { return !pending_.has_value(); }

  std::string describe() const override {
    static constexpr const char* kNames[] = {"Azure LLM trace", "BurstGPT trace", "JSONL trace",
                                             "Mooncake trace"};
    // The file name alone: output must not depend on where the checkout lives.
    std::string text = fmt::format("{} {}", kNames[static_cast<int>(format_)],
                                   std::filesystem::path(spec_.path).filename().string());
    if (spec_.speedup != 1) text += fmt::format(", speedup {:g}", spec_.speedup);
    if (spec_.loops != 1) text += fmt::format(", {} loops", spec_.loops);
    if (spec_.max_requests > 0) text += fmt::format(", at most {} requests", spec_.max_requests);
    return text;
  }

 private:
  struct Row {
    Stamp time;
    int64_t input = 0;
    int64_t output = 0;
    int32_t priority = 0;
    std::string session;      // JSONL session_id as written; empty: none
    int64_t prefix = -1;      // JSONL prefix_tokens; -1: not given
    bool has_hashes = false;  // Mooncake: hash_ids (in hashes_)
  };
  // A session of a JSONL trace: its index, and what its last call left for
  // the next one to share (that call's content, its own writer, and its
  // prompt and output length).
  struct Session {
    int64_t index = 0;
    std::shared_ptr<const ContentSegments> content;
    uint64_t writer = 0;
    int64_t tokens = 0;
  };

  [[noreturn]] void fail(std::string_view field, const std::string& problem) const {
    throw ConfigError(
        fmt::format("{}: line {}: field '{}': {}", spec_.path, line_no_, field, problem));
  }

  // The next line, without its '\n', of at most kMaxLineBytes; false at the
  // end of the file.
  bool read_raw_line(std::string& line) {
    line.clear();
    std::streambuf* buffer = in_.rdbuf();
    using Traits = std::streambuf::traits_type;
    bool any = false;
    for (Traits::int_type c = buffer->sbumpc(); !Traits::eq_int_type(c, Traits::eof());
         c = buffer->sbumpc()) {
      any = true;
      if (c == '\n') break;
      if (line.size() >= kMaxLineBytes) {
        throw ConfigError(fmt::format(
            "{}: line {}: longer than {} bytes: not a trace row (is this a trace file?)",
            spec_.path, line_no_ + 1, kMaxLineBytes));
      }
      line.push_back(Traits::to_char_type(c));
    }
    return any;
  }

  // The next non-blank line with CR (Windows line ends, as in the shipped
  // Azure traces) and a UTF-8 byte order mark removed; false at the end.
  bool read_line(std::string& line) {
    if (has_unread_) {
      has_unread_ = false;
      line = unread_;
      return true;
    }
    while (read_raw_line(line)) {
      ++line_no_;
      if (line_no_ == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!trim(line).empty()) return true;
    }
    return false;
  }

  void open_pass(bool detect) {
    // Only a regular file: /dev/zero or a FIFO would be read forever.
    in_ = open_regular_file(spec_.path, "trace");
    line_no_ = 0;
    std::string first;
    if (!read_line(first)) {
      throw ConfigError(fmt::format("{}: empty trace: the file has no lines", spec_.path));
    }
    if (detect) detect_format(first);
    if (format_ == Format::kJsonl || format_ == Format::kMooncake) {
      // JSONL has no header: the first line is a request.
      unread_ = std::move(first);
      has_unread_ = true;
    }
  }

  template <size_t N>
  void check_header(const std::array<std::string_view, N>& known) {
    for (size_t i = 0; i < fields_.size(); ++i) {
      const std::string_view name = fields_[i];
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        fail(name.empty() ? fmt::format("column {}", i + 1) : std::string(name),
             fmt::format("unknown column '{}' in the header (known columns: {})", excerpt(name),
                         join(known)));
      }
      for (size_t j = 0; j < i; ++j) {
        if (fields_[j] == name) {
          fail(name, fmt::format("duplicate column '{}' in the header (columns {} and {})", name,
                                 j + 1, i + 1));
        }
      }
    }
  }

  void detect_format(const std::string& first) {
    const std::string_view text = trim(first);
    if (text.front() == '{') {
      const bool mooncake = text.find("\"hash_ids\"") != std::string_view::npos ||
                            text.find("\"input_length\"") != std::string_view::npos;
      format_ = mooncake ? Format::kMooncake : Format::kJsonl;
      if (mooncake) {
        time_name_ = "timestamp", input_name_ = "input_length", output_name_ = "output_length";
      }
      return;
    }
    split_csv(text, fields_);
    std::string_view time_name, input_name, output_name;
    if (fields_[0] == "TIMESTAMP") {
      format_ = Format::kAzure;
      time_name = "TIMESTAMP", input_name = "ContextTokens", output_name = "GeneratedTokens";
    } else if (fields_[0] == "Timestamp") {
      format_ = Format::kBurstGpt;
      time_name = "Timestamp", input_name = "Request tokens", output_name = "Response tokens";
    } else {
      throw ConfigError(fmt::format("{}: line {}: unrecognized trace format '{}': {}", spec_.path,
                                    line_no_, excerpt(text), kFormats));
    }
    const auto column = [&](std::string_view name) {
      for (size_t i = 0; i < fields_.size(); ++i) {
        if (fields_[i] == name) return i;
      }
      fail(name, fmt::format("missing column '{}' in the header; {}", name, kFormats));
    };
    time_col_ = column(time_name);
    input_col_ = column(input_name);
    output_col_ = column(output_name);
    if (format_ == Format::kAzure) {
      check_header(kAzureColumns);
    } else {
      check_header(kBurstGptColumns);
    }
    // The names, kept: fields_ points into the first line, which goes away.
    header_.assign(fields_.begin(), fields_.end());
    time_name_ = time_name, input_name_ = input_name, output_name_ = output_name;
  }

  Stamp parse_stamp(std::string_view field, std::string_view text) const {
    if (text.size() >= 10 && text[4] == '-' && text[0] != '-') {
      if (auto stamp = parse_date_time(text)) return *stamp;
      fail(field, fmt::format("'{}' is not a timestamp (YYYY-MM-DD HH:MM:SS.fffffff or seconds)",
                              excerpt(text)));
    }
    const Seconds value = parse_seconds(text);
    if (value.out_of_range) {
      fail(field, fmt::format("'{}' is not representable as a time in seconds (expected 0 to {:g})",
                              excerpt(text), kMaxSeconds));
    }
    if (!value.ok) {
      fail(field, fmt::format("non-numeric value '{}' (expected seconds or YYYY-MM-DD "
                              "HH:MM:SS.fffffff)",
                              excerpt(text)));
    }
    return from_seconds(field, value.value);
  }

  Stamp from_seconds(std::string_view field, double value) const {
    if (!std::isfinite(value)) fail(field, "a time that is not a finite number");
    if (value < 0) fail(field, fmt::format("negative value {}", value));
    if (std::fpclassify(value) == FP_SUBNORMAL) {
      fail(field, fmt::format("{:g} s is too small to represent (subnormal); expected 0 or 1e-300 "
                              "to {:g} s",
                              value, kMaxSeconds));
    }
    if (!(value <= kMaxSeconds)) {
      fail(field, fmt::format("{:g} s is beyond any trace (at most {:g} s)", value, kMaxSeconds));
    }
    const double whole = std::floor(value);
    return {static_cast<int64_t>(whole), value - whole};
  }

  int64_t parse_count(std::string_view field, std::string_view text) const {
    int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (!text.empty() && ptr == text.data() + text.size() && ec == std::errc::result_out_of_range) {
      fail(field,
           fmt::format("{} tokens is beyond any request (at most {})", excerpt(text), kMaxTokens));
    }
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
      fail(field, fmt::format("non-numeric value '{}' (expected a whole number of tokens)",
                              excerpt(text)));
    }
    return check_count(field, value);
  }

  int64_t check_count(std::string_view field, int64_t value) const {
    if (value < 0) fail(field, fmt::format("negative value {}", value));
    if (value > kMaxTokens) {
      fail(field, fmt::format("{} tokens is beyond any request (at most {})", value, kMaxTokens));
    }
    return value;
  }

  Row parse_csv_row(const std::string& line) {
    split_csv(line, fields_);
    if (fields_.size() > header_.size()) {
      fail(fmt::format("column {}", header_.size() + 1),
           fmt::format("extra column '{}': the row has {} fields, the header {} ({})",
                       excerpt(fields_[header_.size()]), fields_.size(), header_.size(),
                       excerpt(join_header())));
    }
    if (fields_.size() < header_.size()) {
      const std::string& name = header_[fields_.size()];
      fail(name, fmt::format("missing column: the row has {} fields, '{}' is field {} of {}",
                             fields_.size(), name, fields_.size() + 1, header_.size()));
    }
    Row row;
    row.time = parse_stamp(time_name_, fields_[time_col_]);
    row.input = parse_count(input_name_, fields_[input_col_]);
    row.output = parse_count(output_name_, fields_[output_col_]);
    return row;
  }

  std::string join_header() const {
    std::string text;
    for (const auto& name : header_) text += (text.empty() ? "" : ",") + name;
    return text;
  }

  // A JSONL row read by SAX: flat, known keys, each once; no DOM is built.
  class RowReader {
   public:
    using json = nlohmann::json;
    RowReader(const TraceSource& source, std::span<const std::string_view> keys,
              std::vector<uint64_t>* hashes)
        : source_(source), keys_(keys), hashes_(hashes) {}

    struct Value {
      enum class Type { kNone, kUnsigned, kInteger, kFloat, kString, kList, kOther };
      Type type = Type::kNone;
      uint64_t u = 0;
      int64_t i = 0;
      double f = 0;
      std::string text;  // the string, or the value as written
    };
    std::array<Value, kJsonlKeys.size()> values;

    bool null() { return put(Value::Type::kOther, "null"); }
    bool boolean(bool b) { return put(Value::Type::kOther, b ? "true" : "false"); }
    bool number_integer(json::number_integer_t v) {
      if (in_list_) return list_item(v >= 0 ? static_cast<uint64_t>(v) : 0, v >= 0);
      Value& value = slot();
      value.type = Value::Type::kInteger;
      value.i = v;
      value.text = std::to_string(v);
      return true;
    }
    bool number_unsigned(json::number_unsigned_t v) {
      if (in_list_) return list_item(v, true);
      Value& value = slot();
      value.type = Value::Type::kUnsigned;
      value.u = v;
      value.text = std::to_string(v);
      return true;
    }
    bool number_float(json::number_float_t v, const json::string_t& raw) {
      if (in_list_) return list_item(0, false);
      Value& value = slot();
      value.type = Value::Type::kFloat;
      value.f = v;
      value.text = raw;
      return true;
    }
    bool string(json::string_t& v) {
      if (in_list_) return list_item(0, false);
      Value& value = slot();
      value.type = Value::Type::kString;
      value.text = std::move(v);
      return true;
    }
    bool binary(json::binary_t&) { return put(Value::Type::kOther, "binary"); }
    bool start_object(size_t) {
      if (depth_++ > 0) nested();
      return true;
    }
    bool end_object() {
      --depth_;
      return true;
    }
    bool start_array(size_t) {
      if (depth_ == 0) source_.fail("timestamp", "the line is not a JSON object");
      // Only Mooncake's hash_ids is a list, of whole numbers.
      if (hashes_ == nullptr || in_list_ || depth_ != 1 || keys_[current_] != "hash_ids") {
        nested();
      }
      in_list_ = true;
      values[current_].type = Value::Type::kList;
      hashes_->clear();
      return true;
    }
    bool end_array() {
      in_list_ = false;
      return true;
    }
    bool key(json::string_t& name) {
      const auto it = std::find(keys_.begin(), keys_.end(), name);
      if (it == keys_.end()) {
        std::string known;
        for (const auto k : keys_) known += (known.empty() ? "" : ", ") + std::string(k);
        source_.fail(excerpt(name),
                     fmt::format("unknown key '{}' (known keys: {})", excerpt(name), known));
      }
      current_ = static_cast<size_t>(it - keys_.begin());
      if (values[current_].type != Value::Type::kNone) {
        source_.fail(name, fmt::format("duplicate key '{}' (each key may appear once)", name));
      }
      return true;
    }
    bool parse_error(size_t position, const std::string&, const nlohmann::detail::exception& e) {
      throw ConfigError(fmt::format("{}: line {}: malformed JSON at byte {}: {}",
                                    source_.spec_.path, source_.line_no_, position, e.what()));
    }

   private:
    Value& slot() {
      if (depth_ == 0) source_.fail("timestamp", "the line is not a JSON object");
      return values[current_];
    }
    bool list_item(uint64_t v, bool whole) {
      if (!whole) source_.fail("hash_ids", "expected a list of whole numbers 0 or more");
      hashes_->push_back(v);
      return true;
    }
    bool put(Value::Type type, const char* text) {
      Value& value = slot();
      value.type = type;
      value.text = text;
      return true;
    }
    [[noreturn]] void nested() const {
      source_.fail(keys_[current_], "a single value, not a nested object or list");
    }

    const TraceSource& source_;
    std::span<const std::string_view> keys_;
    std::vector<uint64_t>* hashes_;  // Mooncake's hash_ids go here; null: no list allowed
    int depth_ = 0;
    size_t current_ = 0;
    bool in_list_ = false;
  };

  std::span<const std::string_view> row_keys() const {
    if (format_ == Format::kMooncake) return kMooncakeKeys;
    return kJsonlKeys;
  }

  int64_t json_count(const RowReader& reader, size_t key) const {
    using Type = RowReader::Value::Type;
    const std::string_view name = row_keys()[key];
    const auto& value = reader.values[key];
    switch (value.type) {
      case Type::kNone:
        fail(name, "missing field");
      case Type::kUnsigned:
        if (value.u > static_cast<uint64_t>(kMaxTokens)) {
          fail(name,
               fmt::format("{} tokens is beyond any request (at most {})", value.text, kMaxTokens));
        }
        return static_cast<int64_t>(value.u);
      case Type::kInteger:
        return check_count(name, value.i);
      case Type::kFloat:
        if (value.f != std::floor(value.f)) {
          fail(name, fmt::format("{} is not a whole number of tokens", excerpt(value.text)));
        }
        if (value.f < 0) fail(name, fmt::format("negative value {}", excerpt(value.text)));
        if (value.f > static_cast<double>(kMaxTokens)) {
          fail(name, fmt::format("{} tokens is beyond any request (at most {})",
                                 excerpt(value.text), kMaxTokens));
        }
        return static_cast<int64_t>(value.f);
      case Type::kString:
        fail(name, fmt::format("non-numeric value \"{}\" (expected a whole number of tokens, "
                               "without quotes)",
                               excerpt(value.text)));
      case Type::kList:
      case Type::kOther:
        break;
    }
    fail(name, fmt::format("non-numeric value {} (expected a whole number of tokens)",
                           excerpt(value.text)));
  }

  Row parse_json_row(const std::string& line) {
    const bool mooncake = format_ == Format::kMooncake;
    RowReader reader(*this, row_keys(), mooncake ? &hashes_ : nullptr);
    // The handler throws ConfigError naming the line and key at the first
    // problem; strict: nothing may follow the object.
    nlohmann::json::sax_parse(line, &reader, nlohmann::json::input_format_t::json, true);
    using Type = RowReader::Value::Type;
    Row row;
    const auto& time = reader.values[0];
    switch (time.type) {
      case Type::kNone:
        fail("timestamp", "missing field");
      case Type::kString:
        row.time = parse_stamp("timestamp", time.text);
        break;
      case Type::kUnsigned:
        row.time = from_seconds("timestamp", static_cast<double>(time.u));
        break;
      case Type::kInteger:
        row.time = from_seconds("timestamp", static_cast<double>(time.i));
        break;
      case Type::kFloat:
        row.time = from_seconds("timestamp", time.f);
        break;
      case Type::kList:
      case Type::kOther:
        fail("timestamp",
             fmt::format("non-numeric value {} (expected seconds)", excerpt(time.text)));
    }
    row.input = json_count(reader, 1);
    row.output = json_count(reader, 2);
    if (mooncake) {
      // Milliseconds; every row names its prompt's blocks.
      if (time.type == Type::kString) {
        fail("timestamp", "expected milliseconds since the first request, as a number");
      }
      const double ms = static_cast<double>(row.time.sec) + row.time.frac;
      row.time = from_seconds("timestamp", ms / 1e3);
      if (reader.values[3].type != Type::kList) {
        fail("hash_ids", reader.values[3].type == Type::kNone
                             ? "missing field"
                             : "expected a list of block hashes (whole numbers)");
      }
      const int64_t blocks = (row.input + kMooncakeBlockTokens - 1) / kMooncakeBlockTokens;
      if (static_cast<int64_t>(hashes_.size()) != blocks) {
        fail("hash_ids", fmt::format("{} hashes for input_length {}: expected one per {}-token "
                                     "block, {}",
                                     hashes_.size(), row.input, kMooncakeBlockTokens, blocks));
      }
      row.has_hashes = true;
      return row;
    }
    const auto& session = reader.values[4];
    if (session.type != Type::kNone) {
      if (session.type == Type::kOther || session.type == Type::kFloat ||
          session.type == Type::kInteger ||
          (session.type == Type::kString && session.text.empty())) {
        fail("session_id", fmt::format("expected a non-empty string or a whole number 0 or more, "
                                       "got {}",
                                       excerpt(session.text.empty() ? "\"\"" : session.text)));
      }
      // "7" and 7 name one session.
      row.session = session.text;
    }
    if (reader.values[5].type != Type::kNone) {
      row.prefix = json_count(reader, 5);
      if (row.session.empty()) {
        fail("prefix_tokens",
             "needs a session_id: the tokens are shared with that session's "
             "earlier calls");
      }
      if (row.prefix > row.input) {
        fail("prefix_tokens", fmt::format("{} shared tokens is more than the prompt's "
                                          "input_tokens ({})",
                                          row.prefix, row.input));
      }
    }
    const auto& priority = reader.values[3];
    if (priority.type != Type::kNone) {
      const bool whole = priority.type == Type::kUnsigned || priority.type == Type::kInteger;
      const int64_t p = priority.type == Type::kUnsigned
                            ? static_cast<int64_t>(std::min<uint64_t>(priority.u, kMaxPriority + 1))
                            : priority.i;
      if (!whole || p < 0 || p > kMaxPriority) {
        fail("priority", fmt::format("expected a whole number from 0 (served first) to {}, got {}",
                                     kMaxPriority, excerpt(priority.text)));
      }
      row.priority = static_cast<int32_t>(p);
    }
    return row;
  }

  // The next valid row of this pass, or nothing at its end.
  std::optional<Row> read_row() {
    while (read_line(line_)) {
      Row row = format_ == Format::kJsonl || format_ == Format::kMooncake ? parse_json_row(line_)
                                                                          : parse_csv_row(line_);
      // BurstGPT logs failed requests with Response tokens 0: they never
      // reached the model, so they are not load to replay.
      if (format_ == Format::kBurstGpt && row.output == 0) continue;
      if (row.input == 0) fail(input_name_, "zero input tokens: a request needs a prompt");
      // None of the shipped Azure rows has 0 generated tokens; a request that
      // produced nothing is a failure the trace should not contain.
      if (row.output == 0) fail(output_name_, "zero output tokens: a request returns at least one");
      if (has_prev_ && before(row.time, prev_time_)) {
        fail(time_name_,
             fmt::format("timestamps go backwards (out of order): this row is {:.7f} s "
                         "before the previous row (line {}); rows must be in time order",
                         seconds_between(prev_time_, row.time), prev_line_));
      }
      prev_time_ = row.time;
      prev_line_ = line_no_;
      has_prev_ = true;
      return row;
    }
    return std::nullopt;
  }

  // Mooncake: block i of the prompt is hash_ids[i]'s (per pass: a looped
  // trace's requests are new ones, not repeats sharing a cache).
  std::shared_ptr<const ContentSegments> hashed_content(int64_t input) const {
    auto segments = std::make_shared<ContentSegments>();
    segments->reserve(hashes_.size());
    for (size_t i = 0; i < hashes_.size(); ++i) {
      const int64_t end = std::min(input, static_cast<int64_t>(i + 1) * kMooncakeBlockTokens);
      segments->push_back(
          {shared_writer(shared_writer(kTraceBlockContent, static_cast<uint64_t>(pass_)),
                         hashes_[i]),
           end});
    }
    return segments;
  }

  // A JSONL call of a session: its first prefix_tokens are what the
  // session's previous call left (its prompt, then its output).
  void join_session(const Row& row, Request& request) {
    const auto found = sessions_.find(row.session);
    const int64_t prefix = std::max<int64_t>(row.prefix, 0);
    if (found == sessions_.end()) {
      if (prefix > 0) {
        fail("session_id", fmt::format("references session '{}', which has no earlier call: "
                                       "prefix_tokens {} has nothing to share",
                                       excerpt(row.session), prefix));
      }
      Session session;
      session.index = next_session_++;
      found_session(sessions_.emplace(row.session, session).first->second, 0, request);
      return;
    }
    if (prefix > found->second.tokens) {
      fail("prefix_tokens",
           fmt::format("{} shared tokens is more than session '{}' holds so far: its previous "
                       "call left {} (its prompt and output)",
                       prefix, excerpt(row.session), found->second.tokens));
    }
    found_session(found->second, prefix, request);
  }

  void found_session(Session& session, int64_t prefix, Request& request) {
    request.session = session.index;
    if (prefix > 0) {
      request.content = std::make_shared<const ContentSegments>(
          shared_prefix(session.content ? *session.content : ContentSegments{}, session.writer,
                        session.tokens, prefix));
    }
    session.content = request.content;
    session.writer = own_writer(request.id);
    session.tokens = request.input_tokens + request.output_tokens;
  }

  // Sets pending_ to the next request across passes, or clears it at the end.
  void advance() {
    while (true) {
      if (auto row = read_row()) {
        if (pass_ == 0) {
          if (first_pass_rows_ == 0) first_time_ = row->time;
          last_time_ = row->time;
          first_pass_rows_ = checked_add(first_pass_rows_, 1, spec_.path + ": rows");
        }
        const double offset = static_cast<double>(pass_) * pass_span_s_;
        const double arrival = (seconds_between(row->time, first_time_) + offset) / spec_.speedup;
        if (!std::isfinite(arrival)) {
          fail(time_name_, fmt::format("arrival time {:g} s (pass {}, speedup {:g}) is not finite",
                                       arrival, pass_ + 1, spec_.speedup));
        }
        Request request;
        request.id = issued_;  // as next() will number it
        request.arrival_s = arrival;
        request.input_tokens = row->input;
        request.output_tokens = row->output;
        request.priority = row->priority;
        if (row->has_hashes) request.content = hashed_content(row->input);
        if (!row->session.empty()) join_session(*row, request);
        pending_ = std::move(request);
        return;
      }
      pending_.reset();
      if (first_pass_rows_ == 0) return;  // empty: the constructor reports it
      if (pass_ == 0) {
        // Each pass starts one mean gap after the previous one's last request.
        const double span = seconds_between(last_time_, first_time_);
        const double gap =
            first_pass_rows_ > 1 ? span / static_cast<double>(first_pass_rows_ - 1) : 0;
        pass_span_s_ = span + gap;
      }
      if (++pass_ >= spec_.loops) return;
      sessions_.clear();  // each pass's sessions are new ones
      open_pass(/*detect=*/false);
      has_prev_ = false;
    }
  }

  TraceSpec spec_;
  Format format_ = Format::kAzure;
  std::ifstream in_;
  int64_t line_no_ = 0;
  std::string line_;  // the row being parsed (reused)
  std::string unread_;
  bool has_unread_ = false;

  std::vector<std::string_view> fields_;  // of the row being parsed, into line_
  std::vector<std::string> header_;       // the CSV header's column names
  size_t time_col_ = 0, input_col_ = 0, output_col_ = 0;
  std::string_view time_name_ = "timestamp", input_name_ = "input_tokens",
                   output_name_ = "output_tokens";

  Stamp prev_time_;
  int64_t prev_line_ = 0;
  bool has_prev_ = false;

  int64_t pass_ = 0;
  int64_t first_pass_rows_ = 0;
  Stamp first_time_, last_time_;
  double pass_span_s_ = 0;  // first pass's span plus its mean gap

  std::optional<Request> pending_;
  uint64_t issued_ = 0;

  std::vector<uint64_t> hashes_;  // the Mooncake row's hash_ids (reused)
  std::unordered_map<std::string, Session> sessions_;
  int64_t next_session_ = 0;
};

}  // namespace

std::unique_ptr<RequestSource> make_trace_source(const TraceSpec& spec) {
  return std::make_unique<TraceSource>(spec);
}

}  // namespace jalapeno
