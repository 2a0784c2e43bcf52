// The core's defences against hostile input, one class of the hostile-input
// issue per group: bounded nesting and size, duplicate and malformed keys,
// strings that look like numbers, values a double cannot hold or that no
// machine could have, checked arithmetic, and files that are not files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/checked_math.hpp"
#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/json_input.hpp"
#include "core/spec_reader.hpp"
#include "core/units.hpp"
#include "hw/topology.hpp"
#include "model/model_spec.hpp"
#include "plan/parallel_plan.hpp"
#include "test_support.hpp"

namespace jalapeno {
namespace {

using ::testing::HasSubstr;
using testing_support::config_error;

std::string nested(char open, char close, int depth) {
  return std::string(static_cast<size_t>(depth), open) +
         std::string(static_cast<size_t>(depth), close);
}

// --- 1. unbounded recursion -----------------------------------------------------

TEST(HostileNesting, DeepJsonArraysAreAnErrorNotAStackOverflow) {
  const std::string message =
      config_error([] { parse_document(nested('[', ']', 10000), "deep.json", true); });
  EXPECT_THAT(message, HasSubstr("deep.json"));
  EXPECT_THAT(message, HasSubstr("nested deeper than 64"));
}

TEST(HostileNesting, DeepJsonObjectsAreAnError) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "{\"a\":";
  text += "1" + std::string(5000, '}');
  EXPECT_THAT(config_error([&] { parse_document(text, "deep.json", true); }),
              HasSubstr("nested deeper than 64"));
}

TEST(HostileNesting, DeepYamlFlowSequencesAreAnError) {
  EXPECT_THAT(config_error([] { parse_document(nested('[', ']', 10000), "deep.yaml", false); }),
              HasSubstr("deep.yaml"));
  EXPECT_THAT(config_error([] { parse_document(nested('[', ']', 100), "deep.yaml", false); }),
              HasSubstr("nested deeper than 64"));
}

TEST(HostileNesting, ShallowDocumentsStillParse) {
  EXPECT_NO_THROW(parse_document(nested('[', ']', 60), "ok.json", true));
  EXPECT_NO_THROW(parse_document(nested('[', ']', 60), "ok.yaml", false));
}

TEST(HostileNesting, YamlAliasesThatExpandExponentiallyAreAnError) {
  // The "billion laughs": each level refers to the one below nine times.
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    // Appended piece by piece: GCC 12 misreads a chain of temporaries here
    // as an overlapping copy (-Wrestrict).
    const std::string n = std::to_string(i);
    text.append("a").append(n).append(": &a").append(n).append(" [");
    for (int j = 0; j < 9; ++j) text += std::string(j ? ", " : "") + "*a" + std::to_string(i - 1);
    text += "]\n";
  }
  EXPECT_THAT(config_error([&] { parse_document(text, "laughs.yaml", false); }),
              HasSubstr("aliases"));
}

TEST(HostileNesting, StrictJsonBoundsDepthToo) {
  EXPECT_THAT(config_error([] { parse_json_strict(nested('[', ']', 10000), "kernels.json"); }),
              HasSubstr("kernels.json"));
}

// --- 5. silently accepted input -------------------------------------------------

TEST(HostileKeys, DuplicateKeysAreErrorsInYaml) {
  const std::string message =
      config_error([] { parse_document("name: a\nhbm: 1\nname: b\n", "chip.yaml", false); });
  EXPECT_THAT(message, HasSubstr("chip.yaml:3"));
  EXPECT_THAT(message, HasSubstr("duplicate key 'name'"));
}

TEST(HostileKeys, DuplicateKeysAreErrorsInJsonWithTheirPath) {
  const std::string message = config_error(
      [] { parse_document(R"({"hbm": {"capacity": 1, "capacity": 2}})", "chip.json", true); });
  EXPECT_THAT(message, HasSubstr("chip.json"));
  EXPECT_THAT(message, HasSubstr("duplicate key 'hbm.capacity'"));
}

TEST(HostileKeys, DuplicateKeysAreErrorsInStrictJson) {
  EXPECT_THAT(config_error([] { parse_json_strict(R"({"gemm": [], "gemm": []})", "k.json"); }),
              HasSubstr("duplicate key 'gemm'"));
}

TEST(HostileKeys, KeysThatAreListsOrEmptyAreNamedErrors) {
  EXPECT_THAT(config_error([] { parse_document("[a, b]: 1\n", "chip.yaml", false); }),
              HasSubstr("chip.yaml:1: expected a mapping key that is a plain name, got a list"));
  EXPECT_THAT(config_error([] { parse_document("? :\n", "chip.yaml", false); }),
              HasSubstr("expected a mapping key that is a plain name"));
  EXPECT_THAT(config_error([] { parse_document("~: 1\n", "chip.yaml", false); }),
              HasSubstr("an empty key"));
}

TEST(HostileKeys, NestedBadKeysAreFoundToo) {
  EXPECT_THAT(config_error([] { parse_document("a:\n  b:\n    {x: 1}: 2\n", "c.yaml", false); }),
              HasSubstr("c.yaml:3"));
}

TEST(HostileStrings, AQuotedNumberIsNotANumber) {
  for (const bool json : {true, false}) {
    const std::string text = json ? R"({"hidden_size": "4096"})" : "hidden_size: \"4096\"\n";
    SpecReader reader = SpecReader::mapping(parse_document(text, "config", json));
    const std::string message = config_error([&] { reader.integer("hidden_size"); });
    EXPECT_THAT(message, HasSubstr("key 'hidden_size': expected a whole number"));
    EXPECT_THAT(message, HasSubstr("\"4096\""));
  }
}

TEST(HostileStrings, QuotedBooleansAndNumbersAreErrors) {
  SpecReader reader =
      SpecReader::mapping(parse_document(R"({"tie": "true", "ratio": "0.5"})", "c.json", true));
  EXPECT_THAT(config_error([&] { reader.boolean("tie"); }), HasSubstr("true or false"));
  EXPECT_THAT(config_error([&] { reader.number("ratio"); }), HasSubstr("a number"));
}

TEST(HostileStrings, QuotedQuantitiesAreStillQuantities) {
  SpecReader reader =
      SpecReader::mapping(parse_document(R"({"capacity": "141GB"})", "c.json", true));
  EXPECT_DOUBLE_EQ(reader.quantity("capacity", Dimension::kBytes), 141e9);
}

// --- 3. non-finite and subnormal values -------------------------------------------

TEST(HostileNumbers, QuantitiesADoubleCannotHoldAreRejected) {
  EXPECT_FALSE(parse_quantity("1e308PB", Dimension::kBytes));
  EXPECT_TRUE(quantity_out_of_range("1e308PB", Dimension::kBytes));
  EXPECT_FALSE(parse_quantity("1e400GB", Dimension::kBytes));
  EXPECT_TRUE(quantity_out_of_range("1e400GB", Dimension::kBytes));
  EXPECT_FALSE(parse_quantity("1e-310s", Dimension::kTime));
  EXPECT_FALSE(parse_quantity("1e-300ns", Dimension::kTime));  // subnormal once scaled
  EXPECT_FALSE(quantity_out_of_range("12 parsecs", Dimension::kTime));
}

TEST(HostileNumbers, SubnormalAndNonFiniteNumbersAreRejected) {
  EXPECT_FALSE(parse_number("1e-310"));
  EXPECT_FALSE(parse_number("inf"));
  EXPECT_FALSE(parse_number("nan"));
  EXPECT_FALSE(parse_number("1e309"));
  EXPECT_TRUE(parse_number("0"));
  EXPECT_TRUE(parse_number("2.3e-308"));
}

TEST(HostileNumbers, QuantitiesBeyondAnyMachineNameTheRange) {
  SpecReader reader = SpecReader::mapping(
      parse_document("capacity: 1e30GB\nbig: 1e308PB\nslow: 1B/s\n", "chip.yaml", false));
  EXPECT_THAT(config_error([&] { reader.quantity("capacity", Dimension::kBytes); }),
              HasSubstr("chip.yaml:1: key 'capacity': expected a value between 1 B and 1000 PB"));
  EXPECT_THAT(config_error([&] { reader.quantity("big", Dimension::kBytes); }),
              HasSubstr("beyond what a number can hold"));
  EXPECT_THAT(config_error([&] { reader.quantity("slow", Dimension::kBandwidth); }),
              HasSubstr("between 1 KB/s"));
}

TEST(HostileNumbers, FormattingASubnormalDoesNotThrow) {
  EXPECT_NO_THROW(format_quantity(1e-310, Dimension::kTime));
}

TEST(HostileNumbers, RangedReadersStateTheRange) {
  SpecReader reader = SpecReader::mapping(parse_document("k: 5000\nt: 1e300\n", "e.yaml", false));
  EXPECT_THAT(config_error([&] { reader.integer_in("k", 0, 1000); }),
              HasSubstr("a whole number from 0 to 1000, got 5000"));
  EXPECT_THAT(config_error([&] { reader.number_in("t", 0, 1000); }),
              HasSubstr("a number from 0 to 1000"));
}

// --- 2. integer overflow in sizes ---------------------------------------------------

TEST(HostileArithmetic, CheckedMultiplyAndAddThrowOnOverflow) {
  EXPECT_EQ(checked_mul(int64_t{1} << 31, int64_t{1} << 31, "x"), int64_t{1} << 62);
  EXPECT_THAT(config_error([] { checked_mul(int64_t{1} << 62, 4, "torus dims"); }),
              HasSubstr("torus dims"));
  EXPECT_THROW(checked_add(INT64_MAX, 1, "sum"), ConfigError);
  EXPECT_TRUE(fits_int64(9.2e18));
  EXPECT_FALSE(fits_int64(9.3e18));
  EXPECT_FALSE(fits_int64(std::nan("")));
}

TEST(HostileArithmetic, PlanChipCountsSaturateInsteadOfWrapping) {
  ParallelPlan plan;
  plan.tp = int64_t{1} << 40;
  plan.pp = int64_t{1} << 40;
  plan.replicas = 3;
  EXPECT_EQ(plan.chips(), INT64_MAX);
}

TEST(HostileArithmetic, TorusDimsWhoseProductWrapsAreRejected) {
  TopologySpec spec;
  spec.kind = TopologyKind::kTorus;
  spec.chips = 8;
  spec.link.Bps = 1e9;
  // 2^61 x (2^62 + 2) wraps to 2^62 x 2... and would index out of bounds.
  spec.dims = {2305843009213693952, 4611686018427387906};
  EXPECT_THAT(config_error([&] { Network network(spec); }), HasSubstr("do not hold exactly 8"));
}

TEST(HostileArithmetic, SystemsBeyondTheChipLimitAreRejected) {
  TopologySpec spec;
  spec.chips = 300000000;
  spec.link.Bps = 1e9;
  EXPECT_THAT(config_error([&] { Network network(spec); }), HasSubstr("at most 1048576 chips"));
}

class HostileFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("jalapeno_hostile_core_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const auto path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(HostileFiles, ModelSizesAreBoundedByWhatAnyMachineHolds) {
  const std::string base =
      R"("model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336,
         "num_attention_heads": 32, "num_key_value_heads": 8)";
  const std::string vocab =
      write("vocab.json",
            "{" + base + R"(, "num_hidden_layers": 32, "vocab_size": 9223372036854775807})");
  EXPECT_THAT(config_error([&] { read_model_config(vocab, "m"); }),
              HasSubstr("key 'vocab_size': expected at most 16777216"));
  const std::string layers =
      write("layers.json", "{" + base + R"(, "num_hidden_layers": 1000000, "vocab_size": 128256})");
  EXPECT_THAT(config_error([&] { read_model_config(layers, "m"); }),
              HasSubstr("key 'num_hidden_layers'"));
  // Every factor in range, their product beyond any machine.
  const std::string wide =
      write("wide.json",
            R"({"model_type": "llama", "hidden_size": 1048576, "intermediate_size": 1048576,
          "num_attention_heads": 65536, "num_hidden_layers": 100000, "vocab_size": 16777216})");
  EXPECT_THAT(config_error([&] { read_model_config(wide, "m"); }),
              HasSubstr("beyond what any machine holds"));
  EXPECT_THAT(config_error([] { load_model("llama-3.1-8b", 1000000000000000); }),
              HasSubstr("--layers: expected 1 to 100000 layers"));
}

TEST_F(HostileFiles, OnlyRegularFilesAreRead) {
  EXPECT_THAT(config_error([] { load_document("/dev/zero"); }),
              HasSubstr("/dev/zero: cannot read config file: not a regular file"));
  EXPECT_THAT(config_error([&] { load_document(dir_.string()); }), HasSubstr("a directory"));
  EXPECT_THAT(config_error([&] { load_document((dir_ / "missing.yaml").string()); }),
              HasSubstr("no such file"));
  EXPECT_THAT(config_error([] { read_json_file("/dev/zero", "calibration file"); }),
              HasSubstr("not a regular file"));
}

TEST_F(HostileFiles, OversizedFilesAreRefusedBeforeReading) {
  const std::string path = write("big.yaml", std::string(1000, '#'));
  EXPECT_THAT(config_error([&] { read_regular_file(path, "config file", 100); }),
              HasSubstr("larger than the 100 bytes accepted"));
  EXPECT_EQ(read_regular_file(path, "config file", 1000).size(), 1000u);
}

}  // namespace
}  // namespace jalapeno
