// Declared parameters (core/params.hpp): lookup, the checks a reader makes
// against them, their listings, and the two properties the whole scheme rests
// on: every preset and fixture reads only declared keys, and every declared
// key is read by some preset or fixture (none is dead).
#include "core/params.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

#include "core/presets.hpp"
#include "core/spec_reader.hpp"
#include "cost/engine_profile.hpp"
#include "dse/sweep.hpp"
#include "hw/chip_spec.hpp"
#include "hw/switch_spec.hpp"
#include "hw/topology.hpp"
#include "model/model_spec.hpp"
#include "serve/scenario.hpp"
#include "test_support.hpp"

namespace jalapeno {
namespace {

namespace fs = std::filesystem;

const std::string kSource = JALAPENO_SOURCE_DIR;

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() != ".md")
      out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Reads every shipped preset and every fixture of tests/data/params (those
// under refused/ are meant to be refused, after reading what they exercise).
// A read of an undeclared key throws logic_error, which fails the test.
std::vector<std::string> read_everything() {
  const std::string data = kSource + "/data";
  const std::string fixtures = kSource + "/tests/data/params";
  std::vector<std::string> failures;
  const auto read = [&](const std::string& file, bool refused,
                        const std::function<void(const std::string&)>& reader) {
    try {
      reader(file);
      if (refused) failures.push_back(file + ": expected a ConfigError, it was accepted");
    } catch (const ConfigError& e) {
      if (!refused) failures.push_back(file + ": " + e.what());
    } catch (const std::logic_error& e) {
      failures.push_back(file + ": " + e.what());
    }
  };
  const std::vector<std::pair<std::string, std::function<void(const std::string&)>>> kinds = {
      {"chips", [](const std::string& f) { load_chip(f); }},
      {"engines", [](const std::string& f) { load_engine(f); }},
      {"systems", [](const std::string& f) { load_system(f); }},
      {"models", [](const std::string& f) { load_model(f); }},
      {"scenarios", [](const std::string& f) { read_scenario(f); }},
      {"sweeps", [](const std::string& f) { read_sweep(f); }},
      {"processes", [](const std::string& f) { load_process(f); }},
      {"switches", [](const std::string& f) { load_switch(f); }},
  };
  // The die model's constants, and the calibration they solve.
  read(data + "/die_model.yaml", false,
       [](const std::string&) { estimate_die(load_chip("h100-sxm")); });
  for (const auto& [dir, reader] : kinds) {
    for (const std::string& file : files_in(data + "/" + dir)) read(file, false, reader);
    for (const std::string& file : files_in(fixtures + "/" + dir)) read(file, false, reader);
    for (const std::string& file : files_in(fixtures + "/refused/" + dir)) read(file, true, reader);
  }
  return failures;
}

TEST(DeclaredParams, EveryPresetAndFixtureReadsOnlyDeclaredKeysAndEveryDeclarationIsRead) {
  clear_recorded_params();
  set_param_recording(true);
  const std::vector<std::string> failures = read_everything();
  set_param_recording(false);
  for (const std::string& failure : failures) ADD_FAILURE() << failure;
  const std::vector<std::string> recorded = recorded_params();
  const std::set<std::string> seen(recorded.begin(), recorded.end());
  std::vector<std::string> dead;
  for (const ParamKind* kind : param_kinds()) {
    for (const ParamDecl& decl : kind->params) {
      if (!seen.count(kind->name + ":" + decl.path)) dead.push_back(kind->name + ":" + decl.path);
    }
  }
  std::string list;
  for (const auto& d : dead) list += "\n  " + d;
  EXPECT_TRUE(dead.empty()) << dead.size()
                            << " declarations no preset or fixture reads (add a fixture to "
                               "tests/data/params, or remove the declaration):"
                            << list;
}

TEST(DeclaredParams, KindsAreWellFormed) {
  std::set<std::string> names;
  for (const ParamKind* kind : param_kinds()) {
    EXPECT_TRUE(names.insert(kind->name).second) << "kind " << kind->name << " twice";
    EXPECT_FALSE(kind->summary.empty()) << kind->name;
    std::set<std::string> paths;
    for (const ParamDecl& decl : kind->params) {
      const std::string where = kind->name + ":" + decl.path;
      EXPECT_TRUE(paths.insert(decl.path).second) << where << " declared twice";
      EXPECT_FALSE(decl.description.empty()) << where;
      EXPECT_EQ(decl.type == ParamType::kQuantity, decl.dim.has_value()) << where;
      if (!decl.kind.empty()) {
        EXPECT_NE(find_param_kind(decl.kind), nullptr) << where;
      }
      // A key inside a mapping needs the mapping declared too.
      const size_t dot = decl.path.rfind('.');
      if (dot != std::string::npos) {
        std::string parent = decl.path.substr(0, dot);
        if (parent.size() > 2 && parent.ends_with("[]")) parent.resize(parent.size() - 2);
        EXPECT_NE(find_param(*kind, parent), nullptr) << where << ": parent undeclared";
      }
      // A declared default of a value type is a valid value of it.
      if (decl.default_value && !decl.default_value->starts_with("(")) {
        const std::string& text = *decl.default_value;
        if (decl.type == ParamType::kQuantity) {
          EXPECT_TRUE(parse_quantity(text, *decl.dim)) << where << " default " << text;
        } else if (decl.type == ParamType::kNumber || decl.type == ParamType::kFraction ||
                   decl.type == ParamType::kInteger) {
          EXPECT_TRUE(parse_number(text)) << where << " default " << text;
        } else if (decl.type == ParamType::kBoolean) {
          EXPECT_TRUE(text == "true" || text == "false") << where << " default " << text;
        }
      }
    }
  }
}

const ParamKind& test_kind() {
  static const ParamKind kind{
      "test",
      "A kind of the test's own.",
      {
          {"size", ParamType::kQuantity, Dimension::kBytes, std::nullopt, "How big it is."},
          {"count", ParamType::kInteger, std::nullopt, std::string("4"), "How many."},
          {"share", ParamType::kFraction, std::nullopt, std::string("(all of it)"), "A part."},
          {"mode", ParamType::kString, std::nullopt, std::string("fast"), "How."},
          {"rates", ParamType::kNames, std::nullopt, std::string("(none)"), "By dtype."},
          {"rates.*", ParamType::kQuantity, Dimension::kFlopRate, std::nullopt, "A rate."},
          {"tiles", ParamType::kList, std::nullopt, std::string("(none)"), "Tiles."},
          {"tiles[].m", ParamType::kInteger, std::nullopt, std::nullopt, "Rows."},
      }};
  return kind;
}

SpecReader test_reader(const std::string& yaml) {
  static std::vector<Document> docs;  // the readers hold nodes of these
  docs.push_back(parse_document(yaml, "t.yaml", false));
  return SpecReader::mapping(docs.back(), "", &test_kind());
}

TEST(DeclaredParams, FindMatchesNamesAndListElements) {
  const ParamKind& kind = test_kind();
  EXPECT_EQ(find_param(kind, "size")->description, "How big it is.");
  EXPECT_EQ(find_param(kind, "rates.fp8")->path, "rates.*");
  EXPECT_EQ(find_param(kind, std::vector<std::string>{"rates", "a.b"})->path, "rates.*");
  EXPECT_EQ(find_param(kind, "tiles[].m")->path, "tiles[].m");
  EXPECT_EQ(find_param(kind, "sizes"), nullptr);
  EXPECT_EQ(find_param(kind, "rates.fp8.x"), nullptr);
  EXPECT_EQ(declared_keys_under(kind, ""),
            (std::vector<std::string>{"size", "count", "share", "mode", "rates", "tiles"}));
  EXPECT_EQ(declared_keys_under(kind, "tiles[]"), (std::vector<std::string>{"m"}));
}

TEST(DeclaredParams, ReaderRefusesUndeclaredKeysWrongTypesAndOtherDefaults) {
  SpecReader ok = test_reader("size: 1GB\nrates: {fp8: 1PFLOPS}\ntiles: [{m: 4}]\n");
  EXPECT_DOUBLE_EQ(ok.quantity("size", Dimension::kBytes), 1e9);
  EXPECT_EQ(ok.integer_or("count", 4), 4);
  EXPECT_EQ(ok.string_or("mode", "fast"), "fast");
  EXPECT_DOUBLE_EQ(ok.child("rates").quantity("fp8", Dimension::kFlopRate), 1e15);
  const YAML::Node tiles = ok.raw("tiles");
  EXPECT_EQ(ok.element(tiles, "tiles", 0).integer("m"), 4);
  ok.finish();

  SpecReader bad = test_reader("size: 1GB\n");
  EXPECT_THROW(bad.string("colour"), std::logic_error);                    // undeclared
  EXPECT_THROW(bad.integer("size"), std::logic_error);                     // declared a quantity
  EXPECT_THROW(bad.quantity("size", Dimension::kTime), std::logic_error);  // other unit
  EXPECT_THROW(bad.integer_or("count", 5), std::logic_error);              // declared default 4
  EXPECT_THROW(bad.string_or("mode", "slow"), std::logic_error);           // declared default fast
  EXPECT_THROW(bad.string("size"), std::logic_error);  // a quantity, not a string
  EXPECT_THROW(static_cast<void>(bad.integer_or("size", 1)),
               std::logic_error);  // a quantity read as a whole number
  EXPECT_THROW(bad.has("colour"), std::logic_error);
}

TEST(DeclaredParams, MessagesQuoteTheDescriptionAndTheDeclaredKeys) {
  SpecReader missing = test_reader("count: 2\n");
  const std::string absent =
      testing_support::config_error([&] { missing.quantity("size", Dimension::kBytes); });
  EXPECT_NE(absent.find("missing required key 'size'"), std::string::npos) << absent;
  EXPECT_NE(absent.find("How big it is."), std::string::npos) << absent;

  SpecReader unknown = test_reader("size: 1GB\nmdoe: fast\n");
  unknown.quantity("size", Dimension::kBytes);
  const std::string extra = testing_support::config_error([&] { unknown.finish(); });
  EXPECT_NE(extra.find("did you mean 'mode'?"), std::string::npos) << extra;
  EXPECT_NE(extra.find("known keys here: size, count, share, mode, rates, tiles"),
            std::string::npos)
      << extra;
}

TEST(DeclaredParams, PathsResolveThroughTheKindsTheyAreReadAs) {
  const ParamKind& scenario = scenario_param_kind();
  const ParamDecl* bandwidth = resolve_param_path(scenario, "system.hw.hbm.bandwidth");
  ASSERT_NE(bandwidth, nullptr);
  EXPECT_EQ(bandwidth->dim, Dimension::kBandwidth);
  std::vector<std::string> near;
  EXPECT_EQ(resolve_param_path(scenario, "system.hw.hbm.bandwith", &near), nullptr);
  EXPECT_EQ(near, (std::vector<std::string>{"system.hw.hbm.bandwidth"}));
  near.clear();
  EXPECT_EQ(resolve_param_path(scenario, "workloda", &near), nullptr);
  EXPECT_EQ(near, (std::vector<std::string>{"workload"}));
}

TEST(DeclaredParams, ListingsCoverEveryDeclaration) {
  const std::string text = format_params(param_kinds(), ParamFormat::kText);
  const std::string markdown = format_params(param_kinds(), ParamFormat::kMarkdown);
  const nlohmann::json json =
      nlohmann::json::parse(format_params(param_kinds(), ParamFormat::kJson));
  EXPECT_EQ(json["schema"], "jalapeno.params/1");
  ASSERT_EQ(json["kinds"].size(), param_kinds().size());
  for (size_t k = 0; k < param_kinds().size(); ++k) {
    const ParamKind& kind = *param_kinds()[k];
    EXPECT_EQ(json["kinds"][k]["name"], kind.name);
    ASSERT_EQ(json["kinds"][k]["params"].size(), kind.params.size());
    for (const ParamDecl& decl : kind.params) {
      EXPECT_NE(text.find(decl.path), std::string::npos) << decl.path;
      EXPECT_NE(markdown.find("`" + decl.path + "`"), std::string::npos) << decl.path;
    }
  }
}

// The README's reference table is `jalapeno params --markdown`, pasted
// between two markers (`make readme-params` regenerates it).
TEST(DeclaredParams, ReadmeTableIsTheGeneratedOne) {
  std::ifstream in(kSource + "/README.md");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string readme = buffer.str();
  const std::string begin = "<!-- params:begin -->\n", end = "<!-- params:end -->";
  const size_t from = readme.find(begin), to = readme.find(end);
  ASSERT_NE(from, std::string::npos) << "README.md has no " << begin;
  ASSERT_NE(to, std::string::npos) << "README.md has no " << end;
  const std::string table = readme.substr(from + begin.size(), to - from - begin.size());
  EXPECT_EQ(table, format_params(param_kinds(), ParamFormat::kMarkdown))
      << "README.md's parameter tables are stale: run `make readme-params`";
}

}  // namespace
}  // namespace jalapeno
