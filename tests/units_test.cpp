// parse_quantity and format_quantity: every dimension and unit, exact SI
// values, the spacing allowed between number and unit, and what is rejected.
#include "core/units.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace jalapeno {
namespace {

// The parsed SI value, or NaN when the text is rejected (so that a rejection
// shows as a failed comparison with the text in the message).
double parsed(const std::string& text, Dimension dim) {
  auto value = parse_quantity(text, dim);
  return value ? *value : std::nan("");
}

constexpr double kKi = 1024.0;
constexpr double kMi = kKi * 1024.0;
constexpr double kGi = kMi * 1024.0;
constexpr double kTi = kGi * 1024.0;

TEST(ParseQuantityBytes, DecimalPrefixesArePowersOfOneThousand) {
  EXPECT_EQ(parsed("1B", Dimension::kBytes), 1.0);
  EXPECT_EQ(parsed("512B", Dimension::kBytes), 512.0);
  EXPECT_EQ(parsed("3KB", Dimension::kBytes), 3e3);
  EXPECT_EQ(parsed("50MB", Dimension::kBytes), 50e6);
  EXPECT_EQ(parsed("141GB", Dimension::kBytes), 141e9);
  EXPECT_EQ(parsed("80GB", Dimension::kBytes), 80e9);
  EXPECT_EQ(parsed("2TB", Dimension::kBytes), 2e12);
  EXPECT_EQ(parsed("1PB", Dimension::kBytes), 1e15);
}

TEST(ParseQuantityBytes, BinaryPrefixesArePowersOfTwo) {
  EXPECT_EQ(parsed("1KiB", Dimension::kBytes), kKi);
  EXPECT_EQ(parsed("4KiB", Dimension::kBytes), 4 * kKi);
  EXPECT_EQ(parsed("256MiB", Dimension::kBytes), 256 * kMi);
  EXPECT_EQ(parsed("80GiB", Dimension::kBytes), 80 * kGi);
  EXPECT_EQ(parsed("80GiB", Dimension::kBytes), 85899345920.0);
  EXPECT_EQ(parsed("1TiB", Dimension::kBytes), kTi);
}

TEST(ParseQuantityBytes, FractionalAndExponentNumbers) {
  EXPECT_DOUBLE_EQ(parsed("1.5GB", Dimension::kBytes), 1.5e9);
  EXPECT_DOUBLE_EQ(parsed("0.5KiB", Dimension::kBytes), 512.0);
  EXPECT_DOUBLE_EQ(parsed(".5GB", Dimension::kBytes), 0.5e9);
  EXPECT_DOUBLE_EQ(parsed("5e3B", Dimension::kBytes), 5000.0);
  EXPECT_EQ(parsed("0GB", Dimension::kBytes), 0.0);
}

TEST(ParseQuantityBytes, NegativeValuesParseForCallersToReject) {
  // Sign checks belong to the caller (SpecReader::positive_quantity).
  EXPECT_EQ(parsed("-1GB", Dimension::kBytes), -1e9);
}

TEST(ParseQuantityBandwidth, BytesPerSecond) {
  EXPECT_EQ(parsed("1B/s", Dimension::kBandwidth), 1.0);
  EXPECT_EQ(parsed("10KB/s", Dimension::kBandwidth), 10e3);
  EXPECT_EQ(parsed("200MB/s", Dimension::kBandwidth), 200e6);
  EXPECT_EQ(parsed("60GB/s", Dimension::kBandwidth), 60e9);
  EXPECT_EQ(parsed("900GB/s", Dimension::kBandwidth), 900e9);
  EXPECT_DOUBLE_EQ(parsed("4.8TB/s", Dimension::kBandwidth), 4.8e12);
  EXPECT_DOUBLE_EQ(parsed("3.35TB/s", Dimension::kBandwidth), 3.35e12);
  EXPECT_EQ(parsed("16GiB/s", Dimension::kBandwidth), 16 * kGi);
  EXPECT_EQ(parsed("1MiB/s", Dimension::kBandwidth), kMi);
}

TEST(ParseQuantityFlopRate, AllUnits) {
  EXPECT_EQ(parsed("100FLOPS", Dimension::kFlopRate), 100.0);
  EXPECT_EQ(parsed("5GFLOPS", Dimension::kFlopRate), 5e9);
  EXPECT_EQ(parsed("989TFLOPS", Dimension::kFlopRate), 989e12);
  EXPECT_EQ(parsed("1979TFLOPS", Dimension::kFlopRate), 1979e12);
  EXPECT_EQ(parsed("67TFLOPS", Dimension::kFlopRate), 67e12);
  EXPECT_DOUBLE_EQ(parsed("1.979PFLOPS", Dimension::kFlopRate), 1.979e15);
  EXPECT_EQ(parsed("2PFLOPS", Dimension::kFlopRate), 2e15);
}

TEST(ParseQuantityTime, AllUnits) {
  EXPECT_DOUBLE_EQ(parsed("500ns", Dimension::kTime), 500e-9);
  EXPECT_DOUBLE_EQ(parsed("2us", Dimension::kTime), 2e-6);
  EXPECT_DOUBLE_EQ(parsed("2.2us", Dimension::kTime), 2.2e-6);
  EXPECT_DOUBLE_EQ(parsed("5us", Dimension::kTime), 5e-6);
  EXPECT_DOUBLE_EQ(parsed("3ms", Dimension::kTime), 3e-3);
  EXPECT_EQ(parsed("1s", Dimension::kTime), 1.0);
  EXPECT_EQ(parsed("90s", Dimension::kTime), 90.0);
}

TEST(ParseQuantityPower, AllUnits) {
  EXPECT_EQ(parsed("700W", Dimension::kPower), 700.0);
  EXPECT_DOUBLE_EQ(parsed("1.2kW", Dimension::kPower), 1200.0);
  EXPECT_EQ(parsed("120kW", Dimension::kPower), 120e3);
  EXPECT_EQ(parsed("3MW", Dimension::kPower), 3e6);
}

TEST(ParseQuantityEnergy, AllUnits) {
  EXPECT_DOUBLE_EQ(parsed("5pJ", Dimension::kEnergy), 5e-12);
  EXPECT_DOUBLE_EQ(parsed("2nJ", Dimension::kEnergy), 2e-9);
  EXPECT_DOUBLE_EQ(parsed("7uJ", Dimension::kEnergy), 7e-6);
  EXPECT_DOUBLE_EQ(parsed("4mJ", Dimension::kEnergy), 4e-3);
  EXPECT_EQ(parsed("3J", Dimension::kEnergy), 3.0);
}

TEST(ParseQuantityFrequency, AllUnits) {
  EXPECT_EQ(parsed("50Hz", Dimension::kFrequency), 50.0);
  EXPECT_EQ(parsed("10kHz", Dimension::kFrequency), 10e3);
  EXPECT_EQ(parsed("1755MHz", Dimension::kFrequency), 1755e6);
  EXPECT_DOUBLE_EQ(parsed("1.98GHz", Dimension::kFrequency), 1.98e9);
}

TEST(ParseQuantityRate, PerSecondMinuteHour) {
  EXPECT_EQ(parsed("12/s", Dimension::kRate), 12.0);
  EXPECT_DOUBLE_EQ(parsed("0.5/s", Dimension::kRate), 0.5);
  EXPECT_DOUBLE_EQ(parsed("120/min", Dimension::kRate), 2.0);
  EXPECT_DOUBLE_EQ(parsed("3600/h", Dimension::kRate), 1.0);
}

TEST(ParseQuantitySpacing, SpacesBetweenNumberAndUnitAreAllowed) {
  EXPECT_EQ(parsed("141 GB", Dimension::kBytes), 141e9);
  EXPECT_EQ(parsed("80   GiB", Dimension::kBytes), 80 * kGi);
  EXPECT_DOUBLE_EQ(parsed("4.8 TB/s", Dimension::kBandwidth), 4.8e12);
  EXPECT_EQ(parsed("989 TFLOPS", Dimension::kFlopRate), 989e12);
  EXPECT_DOUBLE_EQ(parsed("2 us", Dimension::kTime), 2e-6);
  EXPECT_EQ(parsed("700 W", Dimension::kPower), 700.0);
  EXPECT_DOUBLE_EQ(parsed("5 pJ", Dimension::kEnergy), 5e-12);
  EXPECT_DOUBLE_EQ(parsed("1.98 GHz", Dimension::kFrequency), 1.98e9);
  EXPECT_EQ(parsed("12 /s", Dimension::kRate), 12.0);
}

TEST(ParseQuantitySpacing, SurroundingSpacesAreTrimmed) {
  EXPECT_EQ(parsed("  141GB", Dimension::kBytes), 141e9);
  EXPECT_EQ(parsed("141GB  ", Dimension::kBytes), 141e9);
  EXPECT_DOUBLE_EQ(parsed(" 2 us ", Dimension::kTime), 2e-6);
}

TEST(ParseQuantityRejects, EmptyAndNonNumericText) {
  EXPECT_FALSE(parse_quantity("", Dimension::kBytes));
  EXPECT_FALSE(parse_quantity("   ", Dimension::kBytes));
  EXPECT_FALSE(parse_quantity("abc", Dimension::kBytes));
  EXPECT_FALSE(parse_quantity("GB", Dimension::kBytes));
  EXPECT_FALSE(parse_quantity("us", Dimension::kTime));
  EXPECT_FALSE(parse_quantity("/s", Dimension::kRate));
}

TEST(ParseQuantityRejects, NumberWithoutUnit) {
  EXPECT_FALSE(parse_quantity("141", Dimension::kBytes));
  EXPECT_FALSE(parse_quantity("4.8", Dimension::kBandwidth));
  EXPECT_FALSE(parse_quantity("989", Dimension::kFlopRate));
  EXPECT_FALSE(parse_quantity("2", Dimension::kTime));
  EXPECT_FALSE(parse_quantity("700", Dimension::kPower));
  EXPECT_FALSE(parse_quantity("5", Dimension::kEnergy));
  EXPECT_FALSE(parse_quantity("1.98", Dimension::kFrequency));
  EXPECT_FALSE(parse_quantity("12", Dimension::kRate));
}

TEST(ParseQuantityRejects, UnitOfAnotherDimension) {
  EXPECT_FALSE(parse_quantity("5GB", Dimension::kTime));
  EXPECT_FALSE(parse_quantity("4.8TB", Dimension::kBandwidth));
  EXPECT_FALSE(parse_quantity("4.8TB/s", Dimension::kBytes));
  EXPECT_FALSE(parse_quantity("2us", Dimension::kBytes));
  EXPECT_FALSE(parse_quantity("989TFLOPS", Dimension::kBandwidth));
  EXPECT_FALSE(parse_quantity("700W", Dimension::kEnergy));
  EXPECT_FALSE(parse_quantity("5pJ", Dimension::kPower));
  EXPECT_FALSE(parse_quantity("1.98GHz", Dimension::kRate));
  EXPECT_FALSE(parse_quantity("12/s", Dimension::kFrequency));
  EXPECT_FALSE(parse_quantity("1s", Dimension::kRate));
}

TEST(ParseQuantityRejects, UnknownOrMiscasedUnits) {
  EXPECT_FALSE(parse_quantity("141gb", Dimension::kBytes));
  EXPECT_FALSE(parse_quantity("141Gb", Dimension::kBytes));
  EXPECT_FALSE(parse_quantity("2US", Dimension::kTime));
  EXPECT_FALSE(parse_quantity("2sec", Dimension::kTime));
  EXPECT_FALSE(parse_quantity("989TFLOP", Dimension::kFlopRate));
  EXPECT_FALSE(parse_quantity("4.8TBps", Dimension::kBandwidth));
}

TEST(ParseQuantityRejects, TrailingGarbage) {
  EXPECT_FALSE(parse_quantity("141GBx", Dimension::kBytes));
  EXPECT_FALSE(parse_quantity("141GB 2", Dimension::kBytes));
  EXPECT_FALSE(parse_quantity("141 GB GB", Dimension::kBytes));
  EXPECT_FALSE(parse_quantity("4.8TB/s/s", Dimension::kBandwidth));
  EXPECT_FALSE(parse_quantity("2us;", Dimension::kTime));
  EXPECT_FALSE(parse_quantity("1.2.3GB", Dimension::kBytes));
}

TEST(ParseQuantityRejects, NonFiniteNumbers) {
  EXPECT_FALSE(parse_quantity("infGB", Dimension::kBytes));
  EXPECT_FALSE(parse_quantity("nanGB", Dimension::kBytes));
  EXPECT_FALSE(parse_quantity("1e400GB", Dimension::kBytes));
}

TEST(DescribeDimension, NamesAnExampleOfEachDimension) {
  EXPECT_NE(describe(Dimension::kBytes).find("141GB"), std::string::npos);
  EXPECT_NE(describe(Dimension::kBandwidth).find("4.8TB/s"), std::string::npos);
  EXPECT_NE(describe(Dimension::kFlopRate).find("TFLOPS"), std::string::npos);
  EXPECT_NE(describe(Dimension::kTime).find("2us"), std::string::npos);
  EXPECT_NE(describe(Dimension::kPower).find("W"), std::string::npos);
  EXPECT_NE(describe(Dimension::kEnergy).find("pJ"), std::string::npos);
  EXPECT_NE(describe(Dimension::kFrequency).find("GHz"), std::string::npos);
  EXPECT_NE(describe(Dimension::kRate).find("/s"), std::string::npos);
}

TEST(FormatQuantity, PicksAFittingDecimalPrefix) {
  EXPECT_EQ(format_quantity(4.8e12, Dimension::kBandwidth), "4.8 TB/s");
  EXPECT_EQ(format_quantity(141e9, Dimension::kBytes), "141 GB");
  EXPECT_EQ(format_quantity(512, Dimension::kBytes), "512 B");
  EXPECT_EQ(format_quantity(2e-6, Dimension::kTime), "2 us");
  EXPECT_EQ(format_quantity(12.5e-6, Dimension::kTime), "12.5 us");
  EXPECT_EQ(format_quantity(4.68e-3, Dimension::kTime), "4.68 ms");
  EXPECT_EQ(format_quantity(989e12, Dimension::kFlopRate), "989 TFLOPS");
  EXPECT_EQ(format_quantity(700, Dimension::kPower), "700 W");
  EXPECT_EQ(format_quantity(5e-12, Dimension::kEnergy), "5 pJ");
  EXPECT_EQ(format_quantity(1.98e9, Dimension::kFrequency), "1.98 GHz");
  EXPECT_EQ(format_quantity(12, Dimension::kRate), "12/s");
}

TEST(FormatQuantity, NeverUsesBinaryPrefixes) {
  // 80 GiB is shown in decimal gigabytes, as datasheets print it.
  EXPECT_EQ(format_quantity(80 * kGi, Dimension::kBytes), "85.9 GB");
}

TEST(FormatQuantity, ZeroUsesTheSmallestUnit) {
  EXPECT_EQ(format_quantity(0, Dimension::kTime), "0 ns");
  EXPECT_EQ(format_quantity(0, Dimension::kBytes), "0 B");
}

TEST(FormatQuantity, NegativeValuesKeepTheirSignAndPrefix) {
  EXPECT_EQ(format_quantity(-4.8e12, Dimension::kBandwidth), "-4.8 TB/s");
}

TEST(FormatQuantity, RoundTripsThroughParseToThreeSignificantDigits) {
  struct Case {
    double value;
    Dimension dim;
  };
  const Case cases[] = {
      {4.8e12, Dimension::kBandwidth}, {3.35e12, Dimension::kBandwidth},
      {141e9, Dimension::kBytes},      {80 * kGi, Dimension::kBytes},
      {50e6, Dimension::kBytes},       {2.2e-6, Dimension::kTime},
      {4.675e-3, Dimension::kTime},    {0.25, Dimension::kTime},
      {989e12, Dimension::kFlopRate},  {1.979e15, Dimension::kFlopRate},
      {700, Dimension::kPower},        {1.2e3, Dimension::kPower},
      {5e-12, Dimension::kEnergy},     {3.2e-9, Dimension::kEnergy},
      {1.98e9, Dimension::kFrequency}, {1755e6, Dimension::kFrequency},
      {12, Dimension::kRate},          {0.25, Dimension::kRate},
  };
  for (const Case& c : cases) {
    const std::string text = format_quantity(c.value, c.dim);
    auto back = parse_quantity(text, c.dim);
    ASSERT_TRUE(back) << "format_quantity gave '" << text << "', which does not parse back";
    EXPECT_NEAR(*back, c.value, std::abs(c.value) * 5e-3) << text;
  }
}

}  // namespace
}  // namespace jalapeno
