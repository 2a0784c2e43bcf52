// Trace replay: Azure LLM inference CSV, BurstGPT CSV and JSONL, streamed one
// line at a time so that a trace of any length runs in constant memory.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/units.hpp"
#include "workload/source.hpp"

namespace jalapeno {
namespace {

// Beyond these a row is a mistake (and 64-bit arithmetic on it could wrap).
constexpr double kMaxTokens = 1e9;    // tokens in one request
constexpr double kMaxSeconds = 1e12;  // a timestamp: some 31,000 years

enum class Format { kAzure, kBurstGpt, kJsonl };

constexpr std::string_view kFormats =
    "expected an Azure LLM trace header (TIMESTAMP,ContextTokens,GeneratedTokens), a BurstGPT "
    "header (Timestamp,Model,Request tokens,Response tokens,...) or JSONL (one object per line "
    "with \"timestamp\", \"input_tokens\", \"output_tokens\")";

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

std::vector<std::string_view> split_csv(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    const size_t end = line.find(',', start);
    fields.push_back(trim(line.substr(start, end == std::string_view::npos ? end : end - start)));
    if (end == std::string_view::npos) return fields;
    start = end + 1;
  }
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
    const int64_t frac = digits(text, 20, n);
    if (text[19] != '.' || n < 1 || n > 9 || frac < 0) return std::nullopt;
    stamp.frac = static_cast<double>(frac) / std::pow(10.0, static_cast<double>(n));
  }
  return stamp;
}

class TraceSource final : public RequestSource {
 public:
  explicit TraceSource(const TraceSpec& spec) : spec_(spec) {
    if (!(spec.speedup > 0 && std::isfinite(spec.speedup))) {
      throw ConfigError(
          fmt::format("{}: speedup must be positive, got {}", spec.path, spec.speedup));
    }
    if (spec.loops < 1) {
      throw ConfigError(fmt::format("{}: loops must be at least 1, got {}", spec.path, spec.loops));
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
    static constexpr const char* kNames[] = {"Azure LLM trace", "BurstGPT trace", "JSONL trace"};
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
  };

  [[noreturn]] void fail(std::string_view field, const std::string& problem) const {
    throw ConfigError(
        fmt::format("{}: line {}: field '{}': {}", spec_.path, line_no_, field, problem));
  }

  // The next non-blank line with CR (Windows line ends, as in the shipped
  // Azure traces) and a UTF-8 byte order mark removed; false at the end.
  bool read_line(std::string& line) {
    if (has_unread_) {
      has_unread_ = false;
      line = unread_;
      return true;
    }
    while (std::getline(in_, line)) {
      ++line_no_;
      if (line_no_ == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!trim(line).empty()) return true;
    }
    return false;
  }

  void open_pass(bool detect) {
    in_.close();
    in_.clear();
    in_.open(spec_.path);
    if (!in_) throw ConfigError(fmt::format("{}: cannot open trace file", spec_.path));
    line_no_ = 0;
    std::string first;
    if (!read_line(first)) {
      throw ConfigError(fmt::format("{}: empty trace: the file has no lines", spec_.path));
    }
    if (detect) detect_format(first);
    if (format_ == Format::kJsonl) {
      // JSONL has no header: the first line is a request.
      unread_ = std::move(first);
      has_unread_ = true;
    }
  }

  void detect_format(const std::string& first) {
    const std::string_view text = trim(first);
    if (text.front() == '{') {
      format_ = Format::kJsonl;
      return;
    }
    const auto header = split_csv(text);
    std::string_view time_name, input_name, output_name;
    if (header[0] == "TIMESTAMP") {
      format_ = Format::kAzure;
      time_name = "TIMESTAMP", input_name = "ContextTokens", output_name = "GeneratedTokens";
    } else if (header[0] == "Timestamp") {
      format_ = Format::kBurstGpt;
      time_name = "Timestamp", input_name = "Request tokens", output_name = "Response tokens";
    } else {
      throw ConfigError(fmt::format("{}: line {}: unrecognized trace format '{}': {}", spec_.path,
                                    line_no_, text.substr(0, 80), kFormats));
    }
    const auto column = [&](std::string_view name) {
      for (size_t i = 0; i < header.size(); ++i) {
        if (header[i] == name) return i;
      }
      fail(name, fmt::format("missing column '{}' in the header; {}", name, kFormats));
    };
    time_col_ = column(time_name);
    input_col_ = column(input_name);
    output_col_ = column(output_name);
    time_name_ = time_name, input_name_ = input_name, output_name_ = output_name;
  }

  Stamp parse_stamp(std::string_view field, std::string_view text) const {
    if (text.size() >= 10 && text[4] == '-' && text[0] != '-') {
      if (auto stamp = parse_date_time(text)) return *stamp;
      fail(field,
           fmt::format("'{}' is not a timestamp (YYYY-MM-DD HH:MM:SS.fffffff or seconds)", text));
    }
    const auto value = parse_number(text);
    if (!value) {
      fail(field, fmt::format("non-numeric value '{}' (expected seconds or YYYY-MM-DD "
                              "HH:MM:SS.fffffff)",
                              text));
    }
    return from_seconds(field, *value);
  }

  Stamp from_seconds(std::string_view field, double value) const {
    if (value < 0) fail(field, fmt::format("negative value {}", value));
    if (!(value <= kMaxSeconds)) {
      fail(field, fmt::format("{} s is beyond any trace (at most {:g} s)", value, kMaxSeconds));
    }
    const double whole = std::floor(value);
    return {static_cast<int64_t>(whole), value - whole};
  }

  int64_t parse_count(std::string_view field, std::string_view text) const {
    int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
      fail(field, fmt::format("non-numeric value '{}' (expected a whole number of tokens)", text));
    }
    if (value < 0) fail(field, fmt::format("negative value {}", value));
    if (value > kMaxTokens) {
      fail(field, fmt::format("{} tokens is beyond any request (at most {:g})", value, kMaxTokens));
    }
    return value;
  }

  Row parse_csv_row(const std::string& line) const {
    const auto fields = split_csv(line);
    const auto get = [&](size_t col, std::string_view name) {
      if (col >= fields.size()) {
        fail(name, fmt::format("missing column: the row has {} fields, '{}' is field {}",
                               fields.size(), name, col + 1));
      }
      return fields[col];
    };
    Row row;
    row.time = parse_stamp(time_name_, get(time_col_, time_name_));
    row.input = parse_count(input_name_, get(input_col_, input_name_));
    row.output = parse_count(output_name_, get(output_col_, output_name_));
    return row;
  }

  Row parse_json_row(const std::string& line) const {
    nlohmann::json object;
    try {
      object = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw ConfigError(
          fmt::format("{}: line {}: malformed JSON: {}", spec_.path, line_no_, e.what()));
    }
    if (!object.is_object()) fail("timestamp", "the line is not a JSON object");
    const auto get = [&](std::string_view name) -> const nlohmann::json& {
      const auto it = object.find(name);
      if (it == object.end()) fail(name, "missing field");
      return *it;
    };
    const auto count = [&](std::string_view name) {
      const auto& value = get(name);
      const auto too_many = [&] {
        fail(name, fmt::format("{} tokens is beyond any request (at most {:g})", value.dump(),
                               kMaxTokens));
      };
      if (value.is_number_unsigned()) {
        if (value.get<uint64_t>() > static_cast<uint64_t>(kMaxTokens)) too_many();
        return value.get<int64_t>();
      }
      if (value.is_number_integer()) {
        fail(name, fmt::format("negative value {}", value.get<int64_t>()));
      }
      if (value.is_number_float() && value.get<double>() == std::floor(value.get<double>())) {
        if (value.get<double>() < 0) fail(name, fmt::format("negative value {}", value.dump()));
        if (value.get<double>() > kMaxTokens) too_many();
        return static_cast<int64_t>(value.get<double>());
      }
      fail(name,
           fmt::format("non-numeric value {} (expected a whole number of tokens)", value.dump()));
    };
    Row row;
    const auto& time = get("timestamp");
    if (time.is_string()) {
      row.time = parse_stamp("timestamp", time.get<std::string>());
    } else if (time.is_number()) {
      row.time = from_seconds("timestamp", time.get<double>());
    } else {
      fail("timestamp", fmt::format("non-numeric value {} (expected seconds)", time.dump()));
    }
    row.input = count("input_tokens");
    row.output = count("output_tokens");
    return row;
  }

  // The next valid row of this pass, or nothing at its end.
  std::optional<Row> read_row() {
    std::string line;
    while (read_line(line)) {
      Row row = format_ == Format::kJsonl ? parse_json_row(line) : parse_csv_row(line);
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

  // Sets pending_ to the next request across passes, or clears it at the end.
  void advance() {
    while (true) {
      if (auto row = read_row()) {
        if (pass_ == 0) {
          if (first_pass_rows_ == 0) first_time_ = row->time;
          last_time_ = row->time;
          ++first_pass_rows_;
        }
        const double offset = static_cast<double>(pass_) * pass_span_s_;
        const double arrival = (seconds_between(row->time, first_time_) + offset) / spec_.speedup;
        pending_ = Request{0, arrival, row->input, row->output};
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
      open_pass(/*detect=*/false);
      has_prev_ = false;
    }
  }

  TraceSpec spec_;
  Format format_ = Format::kAzure;
  std::ifstream in_;
  int64_t line_no_ = 0;
  std::string unread_;
  bool has_unread_ = false;

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
};

}  // namespace

std::unique_ptr<RequestSource> make_trace_source(const TraceSpec& spec) {
  return std::make_unique<TraceSource>(spec);
}

}  // namespace jalapeno
