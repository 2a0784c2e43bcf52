#include "report/html_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <set>

#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/json_input.hpp"

#ifndef JALAPENO_PLOTLY_JS
#define JALAPENO_PLOTLY_JS "/usr/share/python3-plotly/plotly.js"
#endif

namespace jalapeno {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

constexpr size_t kMaxCdfPoints = 2000;  // per curve: enough for the eye, small pages
constexpr size_t kMaxSeriesReplicas = 8;
constexpr int64_t kMaxResultBytes = int64_t{1} << 31;

json parse_json_file(const std::string& path, const std::string& what) {
  const std::string text = read_regular_file(path, what, kMaxResultBytes);
  try {
    return parse_ordered_json_strict(text, path);
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("{} (not JSON: {} expected)", e.what(), what));
  }
}

std::vector<json> read_rows(const std::string& path) {
  const std::string text = read_regular_file(path, "sweep rows", kMaxResultBytes);
  std::vector<json> rows;
  size_t start = 0, line = 0;
  for (size_t end; start < text.size(); start = end + 1) {
    end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    ++line;
    if (end == start) continue;
    const std::string where = fmt::format("{}:{}", path, line);
    json row = parse_ordered_json_strict(text.substr(start, end - start), where);
    if (!row.is_object() || !row.contains("point")) {
      throw ConfigError(
          fmt::format("{}:{}: expected a sweep row (a JSON object with a point)", path, line));
    }
    rows.push_back(std::move(row));
  }
  if (rows.empty()) throw ConfigError(fmt::format("{}: no sweep rows", path));
  return rows;
}

// requests.csv of `serve --out`: its numeric columns, one object a request.
std::vector<json> read_requests(const std::string& path) {
  const std::string text = read_regular_file(path, "requests.csv", kMaxResultBytes);
  std::vector<json> out;
  std::vector<std::string> header;
  size_t start = 0;
  for (size_t end; start < text.size(); start = end + 1) {
    end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::vector<std::string> cells;
    for (size_t at = start; at <= end;) {
      const size_t comma = std::min(text.find(',', at), end);
      cells.push_back(text.substr(at, comma - at));
      at = comma + 1;
    }
    if (header.empty()) {
      header = cells;
      continue;
    }
    if (cells.size() != header.size()) {
      throw ConfigError(fmt::format("{}: a row of {} cells under a header of {}", path,
                                    cells.size(), header.size()));
    }
    json row;
    for (size_t c = 0; c < cells.size(); ++c)
      row[header[c]] = std::strtod(cells[c].c_str(), nullptr);
    out.push_back(std::move(row));
  }
  return out;
}

json axis(const std::string& title, bool log = false) {
  json a = {{"title", {{"text", title}}}, {"automargin", true}};
  if (log) a["type"] = "log";
  return a;
}

json layout(const std::string& x, const std::string& y, bool log_y = false, bool log_x = false) {
  return {{"xaxis", axis(x, log_x)},
          {"yaxis", axis(y, log_y)},
          {"margin", {{"t", 30}, {"r", 20}}},
          {"legend", {{"orientation", "h"}}}};
}

const char* const kLatencies[][2] = {{"ttft_s", "TTFT"},
                                     {"tpot_s", "TPOT"},
                                     {"itl_s", "ITL"},
                                     {"e2e_s", "E2E"},
                                     {"queue_s", "queue"}};

void serve_figures(const ReportInput& in, std::vector<ReportFigure>& out) {
  const json& d = in.document;
  {
    ReportFigure f;
    f.title = "Latency percentiles";
    f.caption = "Each latency's percentiles over the requests of the run (ms, log scale).";
    for (const auto& [key, name] : kLatencies) {
      if (!d.contains(key)) continue;
      json x = json::array(), y = json::array();
      for (const char* q : {"mean", "p50", "p90", "p95", "p99", "max"}) {
        x.push_back(q);
        y.push_back(1e3 * d[key].value(q, 0.0));
      }
      f.traces.push_back({{"type", "bar"}, {"name", name}, {"x", x}, {"y", y}});
    }
    f.layout = layout("statistic", "milliseconds", true);
    f.layout["barmode"] = "group";
    out.push_back(std::move(f));
  }
  if (!in.requests.empty()) {
    ReportFigure f;
    f.title = "Latency CDFs";
    f.caption = fmt::format("The share of the {} requests (requests.csv) at or under each latency.",
                            in.requests.size());
    for (const auto& [key, name] : kLatencies) {
      if (std::string(key) == "itl_s") continue;  // per token, not per request
      std::vector<double> v;
      for (const json& r : in.requests) {
        if (r.contains(key)) v.push_back(r[key].get<double>());
      }
      if (v.empty()) continue;
      std::sort(v.begin(), v.end());
      json x = json::array(), y = json::array();
      const size_t step = std::max<size_t>(1, v.size() / kMaxCdfPoints);
      for (size_t i = 0; i < v.size(); i += step) {
        x.push_back(1e3 * v[i]);
        y.push_back(static_cast<double>(i + 1) / static_cast<double>(v.size()));
      }
      x.push_back(1e3 * v.back());
      y.push_back(1.0);
      f.traces.push_back(
          {{"type", "scatter"}, {"mode", "lines"}, {"name", name}, {"x", x}, {"y", y}});
    }
    f.layout = layout("milliseconds", "share of requests", false, true);
    out.push_back(std::move(f));
  }
  if (d.contains("replicas") && d["replicas"].is_array()) {
    const char* const kSeries[][2] = {{"mean_waiting", "queue (requests waiting)"},
                                      {"mean_batch", "batch (sequences)"},
                                      {"mean_kv_fraction", "KV cache (share used)"},
                                      {"busy_fraction", "busy (share of time)"}};
    for (const auto& [key, name] : kSeries) {
      ReportFigure f;
      f.title = std::string("Over time: ") + name;
      f.caption = "Per replica, averaged over each interval of simulated time.";
      size_t shown = 0;
      for (const json& r : d["replicas"]) {
        if (shown++ >= kMaxSeriesReplicas || !r.contains("series")) break;
        const json& s = r["series"];
        if (!s.contains(key)) continue;
        const double dt = s.value("interval_s", 1.0);
        json x = json::array();
        for (size_t i = 0; i < s[key].size(); ++i) x.push_back(dt * static_cast<double>(i));
        f.traces.push_back({{"type", "scatter"},
                            {"mode", "lines"},
                            {"name", fmt::format("replica {}", r.value("replica", 0))},
                            {"x", x},
                            {"y", s[key]}});
      }
      if (f.traces.empty()) continue;
      f.layout = layout("simulated seconds", name);
      out.push_back(std::move(f));
    }
  }
  if (d.contains("energy") && d["energy"].is_object()) {
    const json& e = d["energy"];
    ReportFigure f;
    f.title = "Where the joules went";
    f.caption = fmt::format(
        "{:.4g} J in all: {:.3g} J per output token, {:.0f} W mean and "
        "{:.0f} W peak over the chips.",
        e.value("joules", 0.0), e.value("joules_per_output_token", 0.0),
        e.value("mean_power_W", 0.0), e.value("peak_power_W", 0.0));
    const double idle = e.value("idle_joules", 0.0);
    const double total = e.value("joules", 0.0);
    f.traces.push_back({{"type", "pie"},
                        {"labels", {"chips idle", "work (steps beyond idle)"}},
                        {"values", {idle, std::max(0.0, total - idle)}}});
    f.layout = {{"margin", {{"t", 30}}}};
    out.push_back(std::move(f));
  }
}

// Columns of a sweep's rows: the axes (between point and status), numbers.
std::vector<std::string> sweep_axes(const json& row) {
  std::vector<std::string> axes;
  bool in = false;
  for (const auto& [key, value] : row.items()) {
    (void)value;
    if (key == "status") break;
    if (in) axes.push_back(key);
    in = in || key == "point";
  }
  return axes;
}

bool has_number(const std::vector<json>& rows, const std::string& key) {
  return std::any_of(rows.begin(), rows.end(),
                     [&](const json& r) { return r.contains(key) && r[key].is_number(); });
}

// The points that ran, and which of them no other beats on both x and y
// (higher is better on both).
ReportFigure scatter(const std::vector<json>& rows, const std::string& x, const std::string& y,
                     const std::string& title, const std::string& caption) {
  ReportFigure f;
  f.title = title;
  f.caption = caption;
  struct Point {
    double x, y;
    int64_t point;
  };
  std::vector<Point> points;
  for (const json& r : rows) {
    if (r.value("status", "") != "ok" || !r.contains(x) || !r.contains(y) || !r[x].is_number() ||
        !r[y].is_number()) {
      continue;
    }
    points.push_back({r[x].get<double>(), r[y].get<double>(), r.value("point", int64_t{0})});
  }
  // Best x first (ties: best y first); a point is on the front when its y
  // beats every y before it.
  std::vector<Point> sorted = points;
  std::sort(sorted.begin(), sorted.end(),
            [](const Point& a, const Point& b) { return a.x != b.x ? a.x > b.x : a.y > b.y; });
  json fx = json::array(), fy = json::array();
  double best_y = -std::numeric_limits<double>::infinity();
  for (const Point& p : sorted) {
    if (p.y <= best_y) continue;
    best_y = p.y;
    fx.push_back(p.x);
    fy.push_back(p.y);
  }
  json xs = json::array(), ys = json::array(), text = json::array();
  for (const Point& p : points) {
    xs.push_back(p.x);
    ys.push_back(p.y);
    text.push_back(fmt::format("point {}", p.point));
  }
  f.traces.push_back({{"type", "scatter"},
                      {"mode", "markers"},
                      {"name", "points"},
                      {"x", xs},
                      {"y", ys},
                      {"text", text},
                      {"marker", {{"size", 5}, {"opacity", 0.6}}}});
  f.traces.push_back({{"type", "scatter"},
                      {"mode", "lines+markers"},
                      {"name", "Pareto front"},
                      {"x", fx},
                      {"y", fy}});
  f.layout = layout(x, y);
  return f;
}

void sweep_figures(const ReportInput& in, std::vector<ReportFigure>& out) {
  const std::vector<json>& rows = in.rows;
  const bool simulated = has_number(rows, "throughput.output_tokens_per_s");
  const std::string throughput = simulated ? "throughput.output_tokens_per_s" : "tokens_per_s";
  if (has_number(rows, "tokens_per_s_per_user") && has_number(rows, throughput)) {
    out.push_back(scatter(rows, "tokens_per_s_per_user", throughput,
                          "Throughput against interactivity",
                          "Each point of the sweep: one user's tokens/s (1 / mean TPOT) against "
                          "the output tokens/s served, and the Pareto front of the two (higher "
                          "is better on both)."));
  }
  const std::string per_MW = simulated ? "energy.tokens_per_s_per_MW" : "tokens_per_s_per_MW";
  if (has_number(rows, "tokens_per_s_per_user") && has_number(rows, per_MW)) {
    out.push_back(scatter(rows, "tokens_per_s_per_user", per_MW, "Interactivity against energy",
                          "Output tokens/s per facility megawatt at each point, and the Pareto "
                          "front of the two."));
  }
  const std::vector<std::string> axes = sweep_axes(rows.front());
  if (axes.empty()) return;
  // Latency over the first axis, one line for each value of the second.
  const std::string first = axes[0];
  const std::string second = axes.size() > 1 ? axes[1] : "";
  const std::vector<std::pair<std::string, std::string>> metrics =
      simulated ? std::vector<std::pair<std::string, std::string>>{{"ttft_s.p90", "TTFT p90 (s)"},
                                                                   {"tpot_s.p90", "TPOT p90 (s)"}}
                : std::vector<std::pair<std::string, std::string>>{
                      {"tpot_s", "TPOT (s)"}, {"tokens_per_s_per_chip", "tokens/s per chip"}};
  for (const auto& [metric, label] : metrics) {
    if (!has_number(rows, metric)) continue;
    ReportFigure f;
    f.title = fmt::format("{} over {}", label, first);
    f.caption = second.empty()
                    ? "Each point of the sweep."
                    : fmt::format("One line for each value of {} (the first ten){}.", second,
                                  axes.size() > 2 ? "; the other axes at their first values" : "");
    std::map<std::string, std::pair<json, json>> lines;
    std::vector<std::string> order;
    for (const json& r : rows) {
      if (r.value("status", "") != "ok" || !r.contains(metric)) continue;
      bool held = true;
      for (size_t a = 2; a < axes.size(); ++a) {
        held = held && r.contains(axes[a]) && rows.front().contains(axes[a]) &&
               r.at(axes[a]) == rows.front().at(axes[a]);
      }
      if (!r.contains(first) || (!second.empty() && !r.contains(second))) continue;
      if (!held) continue;
      const std::string key = second.empty()          ? "points"
                              : r[second].is_string() ? r[second].get<std::string>()
                                                      : r[second].dump();
      if (!lines.count(key)) {
        if (order.size() >= 10) continue;
        order.push_back(key);
      }
      lines[key].first.push_back(r[first]);
      lines[key].second.push_back(r[metric]);
    }
    for (const std::string& key : order) {
      f.traces.push_back({{"type", "scatter"},
                          {"mode", "lines+markers"},
                          {"name", second.empty() ? key : second + " = " + key},
                          {"x", lines[key].first},
                          {"y", lines[key].second}});
    }
    f.layout = layout(first, label);
    if (!f.traces.empty()) out.push_back(std::move(f));
  }
}

void plan_figures(const ReportInput& in, std::vector<ReportFigure>& out) {
  const json& plans = in.document["plans"];
  ReportFigure bars;
  bars.title = "Output tokens/s per chip, by plan";
  bars.caption =
      "Each plan at the largest batch its cache and the TPOT SLO allow; grey ones miss "
      "an SLO or cannot run.";
  json x = json::array(), y = json::array(), colour = json::array(), text = json::array();
  for (const json& p : plans) {
    x.push_back(fmt::format("TP{} PP{} EP{}{} x{}", p.value("tp", 1), p.value("pp", 1),
                            p.value("ep", 1), p.value("dp_attention", false) ? " DEP" : "",
                            p.value("replicas", 1)));
    y.push_back(p.value("tokens_per_s_per_chip", 0.0));
    colour.push_back(p.value("meets_slos", false) ? "#2a9d8f" : "#b0b0b0");
    text.push_back(p.value("verdict", ""));
  }
  bars.traces.push_back(
      {{"type", "bar"}, {"x", x}, {"y", y}, {"text", text}, {"marker", {{"color", colour}}}});
  bars.layout = layout("plan", "output tokens/s per chip");
  out.push_back(std::move(bars));
  ReportFigure trade;
  trade.title = "TPOT against throughput per chip";
  trade.caption = "The latency each plan pays for its throughput.";
  json tx = json::array(), ty = json::array(), names = json::array();
  for (size_t i = 0; i < plans.size(); ++i) {
    if (!plans[i].value("meets_slos", false) && plans[i].value("batch", 0) == 0) continue;
    tx.push_back(plans[i].value("tokens_per_s_per_chip", 0.0));
    ty.push_back(1e3 * plans[i].value("tpot_s", 0.0));
    names.push_back(x[i]);
  }
  trade.traces.push_back({{"type", "scatter"},
                          {"mode", "markers+text"},
                          {"x", tx},
                          {"y", ty},
                          {"text", names},
                          {"textposition", "top center"}});
  trade.layout = layout("output tokens/s per chip", "TPOT (ms)");
  out.push_back(std::move(trade));
}

void step_figures(const ReportInput& in, std::vector<ReportFigure>& out) {
  const json& ops = in.document["ops"];
  const auto bars = [&](const char* key, const char* title, const char* unit, double scale) {
    ReportFigure f;
    f.title = title;
    f.caption = fmt::format("{} on {}: each op of the step (all its layers together).",
                            in.document.value("model", ""), in.document.value("hw", ""));
    json x = json::array(), y = json::array();
    for (const json& op : ops) {
      x.push_back(op.value("name", ""));
      y.push_back(scale * op.value(key, 0.0));
    }
    f.traces.push_back({{"type", "bar"}, {"x", x}, {"y", y}});
    f.layout = layout("op", unit);
    out.push_back(std::move(f));
  };
  bars("seconds", "Step time by op", "microseconds", 1e6);
  bars("joules", "Step energy by op", "millijoules", 1e3);
}

// Text safe inside a <script> element.
std::string script_safe(std::string text) {
  for (size_t at = text.find("</"); at != std::string::npos; at = text.find("</", at + 3)) {
    text.replace(at, 2, "<\\/");
  }
  return text;
}

std::string escape_html(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

ReportInput read_report_input(const std::string& path) {
  ReportInput in;
  std::error_code ec;
  fs::path file = path;
  if (fs::is_directory(file, ec)) {
    if (fs::is_regular_file(file / "sweep.jsonl", ec)) {
      file /= "sweep.jsonl";
    } else if (fs::is_regular_file(file / "summary.json", ec)) {
      if (fs::is_regular_file(file / "requests.csv", ec)) {
        in.requests = read_requests((file / "requests.csv").string());
      }
      file /= "summary.json";
    } else {
      throw ConfigError(
          fmt::format("{}: expected a directory of `sweep --out` (sweep.jsonl) or `serve --out` "
                      "(summary.json)",
                      path));
    }
  }
  const std::string name = file.string();
  if (file.extension() == ".jsonl") {
    in.kind = ReportInput::Kind::kSweep;
    in.rows = read_rows(name);
    return in;
  }
  in.document = parse_json_file(name, "a jalapeno result");
  const std::string schema =
      in.document.is_object() ? in.document.value("schema", std::string()) : std::string();
  if (schema == "jalapeno.serve/1") {
    in.kind = ReportInput::Kind::kServe;
  } else if (schema == "jalapeno.plan/1" && in.document["plans"].is_array()) {
    in.kind = ReportInput::Kind::kPlan;
  } else if (schema == "jalapeno.step/1" && in.document["ops"].is_array()) {
    in.kind = ReportInput::Kind::kStep;
  } else {
    throw ConfigError(fmt::format(
        "{}: expected a result of serve --json (jalapeno.serve/1), plan --json (jalapeno.plan/1) "
        "or step --json (jalapeno.step/1), a sweep's .jsonl, or their --out directory; got {}",
        name, schema.empty() ? "no schema" : "schema " + schema));
  }
  return in;
}

std::vector<ReportFigure> report_figures(const ReportInput& input) {
  std::vector<ReportFigure> out;
  switch (input.kind) {
    case ReportInput::Kind::kServe:
      serve_figures(input, out);
      break;
    case ReportInput::Kind::kSweep:
      sweep_figures(input, out);
      break;
    case ReportInput::Kind::kPlan:
      plan_figures(input, out);
      break;
    case ReportInput::Kind::kStep:
      step_figures(input, out);
      break;
  }
  return out;
}

std::string render_report(const std::vector<ReportFigure>& figures, const std::string& title,
                          const std::string& plotly_js) {
  json specs = json::array();
  std::string cards;
  for (size_t i = 0; i < figures.size(); ++i) {
    specs.push_back({{"traces", figures[i].traces}, {"layout", figures[i].layout}});
    cards += fmt::format(
        "<section><h2>{}</h2><p>{}</p><div class=\"plot\" id=\"plot{}\"></div></section>\n",
        escape_html(figures[i].title), escape_html(figures[i].caption), i);
  }
  return fmt::format(
      R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{0}</title>
<style>body{{font-family:sans-serif;margin:24px;max-width:1100px}}section{{margin-bottom:28px}}
h2{{font-size:18px;margin:0 0 4px}}p{{color:#555;margin:0 0 6px}}.plot{{height:420px}}</style>
<script>window.jalapenoErrors=[];window.addEventListener("error",function(e){{
window.jalapenoErrors.push(String(e.message));}});</script>
<script>{1}</script></head>
<body data-plots="{2}" data-rendered="0" data-errors="">
<h1>{0}</h1>
{3}<script>
(function(){{
  var figures={4};
  var done=0;
  figures.forEach(function(f,i){{
    Plotly.newPlot("plot"+i,f.traces,f.layout,{{responsive:true,displaylogo:false}}).then(function(){{
      var el=document.getElementById("plot"+i);
      if(el.querySelector("svg.main-svg")) done++;
      document.body.setAttribute("data-rendered",String(done));
    }}).catch(function(e){{window.jalapenoErrors.push(String(e));}}).finally(function(){{
      document.body.setAttribute("data-errors",window.jalapenoErrors.join(" | "));
    }});
  }});
}})();
</script></body></html>
)",
      escape_html(title), script_safe(plotly_js), figures.size(), cards,
      script_safe(specs.dump(-1, ' ', true)));
}

std::string load_plotly_js() {
  const char* env = std::getenv("JALAPENO_PLOTLY_JS");
  const std::string path = env != nullptr && *env != '\0' ? env : JALAPENO_PLOTLY_JS;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw ConfigError(fmt::format(
        "plotly.js not found at {} ({}): install Debian's python3-plotly (scripts/setup.sh does) "
        "or set JALAPENO_PLOTLY_JS to a plotly.js file",
        path, env != nullptr && *env != '\0' ? "from JALAPENO_PLOTLY_JS" : "built in"));
  }
  return read_regular_file(path, "plotly.js", 64 << 20);
}

}  // namespace jalapeno
