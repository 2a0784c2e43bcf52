// The jalapeno command end to end: bad input of every kind exits with code 2
// and a message on stderr naming what is wrong; good input prints results.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "cli_support.hpp"
#include "core/presets.hpp"
#include "hw/chip_spec.hpp"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

using jalapeno::cli_support::CliResult;
using jalapeno::cli_support::read_file;
using jalapeno::cli_support::source_file;
using jalapeno::cli_support::write_file;

// Each test gets a fresh directory for its input files and captured stderr.
class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           (std::string("jalapeno_cli_") + info->name() + "_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  CliResult run(const std::vector<std::string>& args) const {
    return jalapeno::cli_support::run_jalapeno(args, dir_);
  }

  // A file in this test's directory with the given content; returns its path.
  std::string file(const std::string& name, const std::string& text) const {
    const fs::path path = dir_ / name;
    write_file(path, text);
    return path.string();
  }

  // data/chips/h200-sxm.yaml with one line replaced (the line must exist).
  std::string chip_variant(const std::string& name, const std::string& from,
                           const std::string& to) const {
    std::string text = source_file("data/chips/h200-sxm.yaml");
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << "'" << from << "' is not in h200-sxm.yaml";
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return file(name, text);
  }

  fs::path dir_;
};

// The step arguments that succeed, with extra ones appended.
std::vector<std::string> step_args(std::vector<std::string> extra) {
  std::vector<std::string> args{"step", "--model", "llama-3.1-8b", "--hw", "h200-sxm"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// --- unknown presets ---------------------------------------------------------------

TEST_F(Cli, UnknownModelPresetListsThePresets) {
  const CliResult r = run({"step", "--model", "llama-9", "--hw", "h200-sxm"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown model 'llama-9'"));
  EXPECT_THAT(r.err, HasSubstr("llama-3.1-8b"));
  EXPECT_THAT(r.err, HasSubstr("llama-3.1-70b"));
  EXPECT_EQ(r.out, "");
}

TEST_F(Cli, UnknownChipPresetListsThePresets) {
  const CliResult r = run({"step", "--model", "llama-3.1-8b", "--hw", "b900"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown chip 'b900'"));
  EXPECT_THAT(r.err, HasSubstr("h100-sxm"));
  EXPECT_THAT(r.err, HasSubstr("h200-sxm"));
}

TEST_F(Cli, UnknownEnginePresetListsThePresets) {
  const CliResult r = run(step_args({"--engine", "tensorrt"}));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown engine 'tensorrt'"));
  EXPECT_THAT(r.err, HasSubstr("fused"));
}

// --- model config files --------------------------------------------------------------

TEST_F(Cli, MalformedModelJsonNamesTheFile) {
  const std::string path =
      file("broken.json", "{\n  \"model_type\": \"llama\",\n  \"hidden_size\"");
  const CliResult r = run({"step", "--model", path, "--hw", "h200-sxm"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(path));
  EXPECT_THAT(r.err, HasSubstr("malformed JSON"));
}

TEST_F(Cli, ModelConfigWithUnknownKeyNamesTheKey) {
  // An extra, misspelt key beside the correct one.
  std::string text = source_file("data/models/llama-3.1-8b.json");
  const std::string from = "\"hidden_size\": 4096,";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(), from + "\n  \"hidden_sizee\": 4096,");
  const std::string path = file("extra-key.json", text);
  const CliResult r = run({"step", "--model", path, "--hw", "h200-sxm"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(path));
  EXPECT_THAT(r.err, HasSubstr("unknown key 'hidden_sizee'"));
}

TEST_F(Cli, ModelConfigWithMisspeltRequiredKeyNamesTheMissingKey) {
  // The misspelling replaces the key, so the real key is missing.
  std::string text = source_file("data/models/llama-3.1-8b.json");
  const std::string from = "\"hidden_size\"";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(), "\"hidden_sizee\"");
  const std::string path = file("misspelt-key.json", text);
  const CliResult r = run({"step", "--model", path, "--hw", "h200-sxm"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(path));
  EXPECT_THAT(r.err, HasSubstr("'hidden_size'"));
}

// --- chip files ----------------------------------------------------------------------

TEST_F(Cli, ChipYamlCopyIsAccepted) {
  // The unmodified copy works, so the failures below are the modified line's.
  const std::string path = chip_variant("copy.yaml", "name: h200-sxm", "name: h200-sxm");
  const CliResult r = run({"step", "--model", "llama-3.1-8b", "--hw", path});
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(Cli, ChipYamlMisspeltTopLevelKey) {
  const std::string path = chip_variant("misspelt.yaml", "tdp: 700W", "tdp: 700W\ntdpp: 700W");
  const CliResult r = run({"step", "--model", "llama-3.1-8b", "--hw", path});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(path + ":"));
  EXPECT_THAT(r.err, HasSubstr("unknown key 'tdpp'"));
}

TEST_F(Cli, ChipYamlMisspeltNestedKeyNamesKeyPath) {
  const std::string path =
      chip_variant("misspelt-nested.yaml", "hbm: {capacity: 141GB, bandwidth: 4.8TB/s}",
                   "hbm: {capacity: 141GB, bandwidth: 4.8TB/s, bandwith: 4.8TB/s}");
  const CliResult r = run({"step", "--model", "llama-3.1-8b", "--hw", path});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(path + ":14"));
  EXPECT_THAT(r.err, HasSubstr("unknown key 'hbm.bandwith'"));
}

TEST_F(Cli, ChipYamlMisspeltRequiredKeyNamesTheMissingKey) {
  const std::string path =
      chip_variant("misspelt-required.yaml", "bandwidth: 4.8TB/s", "bandwith: 4.8TB/s");
  const CliResult r = run({"step", "--model", "llama-3.1-8b", "--hw", path});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(path));
  EXPECT_THAT(r.err, HasSubstr("'hbm.bandwidth'"));
  EXPECT_THAT(r.err, HasSubstr("did you mean 'bandwith'?"));
}

TEST_F(Cli, ChipYamlBandwidthWithSizeUnit) {
  const std::string path =
      chip_variant("wrong-unit.yaml", "bandwidth: 4.8TB/s", "bandwidth: 4.8TB");
  const CliResult r = run({"step", "--model", "llama-3.1-8b", "--hw", path});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(path + ":14"));
  EXPECT_THAT(r.err, HasSubstr("'hbm.bandwidth'"));
  EXPECT_THAT(r.err, HasSubstr("4.8TB/s"));
  EXPECT_THAT(r.err, HasSubstr("got '4.8TB'"));
}

TEST_F(Cli, ChipYamlZeroCapacity) {
  const std::string path = chip_variant("zero.yaml", "capacity: 141GB", "capacity: 0GB");
  const CliResult r = run({"step", "--model", "llama-3.1-8b", "--hw", path});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(path + ":14"));
  EXPECT_THAT(r.err, HasSubstr("'hbm.capacity'"));
  EXPECT_THAT(r.err, HasSubstr("expected a value above zero"));
}

TEST_F(Cli, ChipYamlNegativeBandwidth) {
  const std::string path =
      chip_variant("negative.yaml", "bandwidth: 4.8TB/s", "bandwidth: -4.8TB/s");
  const CliResult r = run({"step", "--model", "llama-3.1-8b", "--hw", path});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("'hbm.bandwidth'"));
  EXPECT_THAT(r.err, HasSubstr("expected a value above zero"));
}

TEST_F(Cli, ChipYamlMalformed) {
  const std::string path =
      chip_variant("malformed.yaml", "bandwidth: 4.8TB/s}", "bandwidth: 4.8TB/s");
  const CliResult r = run({"step", "--model", "llama-3.1-8b", "--hw", path});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(path));
}

TEST_F(Cli, ChipFileThatDoesNotExist) {
  const std::string path = (dir_ / "missing.yaml").string();
  const CliResult r = run({"step", "--model", "llama-3.1-8b", "--hw", path});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(path));
}

// --- engine files --------------------------------------------------------------------

TEST_F(Cli, EngineYamlWithUnknownKey) {
  std::string text = source_file("data/engines/fused.yaml");
  const std::string from = "per_step_kernels: 0\n";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(), from + "per_step_kernel: 1\n");
  const std::string path = file("engine.yaml", text);
  const CliResult r = run(step_args({"--engine", path}));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(path + ":"));
  EXPECT_THAT(r.err, HasSubstr("unknown key 'per_step_kernel'"));
}

TEST_F(Cli, EngineYamlWithUnknownNestedKey) {
  std::string text = source_file("data/engines/fused.yaml");
  const std::string from = "  impl: flash\n  kernels: 1\n";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(), from + "  kernel: 1\n");
  const std::string path = file("engine-nested.yaml", text);
  const CliResult r = run(step_args({"--engine", path}));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown key 'attention_decode.kernel'"));
}

// --- infeasible batches --------------------------------------------------------------

TEST_F(Cli, BatchThatDoesNotFitNamesNeededAndAvailableMemory) {
  const CliResult r = run(
      {"step", "--model", "llama-3.1-70b", "--hw", "h100-sxm", "--batch", "64", "--ctx", "1024"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("does not fit"));
  EXPECT_THAT(r.err, HasSubstr("llama-3.1-70b"));
  EXPECT_THAT(r.err, HasSubstr("h100-sxm"));
  // 141.11 GB of bf16 weights + 64 x 1025 positions x 320 KiB of KV cache.
  EXPECT_THAT(r.err, HasSubstr("162.60 GB"));
  EXPECT_THAT(r.err, HasSubstr("80.00 GB"));
  EXPECT_EQ(r.out, "");
}

// --- command-line arguments ----------------------------------------------------------

TEST_F(Cli, BatchZeroIsRejected) {
  const CliResult r = run(step_args({"--batch", "0"}));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--batch"));
  EXPECT_THAT(r.err, HasSubstr("got 0"));
}

TEST_F(Cli, NegativeContextIsRejected) {
  const CliResult r = run(step_args({"--ctx", "-1"}));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--ctx"));
  EXPECT_THAT(r.err, HasSubstr("got -1"));
}

TEST_F(Cli, NonNumericBatchIsRejected) {
  const CliResult r = run(step_args({"--batch", "eight"}));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--batch"));
  EXPECT_THAT(r.err, HasSubstr("eight"));
}

TEST_F(Cli, ZeroPrefillTokensAreRejected) {
  const CliResult r = run(step_args({"--phase", "prefill", "--tokens", "0"}));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--tokens"));
}

TEST_F(Cli, UnknownPhaseIsRejected) {
  const CliResult r = run(step_args({"--phase", "train"}));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--phase"));
}

TEST_F(Cli, MissingModelIsRejected) {
  const CliResult r = run({"step", "--hw", "h200-sxm"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--model"));
  EXPECT_THAT(r.err, HasSubstr("required"));
}

TEST_F(Cli, MissingSubcommandIsRejected) {
  const CliResult r = run({});
  EXPECT_EQ(r.code, 2);
}

TEST_F(Cli, HelpExitsZero) {
  const CliResult r = run({"step", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("--model"));
}

// --- results ---------------------------------------------------------------------------

TEST_F(Cli, StepJsonHasConsistentFields) {
  const CliResult r = run(step_args({"--batch", "8", "--ctx", "1024", "--json"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  for (const char* key : {"seconds", "tokens_per_s", "gpu_seconds", "ops"}) {
    ASSERT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["model"], "llama-3.1-8b");
  EXPECT_EQ(j["hw"], "h200-sxm");
  EXPECT_EQ(j["phase"], "decode");
  EXPECT_EQ(j["batch"], 8);
  EXPECT_EQ(j["ctx"], 1024);

  const double seconds = j["seconds"].get<double>();
  EXPECT_GT(seconds, 0);
  EXPECT_DOUBLE_EQ(j["tokens_per_s"].get<double>(), 8 / seconds);

  ASSERT_TRUE(j["ops"].is_array());
  ASSERT_FALSE(j["ops"].empty());
  double sum = 0;
  for (const auto& op : j["ops"]) {
    for (const char* key : {"name", "count", "seconds", "flops", "bytes", "bound"}) {
      ASSERT_TRUE(op.contains(key)) << key << " missing in " << op.dump();
    }
    EXPECT_TRUE(op["name"].is_string());
    EXPECT_GE(op["count"].get<int64_t>(), 1) << op["name"];
    EXPECT_GE(op["seconds"].get<double>(), 0) << op["name"];
    EXPECT_GE(op["flops"].get<double>(), 0) << op["name"];
    EXPECT_GE(op["bytes"].get<double>(), 0) << op["name"];
    EXPECT_THAT(op["bound"].get<std::string>(),
                ::testing::AnyOf("compute", "memory", "fixed", "network", "fused"));
    sum += op["seconds"].get<double>();
  }
  const double gpu = j["gpu_seconds"].get<double>();
  EXPECT_NEAR(sum, gpu, gpu * 1e-9);
}

TEST_F(Cli, StepJsonIsDeterministic) {
  const CliResult first = run(step_args({"--batch", "8", "--ctx", "1024", "--json"}));
  const CliResult second = run(step_args({"--batch", "8", "--ctx", "1024", "--json"}));
  ASSERT_EQ(first.code, 0) << first.err;
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_EQ(first.out, second.out);
}

TEST_F(Cli, PrefillReportsTokensPerSecondOverAllPromptTokens) {
  const CliResult r =
      run(step_args({"--phase", "prefill", "--tokens", "2048", "--batch", "4", "--json"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["phase"], "prefill");
  EXPECT_EQ(j["tokens_per_sequence"], 2048);
  const double seconds = j["seconds"].get<double>();
  EXPECT_GT(seconds, 0);
  EXPECT_DOUBLE_EQ(j["tokens_per_s"].get<double>(), 2048.0 * 4 / seconds);
}

TEST_F(Cli, StepTableNamesModelChipAndOps) {
  const CliResult r = run(step_args({"--batch", "8", "--ctx", "1024"}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("llama-3.1-8b on h200-sxm with fused"));
  EXPECT_THAT(r.out, HasSubstr("tokens/s"));
  EXPECT_EQ(r.err, "");
}

TEST_F(Cli, PresetsListsTheChips) {
  const CliResult r = run({"presets"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("a100-sxm"));
  EXPECT_THAT(r.out, HasSubstr("h100-sxm"));
  EXPECT_THAT(r.out, HasSubstr("h200-sxm"));
  EXPECT_THAT(r.out, HasSubstr("llama-3.1-8b"));
  EXPECT_THAT(r.out, HasSubstr("fused"));
  EXPECT_THAT(r.out, HasSubstr("scenarios agentic, closed-loop, code-trace"));
  EXPECT_THAT(r.out, HasSubstr("sweeps    hbm-and-batch, jalapeno-ref-arrays"));
  EXPECT_THAT(r.out, HasSubstr("switches  nvswitch5, quantum-x800, tomahawk-ultra"));
}

// Scenario and sweep presets are named as the other presets are.
TEST_F(Cli, ServeAndSweepTakePresetNames) {
  const CliResult by_name = run({"serve", "poisson-lognormal", "--requests", "40", "--json"});
  ASSERT_EQ(by_name.code, 0) << by_name.err;
  const CliResult by_path =
      run({"serve", jalapeno::data_dir() + "/scenarios/poisson-lognormal.yaml", "--requests", "40",
           "--json"});
  ASSERT_EQ(by_path.code, 0) << by_path.err;
  EXPECT_EQ(by_name.out, by_path.out);
  const CliResult unknown = run({"serve", "poisson-lognormall"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("unknown scenario 'poisson-lognormall'"));
  EXPECT_THAT(unknown.err, HasSubstr("poisson-lognormal"));
}

TEST_F(Cli, CompareShowsEachSystemsBestPlan) {
  CliResult r = run({"compare", "--model", "llama-3.1-8b", "--systems", "hgx-h100,hgx-h200",
                     "--slo-tpot", "50ms", "--simulate-requests", "300"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("llama-3.1-8b on 2 systems"));
  EXPECT_THAT(r.out, HasSubstr("hgx-h100 "));
  EXPECT_THAT(r.out, HasSubstr("hgx-h200 "));
  EXPECT_THAT(r.out, HasSubstr("TTFT p50/p99 ms"));
  r = run({"compare", "--model", "llama-3.1-8b", "--systems", "hgx-h200", "--no-simulate",
           "--curve", "--max-seqs", "16", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["schema"], "jalapeno.compare/1");
  EXPECT_TRUE(doc["systems"][0]["latency"].is_null());
  EXPECT_EQ(doc["systems"][0]["curve"].size(), 5u);  // 1, 2, 4, 8, 16
}

TEST_F(Cli, ParamsListsEachKindsDeclaredKeys) {
  CliResult r = run({"params", "chip"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("hbm.bandwidth"));
  EXPECT_THAT(r.out, HasSubstr("bandwidth (4.8TB/s) [required]"));
  EXPECT_THAT(r.out, Not(HasSubstr("workload")));
  r = run({"params", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["schema"], "jalapeno.params/1");
  bool found = false;
  for (const auto& kind : doc["kinds"]) {
    for (const auto& p : kind["params"]) {
      found = found || (kind["name"] == "scenario" && p["path"] == "system.hw" &&
                        p["kind"] == "chip" && p["type"] == "name-or-mapping");
    }
  }
  EXPECT_TRUE(found) << "scenario system.hw is not declared as a name or inline chip";
  r = run({"params", "engine", "--markdown"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("| `host_step.fixed` |"));
}

// `run` compares jalapeno-ref's rack with 8 x H200 and a GB200 NVL72 on
// Llama-3.1-70B chat, each system's best plan and its curve.
TEST_F(Cli, RunComparesJalapenoRefWithH200AndGb200) {
  const CliResult r = run({"run"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("llama-3.1-70b on 3 systems"));
  for (const char* system : {"jalapeno-ref-rack", "hgx-h200", "gb200-nvl72"}) {
    EXPECT_THAT(r.out, HasSubstr(system));
  }
  EXPECT_THAT(r.out, HasSubstr("throughput against interactivity"));
  EXPECT_THAT(r.out, HasSubstr("tok/s/rack"));
  EXPECT_THAT(r.out, Not(HasSubstr("error")));
  // The same run twice is the same table, byte for byte.
  EXPECT_EQ(run({"run"}).out, r.out);
  // The trace replay `run` used to be is still a scenario.
  const CliResult serve = run({"serve", "default"});
  ASSERT_EQ(serve.code, 0) << serve.err;
  EXPECT_THAT(serve.out, HasSubstr("19366 requests"));
}

// `system` shows a rack's tiers, draw and bill; its JSON adds up.
TEST_F(Cli, SystemShowsTheRackAndItsPrice) {
  CliResult r = run({"system", "jalapeno-ref-pod"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("tomahawk-ultra"));
  EXPECT_THAT(r.out, HasSubstr("tomahawk6 in 2 levels"));
  EXPECT_THAT(r.out, HasSubstr("a rack"));
  r = run({"system", "jalapeno-ref-pod", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["schema"], "jalapeno.system/1");
  const auto& cost = doc["cost_usd"];
  EXPECT_NEAR(cost["total"].get<double>(),
              cost["chips"].get<double>() + cost["switches"].get<double>() +
                  cost["optics"].get<double>() + cost["hosts"].get<double>() +
                  cost["racks"].get<double>(),
              1e-6 * cost["total"].get<double>());
  EXPECT_LE(doc["rack"]["draw_W"].get<double>(), doc["rack"]["power_budget_W"].get<double>());
  r = run({"system", "no-such-system"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("no-such-system"));
}

TEST_F(Cli, DecodeTableCoversBothChips) {
  const CliResult r = run({"decode-table"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("h100-sxm"));
  EXPECT_THAT(r.out, HasSubstr("h200-sxm"));
}

// --- serve ---------------------------------------------------------------------

const std::vector<std::string> kSmallOffline = {
    "serve",          "--offline",    "--requests",   "200",    "--input-len",
    "uniform:64:512", "--output-len", "uniform:8:64", "--seed", "3"};

TEST_F(Cli, ServeJsonHasTheDocumentedKeys) {
  std::vector<std::string> args = kSmallOffline;
  args.push_back("--json");
  const CliResult r = run(args);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc.at("schema"), "jalapeno.serve/1");
  EXPECT_EQ(doc.at("completed_requests"), 200);
  for (const char* metric : {"ttft_s", "tpot_s", "itl_s", "e2e_s", "queue_s"}) {
    for (const char* stat : {"mean", "p50", "p90", "p95", "p99", "max"}) {
      EXPECT_TRUE(doc.at(metric).contains(stat)) << metric << "." << stat;
    }
  }
  EXPECT_GT(doc.at("throughput").at("output_tokens_per_s").get<double>(), 0);
  EXPECT_TRUE(doc.at("goodput").contains("requests_per_s"));
  EXPECT_EQ(doc.at("scenario").at("hw"), "h200-sxm");
}

TEST_F(Cli, ServeIsDeterministic) {
  std::vector<std::string> args = kSmallOffline;
  args.push_back("--json");
  const CliResult a = run(args), b = run(args);
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
}

TEST_F(Cli, ServeWritesCsvAndTimeline) {
  std::vector<std::string> args = kSmallOffline;
  const std::string out = (dir_ / "out").string();
  args.insert(args.end(), {"--out", out, "--timeline"});
  const CliResult r = run(args);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string csv = read_file(fs::path(out) / "requests.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 201);  // header and 200 rows
  const auto summary = nlohmann::json::parse(read_file(fs::path(out) / "summary.json"));
  EXPECT_EQ(summary.at("completed_requests"), 200);
  const auto timeline = nlohmann::json::parse(read_file(fs::path(out) / "timeline.json"));
  ASSERT_TRUE(timeline.is_array());
  EXPECT_GT(timeline.size(), 10u);
  // The power counter: within idle power and the chip's limit, idle between
  // steps.
  const jalapeno::ChipSpec chip = jalapeno::load_chip("h200-sxm");
  size_t counters = 0, idle = 0, queue = 0, kv = 0, spans = 0;
  std::map<uint64_t, int> phases_by_request;
  for (const auto& event : timeline) {
    if (event.at("ph") == "b") {
      ++spans;
      ++phases_by_request[event.at("id").get<uint64_t>()];
      continue;
    }
    if (event.at("ph") != "C") continue;
    const std::string name = event.at("name");
    if (name.find("queue") != std::string::npos) {
      ++queue;
      EXPECT_GE(event.at("args").at("waiting").get<int64_t>(), 0);
      EXPECT_GE(event.at("args").at("running").get<int64_t>(), 1);
      continue;
    }
    if (name.find("KV occupancy") != std::string::npos) {
      ++kv;
      EXPECT_LE(event.at("args").at("used").get<double>(), 1.0);
      continue;
    }
    ++counters;
    const double watts = event.at("args").at("W").get<double>();
    EXPECT_GE(watts, chip.power->idle_W);
    EXPECT_LE(watts, chip.tdp_W * (1 + 1e-6));
    if (watts == chip.power->idle_W) ++idle;
  }
  EXPECT_GT(counters, 10u);
  EXPECT_EQ(2 * idle, counters);   // each step: its power, then idle
  EXPECT_EQ(queue, counters / 2);  // one of each a step
  EXPECT_EQ(kv, counters / 2);
  // Spans for one request in 64: queued, prefill, decode.
  EXPECT_EQ(phases_by_request.size(), 200u / 64 + 1);
  for (const auto& [id, phases] : phases_by_request) {
    EXPECT_EQ(id % 64, 0u);
    EXPECT_EQ(phases, 3);
  }
  EXPECT_EQ(spans, 3 * phases_by_request.size());
  // The summary carries energy and cost.
  EXPECT_GT(summary.at("energy").at("joules_per_output_token").get<double>(), 0);
  EXPECT_GT(summary.at("cost").at("usd_per_million_output_tokens").get<double>(), 0);
}

// The summary says why a run looks as it does: an overloaded one, a batch
// held by max_sequences, a KV-starved one; a comfortable one says nothing.
TEST_F(Cli, ServeDiagnosesWhatHeldItBack) {
  const std::vector<std::string> base{"serve", "--json"};
  const auto diagnoses = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    const CliResult r = run(args);
    EXPECT_EQ(r.code, 0) << r.err;
    std::string all;
    const auto doc = nlohmann::json::parse(r.out);
    for (const auto& d : doc.at("diagnoses")) all += d.get<std::string>() + "\n";
    return all;
  };
  const std::vector<std::string> small{"--model", "llama-3.1-8b", "--hw", "h200-sxm"};
  const auto with = [&small](std::vector<std::string> extra) {
    extra.insert(extra.begin(), small.begin(), small.end());
    return extra;
  };
  EXPECT_EQ(diagnoses(with({"--rate", "20", "--requests", "1500"})), "");
  const std::string overloaded = diagnoses(with({"--rate", "60/s", "--requests", "3000"}));
  EXPECT_THAT(overloaded, HasSubstr("overloaded: requests arrived at"));
  EXPECT_THAT(overloaded, HasSubstr("capped by max_sequences (256)"));
  const std::string capped =
      diagnoses(with({"--rate", "20", "--requests", "1500", "--max-seqs", "8"}));
  EXPECT_THAT(capped, HasSubstr("capped by max_sequences (8)"));
  {
    std::vector<std::string> args = with({"--rate", "20", "--requests", "300", "--max-seqs", "8"});
    args.insert(args.begin(), base.begin(), base.end());
    const CliResult r = run(args);
    const auto replica = nlohmann::json::parse(r.out).at("replicas").at(0);
    EXPECT_DOUBLE_EQ(replica.at("batch_occupancy").get<double>(),
                     replica.at("mean_batch").get<double>() / 8);
    EXPECT_GT(replica.at("mean_waiting").get<double>(), 1);
    EXPECT_GT(replica.at("steps_leaving_requests_waiting").at("sequence_cap").get<int>(), 0);
  }
  // Long outputs in a cache of a few GB: the batch is held by its blocks.
  const std::string starved =
      diagnoses({"--model", "llama-3.1-70b", "--hw", "hgx-h200", "--tp", "2", "--rate", "8",
                 "--requests", "800", "--input-len", "lognormal:4000:0.6:16000", "--output-len",
                 "lognormal:1000:0.6:4000", "--max-seqs", "512"});
  EXPECT_THAT(starved, HasSubstr("KV-starved: in"));
  // A closed loop has no rate of its own to be over: never "overloaded".
  const std::string closed =
      diagnoses(with({"--concurrency", "512", "--requests", "1500", "--input-len", "512"}));
  EXPECT_THAT(closed, Not(HasSubstr("overloaded")));
  EXPECT_THAT(closed, HasSubstr("capped by max_sequences (256)"));
}

// --seeds N: the spread of each metric over N seeds, each run the one
// --seed would give.
TEST_F(Cli, ServeSeedsReportsTheSpreadOfEachMetric) {
  const std::vector<std::string> base{"serve",  "--model", "llama-3.1-8b", "--hw", "h200-sxm",
                                      "--rate", "30",      "--requests",   "800",  "--json"};
  std::vector<std::string> args = base;
  args.insert(args.end(), {"--seed", "7", "--seeds", "4"});
  const CliResult r = run(args);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc.at("schema"), "jalapeno.serve-seeds/1");
  EXPECT_EQ(doc.at("seeds"), nlohmann::json({7, 8, 9, 10}));
  const auto& throughput = doc.at("metrics").at("throughput");
  ASSERT_EQ(throughput.at("values").size(), 4u);
  EXPECT_GT(throughput.at("sd").get<double>(), 0);
  EXPECT_LE(throughput.at("min").get<double>(), throughput.at("mean").get<double>());
  EXPECT_GE(throughput.at("max").get<double>(), throughput.at("mean").get<double>());
  // The third run is `--seed 9`'s.
  std::vector<std::string> single = base;
  single.insert(single.end(), {"--seed", "9"});
  const CliResult one = run(single);
  ASSERT_EQ(one.code, 0) << one.err;
  const auto one_doc = nlohmann::json::parse(one.out);
  EXPECT_EQ(throughput.at("values")[2], one_doc.at("throughput").at("requests_per_s"));
  EXPECT_EQ(doc.at("metrics").at("e2e_p99").at("values")[2], one_doc.at("e2e_s").at("p99"));
  // On four threads: the same document, byte for byte.
  std::vector<std::string> threaded = args;
  threaded.insert(threaded.end(), {"--jobs", "4"});
  const CliResult four = run(threaded);
  ASSERT_EQ(four.code, 0) << four.err;
  EXPECT_EQ(four.out, r.out);
}

TEST_F(Cli, ServeShippedScenariosRun) {
  for (const char* name : {"poisson-lognormal.yaml", "closed-loop.yaml", "code-trace.yaml"}) {
    const CliResult r =
        run({"serve", (fs::path(JALAPENO_SOURCE_DIR) / "data/scenarios" / name).string()});
    EXPECT_EQ(r.code, 0) << name << ": " << r.err;
    EXPECT_THAT(r.out, HasSubstr("TTFT")) << name;
  }
}

TEST_F(Cli, ServeMalformedTraceNamesLineAndField) {
  const std::string trace = file("bad.csv",
                                 "TIMESTAMP,ContextTokens,GeneratedTokens\n"
                                 "2023-11-16 18:15:46.0000000,100,20\n"
                                 "2023-11-16 18:15:47.0000000,abc,20\n");
  const CliResult r = run({"serve", "--trace", trace});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("line 3"));
  EXPECT_THAT(r.err, HasSubstr("ContextTokens"));
}

TEST_F(Cli, ServeTraceMissingColumn) {
  const std::string trace = file("short.csv",
                                 "TIMESTAMP,ContextTokens,GeneratedTokens\n"
                                 "2023-11-16 18:15:46.0000000,100\n");
  const CliResult r = run({"serve", "--trace", trace});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("line 2"));
  EXPECT_THAT(r.err, HasSubstr("GeneratedTokens"));
}

TEST_F(Cli, ServeTraceOutOfOrder) {
  const std::string trace = file("backwards.csv",
                                 "TIMESTAMP,ContextTokens,GeneratedTokens\n"
                                 "2023-11-16 18:15:46.0000000,100,20\n"
                                 "2023-11-16 18:15:45.0000000,100,20\n");
  const CliResult r = run({"serve", "--trace", trace});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("line 3"));
  EXPECT_THAT(r.err, HasSubstr("TIMESTAMP"));
}

TEST_F(Cli, ServeScenarioUnknownKey) {
  const std::string scenario = file("typo.yaml",
                                    "model: llama-3.1-8b\n"
                                    "system: {hw: h200-sxm}\n"
                                    "workload:\n"
                                    "  arrivals: {poisson: 5/s}\n"
                                    "  requests: 10\n"
                                    "  input_tokens: 128\n"
                                    "  output_tokens: 16\n"
                                    "  output_tokenz: 16\n");
  const CliResult r = run({"serve", scenario});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("typo.yaml:8"));
  EXPECT_THAT(r.err, HasSubstr("workload.output_tokenz"));
}

TEST_F(Cli, ServeScenarioWrongRateUnit) {
  const std::string scenario = file("unit.yaml",
                                    "model: llama-3.1-8b\n"
                                    "system: {hw: h200-sxm}\n"
                                    "workload:\n"
                                    "  arrivals: {poisson: 5}\n"
                                    "  requests: 10\n"
                                    "  input_tokens: 128\n"
                                    "  output_tokens: 16\n");
  const CliResult r = run({"serve", scenario});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("workload.arrivals.poisson"));
  EXPECT_THAT(r.err, HasSubstr("'12/s'"));
}

TEST_F(Cli, ServeRequestLongerThanTheCache) {
  const CliResult r = run({"serve", "--model", "llama-3.1-8b", "--hw", "h200-sxm", "--requests",
                           "5", "--rate", "1", "--input-len", "1000000", "--output-len", "10"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("can never fit"));
}

TEST_F(Cli, ServeModelThatDoesNotFit) {
  const CliResult r = run({"serve", "--model", "llama-3.1-405b", "--requests", "5", "--rate", "1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("does not fit"));
}

TEST_F(Cli, ServeRejectsBadFlags) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"serve", "--rate", "-1"},
        std::vector<std::string>{"serve", "--replicas", "0"},
        std::vector<std::string>{"serve", "--rate", "2", "--offline"},
        std::vector<std::string>{"serve", "--input-len", "lognormal:abc"},
        std::vector<std::string>{"serve", "--router", "randomly"},
        std::vector<std::string>{"serve", "--timeline"}}) {
    const CliResult r = run(args);
    EXPECT_EQ(r.code, 2) << args[1];
    EXPECT_THAT(r.err, HasSubstr("error:")) << args[1];
  }
}

// --- racks ---------------------------------------------------------------------

TEST_F(Cli, PlansThatDoNotDivideTheModel) {
  for (const auto& [flag, value, message] :
       {std::tuple{"--tp", "3", "64 attention heads are not divisible by tp 3"},
        std::tuple{"--pp", "3", "80 layers are not divisible by pp 3"},
        std::tuple{"--tp", "16", "needs 16 chips but hgx-h100 has 8"}}) {
    const CliResult r = run({"step", "--model", "llama-3.1-70b", "--hw", "hgx-h100", flag, value});
    EXPECT_EQ(r.code, 2) << flag << " " << value;
    EXPECT_THAT(r.err, HasSubstr(message));
  }
}

TEST_F(Cli, MultiChipPlanOnALoneChipNeedsATopology) {
  const CliResult r = run({"step", "--model", "llama-3.1-8b", "--hw", "h100-sxm", "--tp", "2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("needs a network"));
  const CliResult ok = run({"step", "--model", "llama-3.1-8b", "--hw", "h100-sxm", "--tp", "2",
                            "--topology", "hgx-h100", "--json"});
  ASSERT_EQ(ok.code, 0) << ok.err;
  const auto doc = nlohmann::json::parse(ok.out);
  EXPECT_EQ(doc.at("tp"), 2);
  EXPECT_GT(doc.at("comm_seconds").get<double>(), 0);
}

TEST_F(Cli, ServeReplicasBeyondTheSystem) {
  const CliResult r = run({"serve", "--model", "llama-3.1-70b", "--hw", "hgx-h100", "--tp", "4",
                           "--replicas", "3", "--requests", "10", "--rate", "1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("needs 12 chips"));
}

TEST_F(Cli, TopologyWithUnreachableChips) {
  const std::string path = file("bad-torus.yaml",
                                "name: bad-torus\n"
                                "source: test\n"
                                "chip: h100-sxm\n"
                                "topology:\n"
                                "  kind: torus\n"
                                "  chips: 16\n"
                                "  dims: [3, 5]\n"
                                "  link: {bandwidth: 100GB/s, latency: 1us}\n"
                                "  switch_latency: 0us\n"
                                "  message_overhead: 1us\n"
                                "  in_network_reduction: false\n"
                                "  collective_launch: 10us\n");
  const CliResult r = run({"step", "--model", "llama-3.1-8b", "--hw", path, "--tp", "2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("bad-torus.yaml"));
  EXPECT_THAT(r.err, HasSubstr("dims"));
}

TEST_F(Cli, PlanSearchPrintsRankedPlansWithVerdicts) {
  const CliResult r = run({"plan", "--model", "llama-3.1-70b", "--hw", "hgx-h100", "--slo-tpot",
                           "0.05", "--slo-ttft", "2", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc.at("schema"), "jalapeno.plan/1");
  ASSERT_FALSE(doc.at("plans").empty());
  EXPECT_TRUE(doc.at("plans")[0].at("meets_slos").get<bool>());
  const CliResult table = run({"plan", "--model", "llama-3.1-70b", "--hw", "hgx-h100"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("WINS"));
  EXPECT_THAT(table.out, HasSubstr("LOSES: weights do not fit"));
}

TEST_F(Cli, PlanSearchBadInput) {
  EXPECT_EQ(run({"plan", "--model", "llama-3.1-8b", "--hw", "hgx-h100", "--chips", "9"}).code, 2);
  EXPECT_EQ(run({"plan", "--model", "llama-3.1-8b", "--hw", "hgx-h100", "--workload", "abc"}).code,
            2);
  EXPECT_EQ(run({"plan", "--model", "llama-3.1-8b", "--hw", "h100-sxm", "--chips", "4"}).code, 2);
}

TEST_F(Cli, StepShapesBeyondAnySystemAreRejected) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--batch", "4", "--ctx", "9223372036854775807"},
        std::vector<std::string>{"--batch", "99999999999"},
        std::vector<std::string>{"--phase", "prefill", "--batch", "1000000", "--tokens",
                                 "10000000"}}) {
    std::vector<std::string> cmd = {"step", "--model", "llama-3.1-8b", "--hw", "h200-sxm"};
    cmd.insert(cmd.end(), args.begin(), args.end());
    const CliResult r = run(cmd);
    EXPECT_EQ(r.code, 2) << args[1];
    EXPECT_THAT(r.err, HasSubstr("error:")) << args[1];
  }
}

}  // namespace

// --- jalapeno sweep -------------------------------------------------------------------

const char* const kSweepScenario =
    "model: llama-3.1-8b\n"
    "engine: vllm\n"
    "system: {hw: h200-sxm}\n"
    "workload: {arrivals: {poisson: 4/s}, input_tokens: 256, output_tokens: 32, requests: 40}\n"
    "slo: {ttft: 1s, tpot: 50ms}\n";

const char* const kSweepAxes =
    "scenario: scenario.yaml\n"
    "axes:\n"
    "  workload.arrivals.poisson: {from: 2/s, to: 14/s, points: 4}\n"
    "  system.hw.hbm.bandwidth: [3TB/s, 4.8TB/s]\n";

TEST_F(Cli, SweepWritesARowAPointTheSameOnThreadsAndWhenResumed) {
  file("scenario.yaml", kSweepScenario);
  const std::string sweep = file("sweep.yaml", kSweepAxes);
  const std::string pareto = "tokens_per_s_per_user,throughput.output_tokens_per_s";
  const fs::path one = dir_ / "one", two = dir_ / "two";
  const CliResult a = run({"sweep", sweep, "--out", one.string(), "--pareto", pareto});
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_THAT(a.out, HasSubstr("8 points (8 ran, 0 could not"));
  const std::string csv = read_file(one / "sweep.csv");
  const std::string jsonl = read_file(one / "sweep.jsonl");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 9);  // header and 8 rows
  EXPECT_THAT(csv, HasSubstr("point,workload.arrivals.poisson,system.hw.hbm.bandwidth,status"));
  EXPECT_THAT(csv, HasSubstr(",pareto\n"));
  // Every row of the JSON lines is a point, in order, with the metrics.
  std::istringstream lines(jsonl);
  std::string line;
  size_t point = 0, front = 0;
  while (std::getline(lines, line)) {
    const auto row = nlohmann::json::parse(line);
    EXPECT_EQ(row["point"], point++);
    EXPECT_EQ(row["status"], "ok");
    EXPECT_TRUE(row.contains("energy.tokens_per_s_per_MW"));
    front += row["pareto"].get<bool>();
  }
  EXPECT_EQ(point, 8u);
  EXPECT_GE(front, 1u);
  // Two threads: the same files, byte for byte.
  ASSERT_EQ(run({"sweep", sweep, "--out", two.string(), "--pareto", pareto, "--jobs", "2"}).code,
            0);
  EXPECT_EQ(read_file(two / "sweep.csv"), csv);
  EXPECT_EQ(read_file(two / "sweep.jsonl"), jsonl);
  // A run stopped after three rows and half of the fourth, resumed.
  const size_t third = [&] {
    size_t at = 0;
    for (int i = 0; i < 3; ++i) at = jsonl.find('\n', at) + 1;
    return at;
  }();
  write_file(two / "sweep.jsonl", jsonl.substr(0, third + 40));
  fs::remove(two / "sweep.csv");
  const CliResult resumed =
      run({"sweep", sweep, "--out", two.string(), "--pareto", pareto, "--resume"});
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(read_file(two / "sweep.csv"), csv);
  EXPECT_EQ(read_file(two / "sweep.jsonl"), jsonl);
  // Without --out: the CSV on stdout.
  const CliResult printed = run({"sweep", sweep, "--pareto", pareto});
  ASSERT_EQ(printed.code, 0);
  EXPECT_EQ(printed.out, csv);
}

TEST_F(Cli, SweepResumeRefusesAnotherSweepsRows) {
  file("scenario.yaml", kSweepScenario);
  const std::string sweep = file("sweep.yaml", kSweepAxes);
  const fs::path out = dir_ / "out";
  ASSERT_EQ(run({"sweep", sweep, "--out", out.string()}).code, 0);
  const std::string other = file("other.yaml", std::string(kSweepAxes) + "  system.tp: [1]\n");
  const CliResult r = run({"sweep", other, "--out", out.string(), "--resume"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("sweep.jsonl:1: point 0 has system.tp=nothing"));
  EXPECT_THAT(r.err, HasSubstr("another sweep's"));
}
