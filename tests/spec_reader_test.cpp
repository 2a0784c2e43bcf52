// SpecReader: every way a config can be wrong gives a ConfigError that names
// the file, the key path, the line (YAML) and what was expected.
#include "core/spec_reader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "core/error.hpp"
#include "test_support.hpp"

namespace jalapeno {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using testing_support::config_error;

SpecReader yaml_reader(const std::string& text, const std::string& name = "chip.yaml") {
  return SpecReader::mapping(parse_document(text, name, false));
}

SpecReader json_reader(const std::string& text, const std::string& name = "config.json") {
  return SpecReader::mapping(parse_document(text, name, true));
}

// --- well-formed documents ----------------------------------------------------

TEST(SpecReaderValues, ReadsEveryTypeFromYaml) {
  SpecReader reader = yaml_reader(
      "name: h200-sxm\n"
      "cores: 132\n"
      "ratio: 0.78\n"
      "scale: -1.5\n"
      "graphs: true\n"
      "hbm: {capacity: 141GB, bandwidth: 4.8TB/s}\n"
      "fixed: 2 us\n");
  EXPECT_EQ(reader.string("name"), "h200-sxm");
  EXPECT_EQ(reader.integer("cores", 1), 132);
  EXPECT_DOUBLE_EQ(reader.fraction("ratio"), 0.78);
  EXPECT_DOUBLE_EQ(reader.number("scale"), -1.5);
  EXPECT_TRUE(reader.boolean("graphs"));
  SpecReader hbm = reader.child("hbm");
  EXPECT_EQ(hbm.positive_quantity("capacity", Dimension::kBytes), 141e9);
  EXPECT_DOUBLE_EQ(hbm.positive_quantity("bandwidth", Dimension::kBandwidth), 4.8e12);
  EXPECT_NO_THROW(hbm.finish());
  EXPECT_DOUBLE_EQ(reader.quantity("fixed", Dimension::kTime), 2e-6);
  EXPECT_NO_THROW(reader.finish());
}

TEST(SpecReaderValues, ReadsEveryTypeFromJson) {
  SpecReader reader =
      json_reader(R"({"hidden_size": 4096, "rms_norm_eps": 1e-05, "tie_word_embeddings": false,)"
                  R"( "torch_dtype": "bfloat16", "rope_scaling": {"factor": 8.0}})");
  EXPECT_EQ(reader.integer("hidden_size", 1), 4096);
  EXPECT_DOUBLE_EQ(reader.number("rms_norm_eps"), 1e-05);
  EXPECT_FALSE(reader.boolean("tie_word_embeddings"));
  EXPECT_EQ(reader.string("torch_dtype"), "bfloat16");
  SpecReader rope = reader.child("rope_scaling");
  EXPECT_DOUBLE_EQ(rope.number("factor"), 8.0);
  EXPECT_NO_THROW(rope.finish());
  EXPECT_NO_THROW(reader.finish());
}

TEST(SpecReaderValues, OptionalValuesFallBackWhenAbsent) {
  SpecReader reader = yaml_reader("name: x\n");
  EXPECT_EQ(reader.string("name"), "x");
  EXPECT_EQ(reader.string_or("dtype", "bfloat16"), "bfloat16");
  EXPECT_EQ(reader.integer_or("split", 1, 1), 1);
  EXPECT_DOUBLE_EQ(reader.number_or("scale", 2.5), 2.5);
  EXPECT_TRUE(reader.boolean_or("graphs", true));
  EXPECT_DOUBLE_EQ(reader.positive_quantity_or("cap", Dimension::kBytes, 7.0), 7.0);
  EXPECT_FALSE(reader.has("dtype"));
  EXPECT_NO_THROW(reader.finish());
}

TEST(SpecReaderValues, OptionalValuesAreStillCheckedWhenPresent) {
  SpecReader reader = yaml_reader("split: 0\n");
  const std::string msg = config_error([&] { reader.integer_or("split", 1, 1); });
  EXPECT_THAT(msg, HasSubstr("chip.yaml:1"));
  EXPECT_THAT(msg, HasSubstr("'split'"));
  EXPECT_THAT(msg, HasSubstr("at least 1"));
}

TEST(SpecReaderValues, IgnoredKeysAreNotUnknown) {
  SpecReader reader = yaml_reader("name: x\nrope_theta: 500000\n");
  reader.string("name");
  reader.ignore("rope_theta");
  EXPECT_NO_THROW(reader.finish());
}

TEST(SpecReaderValues, ChildKeysListsANamedMapping) {
  SpecReader reader = yaml_reader("matrix: {bf16: 989TFLOPS, fp8: 1979TFLOPS}\n");
  EXPECT_THAT(reader.child_keys("matrix"), ::testing::ElementsAre("bf16", "fp8"));
}

// --- unknown keys -------------------------------------------------------------

TEST(SpecReaderUnknownKey, NamesFileKeyPathAndLine) {
  SpecReader reader = yaml_reader(
      "hbm:\n"
      "  capacity: 141GB\n"
      "  bandwith: 4.8TB/s\n");
  SpecReader hbm = reader.child("hbm");
  hbm.positive_quantity("capacity", Dimension::kBytes);
  const std::string msg = config_error([&] { hbm.finish(); });
  EXPECT_THAT(msg, HasSubstr("chip.yaml:3"));
  EXPECT_THAT(msg, HasSubstr("unknown key"));
  EXPECT_THAT(msg, HasSubstr("'hbm.bandwith'"));
  // It lists the keys that are known at that level.
  EXPECT_THAT(msg, HasSubstr("capacity"));
}

TEST(SpecReaderUnknownKey, AtTopLevelInYaml) {
  SpecReader reader = yaml_reader("name: x\nsource: y\ntdpp: 700W\n");
  reader.string("name");
  reader.string("source");
  const std::string msg = config_error([&] { reader.finish(); });
  EXPECT_THAT(msg, HasSubstr("chip.yaml:3"));
  EXPECT_THAT(msg, HasSubstr("'tdpp'"));
}

TEST(SpecReaderUnknownKey, InFlowMappingNamesItsLine) {
  SpecReader reader = yaml_reader("name: x\nhbm: {capacity: 141GB, bandwith: 4.8TB/s}\n");
  reader.string("name");
  SpecReader hbm = reader.child("hbm");
  hbm.positive_quantity("capacity", Dimension::kBytes);
  const std::string msg = config_error([&] { hbm.finish(); });
  EXPECT_THAT(msg, HasSubstr("chip.yaml:2"));
  EXPECT_THAT(msg, HasSubstr("'hbm.bandwith'"));
}

TEST(SpecReaderUnknownKey, InJsonNamesFileAndKey) {
  SpecReader reader = json_reader(R"({"hidden_size": 4096, "hidden_sizee": 4096})");
  reader.integer("hidden_size", 1);
  const std::string msg = config_error([&] { reader.finish(); });
  EXPECT_THAT(msg, HasSubstr("config.json"));
  EXPECT_THAT(msg, HasSubstr("unknown key 'hidden_sizee'"));
}

// --- missing keys -------------------------------------------------------------

TEST(SpecReaderMissingKey, NamesFileAndKey) {
  SpecReader reader = yaml_reader("name: x\n");
  const std::string msg = config_error([&] { reader.string("source"); });
  EXPECT_THAT(msg, HasSubstr("chip.yaml"));
  EXPECT_THAT(msg, HasSubstr("missing required key 'source'"));
}

TEST(SpecReaderMissingKey, InNestedMappingNamesTheMapping) {
  SpecReader reader = yaml_reader("hbm: {capacity: 141GB}\n");
  SpecReader hbm = reader.child("hbm");
  const std::string msg =
      config_error([&] { hbm.positive_quantity("bandwidth", Dimension::kBandwidth); });
  EXPECT_THAT(msg, HasSubstr("chip.yaml"));
  EXPECT_THAT(msg, HasSubstr("'hbm.bandwidth'"));
}

TEST(SpecReaderMissingKey, NullValueCountsAsMissing) {
  SpecReader reader = yaml_reader("source:\n");
  const std::string msg = config_error([&] { reader.string("source"); });
  EXPECT_THAT(msg, HasSubstr("missing required key 'source'"));
}

TEST(SpecReaderMissingKey, MissingChildMapping) {
  SpecReader reader = yaml_reader("name: x\n");
  const std::string msg = config_error([&] { reader.child("hbm"); });
  EXPECT_THAT(msg, HasSubstr("missing required key 'hbm'"));
}

// A misspelt required key (the right spelling absent) is reported as the
// missing key, and the misspelling is named beside it.
TEST(SpecReaderMissingKey, MisspeltRequiredKeyNamesTheMisspelling) {
  SpecReader reader = yaml_reader("hbm:\n  capacity: 141GB\n  bandwith: 4.8TB/s\n");
  SpecReader hbm = reader.child("hbm");
  hbm.positive_quantity("capacity", Dimension::kBytes);
  const std::string msg =
      config_error([&] { hbm.positive_quantity("bandwidth", Dimension::kBandwidth); });
  EXPECT_THAT(msg, HasSubstr("bandwith"));
}

// --- wrong types ----------------------------------------------------------------

TEST(SpecReaderWrongType, ListWhereScalarExpected) {
  SpecReader reader = yaml_reader("name: x\ncapacity: [141GB, 80GB]\n");
  const std::string msg =
      config_error([&] { reader.positive_quantity("capacity", Dimension::kBytes); });
  EXPECT_THAT(msg, HasSubstr("chip.yaml:2"));
  EXPECT_THAT(msg, HasSubstr("'capacity'"));
  EXPECT_THAT(msg, HasSubstr("a single value, not a list or mapping"));
}

TEST(SpecReaderWrongType, MappingWhereScalarExpected) {
  SpecReader reader = yaml_reader("name: {first: x}\n");
  const std::string msg = config_error([&] { reader.string("name"); });
  EXPECT_THAT(msg, HasSubstr("'name'"));
  EXPECT_THAT(msg, HasSubstr("a single value"));
}

TEST(SpecReaderWrongType, ListInJson) {
  SpecReader reader = json_reader(R"({"hidden_size": [4096]})");
  const std::string msg = config_error([&] { reader.integer("hidden_size", 1); });
  EXPECT_THAT(msg, HasSubstr("config.json"));
  EXPECT_THAT(msg, HasSubstr("'hidden_size'"));
  EXPECT_THAT(msg, HasSubstr("a single value"));
}

TEST(SpecReaderWrongType, ScalarWhereMappingExpected) {
  SpecReader reader = yaml_reader("name: x\nhbm: 141GB\n");
  const std::string msg = config_error([&] { reader.child("hbm"); });
  EXPECT_THAT(msg, HasSubstr("chip.yaml:2"));
  EXPECT_THAT(msg, HasSubstr("'hbm'"));
  EXPECT_THAT(msg, HasSubstr("a mapping"));
}

TEST(SpecReaderWrongType, TopLevelMustBeAMapping) {
  const std::string msg =
      config_error([] { SpecReader::mapping(parse_document("- a\n- b\n", "list.yaml", false)); });
  EXPECT_THAT(msg, HasSubstr("list.yaml"));
  EXPECT_THAT(msg, HasSubstr("expected a mapping"));
}

TEST(SpecReaderWrongType, EmptyDocumentIsNotAMapping) {
  const std::string msg =
      config_error([] { SpecReader::mapping(parse_document("", "empty.yaml", false)); });
  EXPECT_THAT(msg, HasSubstr("empty.yaml"));
  EXPECT_THAT(msg, HasSubstr("expected a mapping"));
}

TEST(SpecReaderWrongType, NotABoolean) {
  SpecReader reader = yaml_reader("graphs: maybe\n");
  const std::string msg = config_error([&] { reader.boolean("graphs"); });
  EXPECT_THAT(msg, HasSubstr("'graphs'"));
  EXPECT_THAT(msg, HasSubstr("true or false, got 'maybe'"));
}

TEST(SpecReaderWrongType, NotANumber) {
  SpecReader reader = yaml_reader("traffic: lots\nscale: 1.5x\n");
  EXPECT_THAT(config_error([&] { reader.number("traffic"); }), HasSubstr("a number, got 'lots'"));
  EXPECT_THAT(config_error([&] { reader.number("scale"); }), HasSubstr("a number, got '1.5x'"));
}

// --- units ------------------------------------------------------------------

TEST(SpecReaderWrongUnit, BandwidthWrittenAsSize) {
  SpecReader reader = yaml_reader("hbm:\n  capacity: 141GB\n  bandwidth: 4.8TB\n");
  SpecReader hbm = reader.child("hbm");
  const std::string msg =
      config_error([&] { hbm.positive_quantity("bandwidth", Dimension::kBandwidth); });
  EXPECT_THAT(msg, HasSubstr("chip.yaml:3"));
  EXPECT_THAT(msg, HasSubstr("'hbm.bandwidth'"));
  EXPECT_THAT(msg, HasSubstr("a bandwidth such as '4.8TB/s'"));
  EXPECT_THAT(msg, HasSubstr("got '4.8TB'"));
}

TEST(SpecReaderWrongUnit, SizeWrittenAsTime) {
  SpecReader reader = yaml_reader("capacity: 5s\n");
  const std::string msg = config_error([&] { reader.quantity("capacity", Dimension::kBytes); });
  EXPECT_THAT(msg, HasSubstr("'capacity'"));
  EXPECT_THAT(msg, HasSubstr("a size such as '141GB'"));
  EXPECT_THAT(msg, HasSubstr("got '5s'"));
}

TEST(SpecReaderWrongUnit, MissingUnit) {
  SpecReader reader = yaml_reader("kernel_fixed_cost: 2.2\n");
  const std::string msg =
      config_error([&] { reader.positive_quantity("kernel_fixed_cost", Dimension::kTime); });
  EXPECT_THAT(msg, HasSubstr("chip.yaml:1"));
  EXPECT_THAT(msg, HasSubstr("a time such as '2us'"));
  EXPECT_THAT(msg, HasSubstr("got '2.2'"));
}

// --- sizes above zero -----------------------------------------------------------

TEST(SpecReaderPositiveQuantity, RejectsZero) {
  SpecReader reader = yaml_reader("name: x\nhbm:\n  capacity: 0GB\n");
  SpecReader hbm = reader.child("hbm");
  const std::string msg =
      config_error([&] { hbm.positive_quantity("capacity", Dimension::kBytes); });
  EXPECT_THAT(msg, HasSubstr("chip.yaml:3"));
  EXPECT_THAT(msg, HasSubstr("'hbm.capacity'"));
  EXPECT_THAT(msg, HasSubstr("expected a value above zero"));
}

TEST(SpecReaderPositiveQuantity, RejectsNegative) {
  SpecReader reader = yaml_reader("bandwidth: -4.8TB/s\n");
  const std::string msg =
      config_error([&] { reader.positive_quantity("bandwidth", Dimension::kBandwidth); });
  EXPECT_THAT(msg, HasSubstr("'bandwidth'"));
  EXPECT_THAT(msg, HasSubstr("expected a value above zero"));
}

TEST(SpecReaderPositiveQuantity, RejectsNegativeZero) {
  SpecReader reader = yaml_reader("capacity: -0GB\n");
  EXPECT_THAT(config_error([&] { reader.positive_quantity("capacity", Dimension::kBytes); }),
              HasSubstr("expected a value above zero"));
}

TEST(SpecReaderPositiveQuantity, PlainQuantityAcceptsZero) {
  SpecReader reader = yaml_reader("capacity: 0GB\n");
  EXPECT_EQ(reader.quantity("capacity", Dimension::kBytes), 0.0);
}

TEST(SpecReaderPositiveQuantity, OptionalFormAlsoRejectsZero) {
  SpecReader reader = yaml_reader("capacity: 0GB\n");
  EXPECT_THAT(
      config_error([&] { reader.positive_quantity_or("capacity", Dimension::kBytes, 1.0); }),
      HasSubstr("expected a value above zero"));
}

// --- integers and fractions -----------------------------------------------------

TEST(SpecReaderInteger, BelowMinimum) {
  SpecReader reader = yaml_reader("name: x\ncompute_units: 0\n");
  const std::string msg = config_error([&] { reader.integer("compute_units", 1); });
  EXPECT_THAT(msg, HasSubstr("chip.yaml:2"));
  EXPECT_THAT(msg, HasSubstr("'compute_units'"));
  EXPECT_THAT(msg, HasSubstr("a whole number of at least 1, got 0"));
}

TEST(SpecReaderInteger, NegativeBelowMinimumZero) {
  SpecReader reader = yaml_reader("kernels: -2\n");
  EXPECT_THAT(config_error([&] { reader.integer("kernels", 0); }), HasSubstr("at least 0, got -2"));
}

TEST(SpecReaderInteger, AtMinimumIsAccepted) {
  SpecReader reader = yaml_reader("compute_units: 1\n");
  EXPECT_EQ(reader.integer("compute_units", 1), 1);
}

TEST(SpecReaderInteger, RejectsFractionsAndText) {
  SpecReader reader = yaml_reader("a: 1.5\nb: many\nc: 12abc\n");
  EXPECT_THAT(config_error([&] { reader.integer("a"); }), HasSubstr("a whole number, got '1.5'"));
  EXPECT_THAT(config_error([&] { reader.integer("b"); }), HasSubstr("a whole number, got 'many'"));
  EXPECT_THAT(config_error([&] { reader.integer("c"); }), HasSubstr("a whole number, got '12abc'"));
}

TEST(SpecReaderFraction, AcceptsUpToAndIncludingOne) {
  SpecReader reader = yaml_reader("a: 1\nb: 1.0\nc: 0.001\n");
  EXPECT_EQ(reader.fraction("a"), 1.0);
  EXPECT_EQ(reader.fraction("b"), 1.0);
  EXPECT_DOUBLE_EQ(reader.fraction("c"), 0.001);
}

TEST(SpecReaderFraction, RejectsAboveOne) {
  SpecReader reader = yaml_reader("efficiency:\n  matrix: 1.5\n");
  SpecReader eff = reader.child("efficiency");
  const std::string msg = config_error([&] { eff.fraction("matrix"); });
  EXPECT_THAT(msg, HasSubstr("chip.yaml:2"));
  EXPECT_THAT(msg, HasSubstr("'efficiency.matrix'"));
  EXPECT_THAT(msg, HasSubstr("a fraction in (0, 1], got 1.5"));
}

TEST(SpecReaderFraction, RejectsZeroAndNegative) {
  SpecReader reader = yaml_reader("a: 0\nb: -0.5\n");
  EXPECT_THAT(config_error([&] { reader.fraction("a"); }), HasSubstr("a fraction in (0, 1]"));
  EXPECT_THAT(config_error([&] { reader.fraction("b"); }), HasSubstr("a fraction in (0, 1]"));
}

// --- malformed documents --------------------------------------------------------

TEST(SpecReaderMalformed, YamlNamesFileAndLine) {
  const std::string msg = config_error([] {
    parse_document("name: x\nmatrix: {bf16: 989TFLOPS\nvector: 67TFLOPS\n", "bad.yaml", false);
  });
  EXPECT_THAT(msg, HasSubstr("bad.yaml:"));
  EXPECT_THAT(msg, HasSubstr("malformed YAML"));
}

TEST(SpecReaderMalformed, YamlBadIndentation) {
  const std::string msg = config_error(
      [] { parse_document("hbm:\n  capacity: 1GB\n bandwidth: 1TB/s\n", "indent.yaml", false); });
  EXPECT_THAT(msg, HasSubstr("indent.yaml:"));
  EXPECT_THAT(msg, HasSubstr("malformed YAML"));
}

TEST(SpecReaderMalformed, JsonNamesFile) {
  const std::string msg =
      config_error([] { parse_document("{\"hidden_size\": 4096,\n", "config.json", true); });
  EXPECT_THAT(msg, HasSubstr("config.json"));
  EXPECT_THAT(msg, HasSubstr("malformed JSON"));
}

TEST(SpecReaderMalformed, JsonTrailingCommaIsRejected) {
  const std::string msg =
      config_error([] { parse_document(R"({"a": 1, "b": 2,})", "trailing.json", true); });
  EXPECT_THAT(msg, HasSubstr("trailing.json"));
  EXPECT_THAT(msg, HasSubstr("malformed JSON"));
}

TEST(SpecReaderMalformed, JsonIsParsedStrictlyNotAsYaml) {
  // Valid YAML flow syntax, but not JSON: unquoted keys.
  const std::string msg = config_error([] { parse_document("{a: 1}", "flow.json", true); });
  EXPECT_THAT(msg, HasSubstr("flow.json"));
  EXPECT_THAT(msg, HasSubstr("malformed JSON"));
}

TEST(SpecReaderMalformed, MissingFileNamesThePath) {
  const std::string msg = config_error([] { load_document("/nonexistent/dir/chip.yaml"); });
  EXPECT_THAT(msg, HasSubstr("/nonexistent/dir/chip.yaml"));
  EXPECT_THAT(msg, HasSubstr("cannot open"));
}

// --- JSON line numbers ------------------------------------------------------------

TEST(SpecReaderJson, ErrorsNameKeyWithoutABogusLineNumber) {
  SpecReader reader = json_reader(R"({"hidden_size": 0})");
  const std::string msg = config_error([&] { reader.integer("hidden_size", 1); });
  EXPECT_THAT(msg, HasSubstr("config.json: key 'hidden_size'"));
  EXPECT_THAT(msg, Not(HasSubstr("config.json:0")));
}

}  // namespace
}  // namespace jalapeno
