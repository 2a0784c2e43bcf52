// Workload: length specs, synthetic and closed-loop sources, trace replay of
// the shipped Azure traces and of small malformed, BurstGPT and JSONL files.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "test_support.hpp"
#include "workload/lengths.hpp"
#include "workload/source.hpp"

namespace jalapeno {
namespace {

namespace fs = std::filesystem;

// A per-test temporary directory, removed afterwards (test_support.hpp).
// Named apart from other suites' directories.
struct TempDir : testing_support::TempDir {
  TempDir() : testing_support::TempDir("jalapeno_workload_") {}
};

std::string trace_path(const std::string& name) {
  return std::string(JALAPENO_SOURCE_DIR) + "/data/traces/" + name;
}

std::vector<Request> drain(RequestSource& source) {
  std::vector<Request> requests;
  while (auto request = source.next()) requests.push_back(*request);
  return requests;
}

std::vector<Request> read_trace(const TraceSpec& spec) {
  auto source = make_trace_source(spec);
  return drain(*source);
}

// The ConfigError message from opening and reading the whole trace, or "".
std::string trace_error(const std::string& path) {
  try {
    read_trace(TraceSpec{path});
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string length_error(const std::string& spec) {
  try {
    LengthDistribution::parse(spec, "--input-len");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

double sample_mean(const LengthDistribution& dist, int n, uint64_t seed = 1) {
  Rng rng(seed, "lengths");
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += static_cast<double>(dist.sample(rng));
  return sum / n;
}

// ---------------------------------------------------------------- lengths

TEST(Lengths, Fixed) {
  const auto dist = LengthDistribution::parse("512", "x");
  EXPECT_EQ(dist.kind(), LengthDistribution::Kind::kFixed);
  EXPECT_EQ(dist.spec(), "512");
  Rng rng(1, "x");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(dist.sample(rng), 512);
  EXPECT_EQ(dist.mean(), 512);
  EXPECT_EQ(dist.max(), 512);
  EXPECT_EQ(LengthDistribution::fixed(7).sample(rng), 7);
  EXPECT_THROW(LengthDistribution::fixed(0), ConfigError);
}

TEST(Lengths, UniformCoversBothEndsEvenly) {
  const auto dist = LengthDistribution::parse("uniform:1:4", "x");
  EXPECT_EQ(dist.kind(), LengthDistribution::Kind::kUniform);
  EXPECT_EQ(dist.mean(), 2.5);
  EXPECT_EQ(dist.max(), 4);
  Rng rng(2, "x");
  std::vector<int> counts(5, 0);
  const int n = 40000;
  for (int i = 0; i < n; ++i) {
    const auto x = dist.sample(rng);
    ASSERT_GE(x, 1);
    ASSERT_LE(x, 4);
    ++counts[x];
  }
  // Each value's count is binomial(n, 1/4): sd = sqrt(n * 3/16) ~ 87.
  for (int v = 1; v <= 4; ++v) EXPECT_NEAR(counts[v], n / 4, 5 * 87) << "value " << v;
  EXPECT_EQ(LengthDistribution::parse("uniform:128:1024", "x").mean(), 576);
}

TEST(Lengths, NormalIsRoundedAndClamped) {
  const auto wide = LengthDistribution::parse("normal:512:128", "x");
  EXPECT_EQ(wide.kind(), LengthDistribution::Kind::kNormal);
  // Clamping at 1 lifts the mean by ~0.001 (the tail below 1 is 4 sd away).
  EXPECT_NEAR(wide.mean(), 512, 0.01);
  EXPECT_GT(wide.mean(), 512);
  // SE of the mean over 200k: 128 / 447 = 0.29.
  EXPECT_NEAR(sample_mean(wide, 200'000), 512, 5 * 0.29);

  const auto clamped = LengthDistribution::parse("normal:100:50:80:120", "x");
  EXPECT_EQ(clamped.max(), 120);
  Rng rng(3, "x");
  for (int i = 0; i < 10000; ++i) {
    const auto x = clamped.sample(rng);
    ASSERT_GE(x, 80);
    ASSERT_LE(x, 120);
  }
  // Symmetric clamp around the mean: the clamped mean is still 100.
  EXPECT_NEAR(clamped.mean(), 100, 1e-9);
  EXPECT_NEAR(sample_mean(clamped, 200'000), 100, 0.2);

  // Default minimum 1: a mean near zero never yields zero tokens.
  const auto low = LengthDistribution::parse("normal:1:5", "x");
  for (int i = 0; i < 10000; ++i) ASSERT_GE(low.sample(rng), 1);
  EXPECT_NEAR(sample_mean(low, 200'000), low.mean(), 0.05);
}

// A clamp range of one or two values: the closed-form means must still lie
// inside it (rounding once left them an ulp below MIN, found by fuzz_lengths).
TEST(Lengths, NarrowClampsKeepTheMeanInRange) {
  const std::pair<const char*, double> cases[] = {
      {"normal:120.23239525676576:126126.52353512791:100:100", 100},
      {"normal:4.602467971056237:35.57495631461151:100:100", 100},
      {"normal:6558.083817712465:9733.278900932508:100:100", 100},
      {"normal:3.9751849548988827:36338.08406463157:2:2", 2},
      {"normal:145363.55669032809:102915.07764972582:5:6", 5}};
  for (const auto& [spec, lo] : cases) {
    const auto dist = LengthDistribution::parse(spec, "x");
    EXPECT_GE(dist.mean(), lo) << spec;
    EXPECT_LE(dist.mean(), static_cast<double>(dist.max())) << spec;
  }
  for (double mean : {1.0, 1.5, 3.0, 1e5}) {
    for (double sigma : {1e-3, 0.5, 3.0}) {
      const auto dist =
          LengthDistribution::parse(fmt::format("lognormal:{}:{}:1", mean, sigma), "x");
      EXPECT_EQ(dist.mean(), 1.0) << mean << " " << sigma;
    }
  }
}

TEST(Lengths, LognormalTakesTheMean) {
  const auto dist = LengthDistribution::parse("lognormal:512:0.8", "x");
  EXPECT_EQ(dist.kind(), LengthDistribution::Kind::kLognormal);
  EXPECT_NEAR(dist.mean(), 512, 0.01);
  // sd = mean * sqrt(e^(sigma^2) - 1) = 485; SE over 200k = 1.08.
  EXPECT_NEAR(sample_mean(dist, 200'000), 512, 5 * 1.08);

  const auto capped = LengthDistribution::parse("lognormal:512:0.8:1000", "x");
  EXPECT_EQ(capped.max(), 1000);
  EXPECT_LT(capped.mean(), 512);  // the cap removes the tail
  Rng rng(4, "x");
  for (int i = 0; i < 10000; ++i) ASSERT_LE(capped.sample(rng), 1000);
  EXPECT_NEAR(sample_mean(capped, 200'000), capped.mean(), 5 * 1.08);
}

TEST(Lengths, EmpiricalFromFile) {
  TempDir dir;
  const std::string path = dir.write("lengths.csv", "tokens,other\n10,a\n\n20,b\r\n30,c\n");
  const auto dist = LengthDistribution::parse("file:" + path, "x");
  EXPECT_EQ(dist.kind(), LengthDistribution::Kind::kEmpirical);
  EXPECT_EQ(dist.mean(), 20);
  EXPECT_EQ(dist.max(), 30);
  Rng rng(5, "x");
  std::vector<int> seen(31, 0);
  for (int i = 0; i < 3000; ++i) {
    const auto x = dist.sample(rng);
    ASSERT_TRUE(x == 10 || x == 20 || x == 30) << x;
    ++seen[x];
  }
  EXPECT_GT(seen[10], 0);
  EXPECT_GT(seen[20], 0);
  EXPECT_GT(seen[30], 0);

  const std::string plain = dir.write("plain.txt", "5\n7\n");
  EXPECT_EQ(LengthDistribution::parse("file:" + plain, "x").mean(), 6);
}

TEST(Lengths, EmpiricalErrorsNameFileAndLine) {
  TempDir dir;
  const std::string bad = dir.write("bad.txt", "5\n7\nseven\n");
  const std::string message = length_error("file:" + bad);
  EXPECT_NE(message.find(bad), std::string::npos) << message;
  EXPECT_NE(message.find("line 3"), std::string::npos) << message;
  EXPECT_NE(message.find("--input-len"), std::string::npos) << message;

  const std::string zero = dir.write("zero.txt", "5\n0\n");
  EXPECT_NE(length_error("file:" + zero).find("line 2"), std::string::npos);
  const std::string empty = dir.write("empty.txt", "header\n\n");
  EXPECT_NE(length_error("file:" + empty).find("no token counts"), std::string::npos);
  EXPECT_NE(length_error("file:" + dir.write("x", "") + ".missing").find("cannot open"),
            std::string::npos);
}

TEST(Lengths, MalformedSpecsNameWhatAndTheForms) {
  for (const std::string spec :
       {"", "abc", "0", "-5", "12abc", "uniform:5", "uniform:10:5", "uniform:0:5", "uniform:a:5",
        "normal:512", "normal:512:-1", "normal:512:10:9:5", "normal:512:10:5", "lognormal:0:1",
        "lognormal:512:-1", "lognormal:512:1:0", "poisson:5", "file:"}) {
    const std::string message = length_error(spec);
    EXPECT_NE(message.find("--input-len"), std::string::npos) << "'" << spec << "': " << message;
    EXPECT_NE(message.find("uniform:LO:HI"), std::string::npos) << "'" << spec << "': " << message;
    EXPECT_NE(message.find("lognormal:MEAN:SIGMA"), std::string::npos) << message;
  }
}

TEST(Lengths, SameRngGivesSameSamples) {
  const auto dist = LengthDistribution::parse("lognormal:300:1.2", "x");
  Rng a(9, "input"), b(9, "input");
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(dist.sample(a), dist.sample(b));
}

// Parameters whose samples cannot be represented or mean nothing are errors
// that state the accepted range, never a distribution of 1-token samples.
TEST(Lengths, RejectsUnrepresentableOrAbsurdParameters) {
  struct Case {
    std::string spec, range;
  };
  const std::vector<Case> cases = {
      {"lognormal:512:1e200", "0 to 4"},    // sigma^2 overflows: mu = -inf
      {"lognormal:512:5", "0 to 4"},        // nearly every sample clamped to 1
      {"lognormal:512:1e-310", "0 to 4"},   // subnormal
      {"lognormal:1e300:1", "1 to 1e+09"},  // mean beyond any request
      {"lognormal:0.5:1", "1 to 1e+09"},    // mean below one token
      {"lognormal:512:nan", "0 to 4"},      // not a number
      {"lognormal:512:0.8:2000000000", "1000000000"},
      {"normal:1e300:1", "1 to 1e+09"},  // samples beyond int64
      {"normal:-1e300:1", "1 to 1e+09"},
      {"normal:512:1e300", "0 to 1e+09"},
      {"normal:512:1e400", "0 to 1e+09"},     // out of double's range
      {"normal:512:4.9e-324", "0 to 1e+09"},  // subnormal
      {"normal:inf:1", "1 to 1e+09"},
      {"normal:512:10:1:99999999999999999999", "1000000000"},
      {"uniform:1:10000000000", "1000000000"},
      {"uniform:1e3:2e3", "1000000000"},  // not whole numbers as written
      {"2000000000", "1000000000"},
      {"99999999999999999999", "1000000000"},
      {"1e308", "1000000000"},
  };
  for (const auto& c : cases) {
    const std::string message = length_error(c.spec);
    EXPECT_NE(message.find("--input-len"), std::string::npos) << c.spec << ": " << message;
    EXPECT_NE(message.find(c.range), std::string::npos) << c.spec << ": " << message;
  }
  EXPECT_THROW(LengthDistribution::fixed(kMaxRequestTokens + 1), ConfigError);
}

TEST(Lengths, SamplesAtTheLimitsAreRepresentable) {
  Rng rng(11, "limits");
  for (const std::string spec :
       {"1000000000", "uniform:1:1000000000", "normal:1e9:1e9", "normal:1:1e9", "lognormal:1:4",
        "lognormal:1e9:4", "lognormal:1e9:0", "normal:512:0"}) {
    const auto dist = LengthDistribution::parse(spec, "x");
    EXPECT_TRUE(std::isfinite(dist.mean())) << spec;
    EXPECT_GE(dist.mean(), 1) << spec;
    EXPECT_LE(dist.max(), kMaxRequestTokens) << spec;
    int64_t above_one = 0;
    for (int i = 0; i < 20000; ++i) {
      const int64_t x = dist.sample(rng);
      ASSERT_GE(x, 1) << spec;
      ASSERT_LE(x, kMaxRequestTokens) << spec;
      above_one += x > 1;
    }
    // None of these collapses to 1 token every time.
    if (spec != "lognormal:1:4") {
      EXPECT_GT(above_one, 1000) << spec;
    }
  }
}

TEST(Lengths, LengthFilesMustBeBoundedRegularFiles) {
  TempDir dir;
  for (const std::string& path :
       {std::string("/dev/zero"), std::string("/dev/null"), fs::temp_directory_path().string()}) {
    const std::string message = length_error("file:" + path);
    EXPECT_NE(message.find("--input-len"), std::string::npos) << message;
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("not a regular file"), std::string::npos) << message;
  }
  const std::string big = dir.write("big.txt", "5\n2000000000\n");
  const std::string message = length_error("file:" + big);
  EXPECT_NE(message.find("line 2"), std::string::npos) << message;
  EXPECT_NE(message.find("1000000000"), std::string::npos) << message;
  const std::string wide = dir.write("wide.txt", "5\n99999999999999999999\n");
  EXPECT_NE(length_error("file:" + wide).find("line 2"), std::string::npos);
}

// ---------------------------------------------------------------- synthetic

std::vector<Request> synthetic(ArrivalKind kind, double rate, int64_t n, double cv = 1,
                               uint64_t seed = 1) {
  SyntheticSpec spec;
  spec.arrivals = kind;
  spec.rate_per_s = rate;
  spec.cv = cv;
  spec.requests = n;
  spec.seed = seed;
  auto source = make_synthetic_source(spec);
  auto requests = drain(*source);
  EXPECT_TRUE(source->exhausted());
  EXPECT_FALSE(source->next().has_value());
  return requests;
}

struct GapStats {
  double mean = 0;
  double cv = 0;
};

GapStats gap_stats(const std::vector<Request>& requests) {
  double sum = 0, sum2 = 0;
  const auto n = static_cast<double>(requests.size() - 1);
  for (size_t i = 1; i < requests.size(); ++i) {
    const double gap = requests[i].arrival_s - requests[i - 1].arrival_s;
    sum += gap;
    sum2 += gap * gap;
  }
  const double mean = sum / n;
  return {mean, std::sqrt(sum2 / n - mean * mean) / mean};
}

TEST(Synthetic, IdsAndArrivalsAreInOrder) {
  const auto requests = synthetic(ArrivalKind::kPoisson, 5, 1000);
  ASSERT_EQ(requests.size(), 1000u);
  EXPECT_EQ(requests[0].arrival_s, 0);  // the first request starts the run
  for (size_t i = 0; i < requests.size(); ++i) {
    ASSERT_EQ(requests[i].id, i);
    ASSERT_EQ(requests[i].input_tokens, 512);
    ASSERT_EQ(requests[i].output_tokens, 256);
    if (i > 0) {
      ASSERT_GE(requests[i].arrival_s, requests[i - 1].arrival_s);
    }
  }
}

TEST(Synthetic, PoissonMeanGapIsOneOverRate) {
  const auto stats = gap_stats(synthetic(ArrivalKind::kPoisson, 10, 100'000));
  EXPECT_NEAR(stats.mean, 0.1, 0.1 * 0.02);
  EXPECT_NEAR(stats.cv, 1.0, 0.02);
}

TEST(Synthetic, ConstantGapsAreExact) {
  const auto requests = synthetic(ArrivalKind::kConstant, 4, 1000);
  for (size_t i = 0; i < requests.size(); ++i) {
    ASSERT_EQ(requests[i].arrival_s, static_cast<double>(i) / 4) << i;  // exact in binary
  }
  const auto thirds = synthetic(ArrivalKind::kConstant, 3, 1000);
  for (size_t i = 1; i < thirds.size(); ++i) {
    ASSERT_NEAR(thirds[i].arrival_s - thirds[i - 1].arrival_s, 1.0 / 3, 1e-12);
  }
  EXPECT_DOUBLE_EQ(thirds.back().arrival_s, 999.0 / 3);  // no accumulated drift
}

TEST(Synthetic, OfflineArrivesAllAtZero) {
  const auto requests = synthetic(ArrivalKind::kOffline, 0, 500);
  ASSERT_EQ(requests.size(), 500u);
  for (const auto& request : requests) ASSERT_EQ(request.arrival_s, 0);
}

TEST(Synthetic, GammaMatchesRateAndCv) {
  for (const double cv : {0.5, 2.0}) {
    const auto stats = gap_stats(synthetic(ArrivalKind::kGamma, 10, 100'000, cv));
    EXPECT_NEAR(stats.mean, 0.1, 0.1 * 0.02) << "cv " << cv;
    EXPECT_NEAR(stats.cv, cv, cv * 0.03) << "cv " << cv;
  }
}

TEST(Synthetic, StreamsAreIndependent) {
  SyntheticSpec a;
  a.requests = 200;
  a.input = LengthDistribution::parse("uniform:1:1000", "x");
  a.output = LengthDistribution::parse("uniform:1:1000", "x");
  SyntheticSpec b = a;
  b.output = LengthDistribution::parse("lognormal:100:1", "x");  // draws differently
  SyntheticSpec c = a;
  c.arrivals = ArrivalKind::kGamma;  // a different arrival process
  c.cv = 3;
  const auto ra = drain(*make_synthetic_source(a));
  const auto rb = drain(*make_synthetic_source(b));
  const auto rc = drain(*make_synthetic_source(c));
  int output_differs = 0;
  for (size_t i = 0; i < ra.size(); ++i) {
    ASSERT_EQ(ra[i].arrival_s, rb[i].arrival_s);
    ASSERT_EQ(ra[i].input_tokens, rb[i].input_tokens);
    ASSERT_EQ(ra[i].input_tokens, rc[i].input_tokens);
    ASSERT_EQ(ra[i].output_tokens, rc[i].output_tokens);
    output_differs += ra[i].output_tokens != rb[i].output_tokens;
  }
  EXPECT_GT(output_differs, 150);
  // Same spec, same requests.
  const auto again = drain(*make_synthetic_source(a));
  for (size_t i = 0; i < ra.size(); ++i) ASSERT_EQ(ra[i].arrival_s, again[i].arrival_s);
  EXPECT_FALSE(make_synthetic_source(a)->describe().empty());
}

TEST(Synthetic, RejectsBadSpecs) {
  SyntheticSpec spec;
  spec.rate_per_s = 0;
  EXPECT_THROW(make_synthetic_source(spec), ConfigError);
  spec.rate_per_s = 1;
  spec.arrivals = ArrivalKind::kGamma;
  spec.cv = 0;
  EXPECT_THROW(make_synthetic_source(spec), ConfigError);
  spec.cv = 1;
  spec.requests = -1;
  EXPECT_THROW(make_synthetic_source(spec), ConfigError);
  spec.requests = 0;
  EXPECT_TRUE(make_synthetic_source(spec)->exhausted());
}

// Parameters that cannot give finite, ordered arrival times are errors.
TEST(Synthetic, RejectsArrivalParametersWithoutFiniteTimes) {
  const auto error = [](ArrivalKind kind, double rate, double cv) {
    SyntheticSpec spec;
    spec.arrivals = kind;
    spec.rate_per_s = rate;
    spec.cv = cv;
    try {
      make_synthetic_source(spec);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const double cv : {1e300, 1e-300, 4.9e-324, inf, nan, -1.0, 0.0, 101.0, 1e-4}) {
    const std::string message = error(ArrivalKind::kGamma, 1, cv);
    EXPECT_NE(message.find("cv"), std::string::npos) << cv << ": " << message;
    EXPECT_NE(message.find("0.001 to 100"), std::string::npos) << cv << ": " << message;
  }
  for (const auto kind : {ArrivalKind::kPoisson, ArrivalKind::kGamma, ArrivalKind::kConstant}) {
    for (const double rate : {1e-310, 1e-300, 1e-9, 1e300, 2e9, inf, nan}) {
      const std::string message = error(kind, rate, 1);
      EXPECT_NE(message.find("arrival rate"), std::string::npos) << rate << ": " << message;
      EXPECT_NE(message.find("3e-08 to 1e+09"), std::string::npos) << rate << ": " << message;
    }
  }
  SyntheticSpec many;
  many.requests = 20000000000;
  EXPECT_THROW(make_synthetic_source(many), ConfigError);
}

TEST(Synthetic, ArrivalsAtTheLimitsAreFiniteAndOrdered) {
  struct Case {
    ArrivalKind kind;
    double rate, cv;
  };
  for (const Case c : {Case{ArrivalKind::kGamma, 1, 100}, Case{ArrivalKind::kGamma, 1e9, 100},
                       Case{ArrivalKind::kGamma, 3e-8, 100}, Case{ArrivalKind::kGamma, 1e9, 1e-3},
                       Case{ArrivalKind::kGamma, 3e-8, 1e-3}, Case{ArrivalKind::kPoisson, 3e-8, 1},
                       Case{ArrivalKind::kPoisson, 1e9, 1}, Case{ArrivalKind::kConstant, 1e9, 1}}) {
    const auto requests = synthetic(c.kind, c.rate, 20000, c.cv);
    for (size_t i = 1; i < requests.size(); ++i) {
      ASSERT_TRUE(std::isfinite(requests[i].arrival_s)) << c.rate << " " << c.cv << " " << i;
      ASSERT_GE(requests[i].arrival_s, requests[i - 1].arrival_s) << c.rate << " " << c.cv;
    }
    EXPECT_GT(requests.back().arrival_s, 0) << c.rate << " " << c.cv;
  }
}

// ---------------------------------------------------------------- closed loop

TEST(ClosedLoop, UsersStartAtZeroAndReturnAfterThinkTime) {
  ClosedLoopSpec spec;
  spec.users = 3;
  spec.think_s = 0.5;
  spec.requests = 6;
  auto source = make_closed_loop_source(spec);
  std::vector<Request> first;
  for (int i = 0; i < 3; ++i) first.push_back(*source->next());
  for (uint64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(first[i].id, i);
    EXPECT_EQ(first[i].arrival_s, 0);
  }
  EXPECT_FALSE(source->next().has_value());  // every user is waiting
  EXPECT_FALSE(source->exhausted());

  source->on_complete(first[1], 2.0);
  const auto r3 = source->next();
  ASSERT_TRUE(r3.has_value());
  EXPECT_EQ(r3->id, 3u);
  EXPECT_EQ(r3->arrival_s, 2.5);
  EXPECT_FALSE(source->next().has_value());

  source->on_complete(first[0], 3.0);
  source->on_complete(first[2], 3.0);
  const auto r4 = source->next(), r5 = source->next();
  ASSERT_TRUE(r4 && r5);
  EXPECT_EQ(r4->id, 4u);
  EXPECT_EQ(r5->id, 5u);
  EXPECT_EQ(r4->arrival_s, 3.5);
  EXPECT_EQ(r5->arrival_s, 3.5);
  EXPECT_TRUE(source->exhausted());  // 6 issued

  // Completions after the last request schedule nothing.
  source->on_complete(*r3, 4.0);
  EXPECT_FALSE(source->next().has_value());
}

TEST(ClosedLoop, StopsAtRequestsAndIgnoresUnknownCompletions) {
  ClosedLoopSpec spec;
  spec.users = 10;
  spec.requests = 4;
  auto source = make_closed_loop_source(spec);
  std::vector<Request> issued;
  while (auto r = source->next()) issued.push_back(*r);
  EXPECT_EQ(issued.size(), 4u);  // fewer requests than users
  EXPECT_TRUE(source->exhausted());

  spec.users = 1;
  spec.requests = 3;
  auto single = make_closed_loop_source(spec);
  const auto r0 = *single->next();
  Request stranger;
  stranger.id = 99;
  stranger.input_tokens = stranger.output_tokens = 1;
  single->on_complete(stranger, 1.0);  // not issued by this source
  EXPECT_FALSE(single->next().has_value());
  single->on_complete(r0, 1.0);
  single->on_complete(r0, 1.0);  // reported twice: one user still means one request
  const auto r1 = single->next();
  ASSERT_TRUE(r1.has_value());
  EXPECT_EQ(r1->arrival_s, 1.0);
  EXPECT_FALSE(single->next().has_value());
}

TEST(ClosedLoop, LengthsAreDeterministic) {
  ClosedLoopSpec spec;
  spec.users = 4;
  spec.requests = 4;
  spec.input = LengthDistribution::parse("uniform:1:100000", "x");
  const auto a = drain(*make_closed_loop_source(spec));
  const auto b = drain(*make_closed_loop_source(spec));
  ASSERT_EQ(a.size(), 4u);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].input_tokens, b[i].input_tokens);
  EXPECT_NE(a[0].input_tokens, a[1].input_tokens);

  spec.users = 0;
  EXPECT_THROW(make_closed_loop_source(spec), ConfigError);
  spec.users = 1;
  spec.think_s = -1;
  EXPECT_THROW(make_closed_loop_source(spec), ConfigError);
  // Not finite, subnormal or beyond a year: errors naming the range.
  for (const double think : {1e-310, 1e300, std::numeric_limits<double>::infinity(),
                             std::numeric_limits<double>::quiet_NaN()}) {
    spec.think_s = think;
    const std::string message =
        testing_support::config_error([&] { make_closed_loop_source(spec); });
    EXPECT_NE(message.find("think"), std::string::npos) << message;
    EXPECT_NE(message.find("0 to 3e+07 s"), std::string::npos) << message;
  }
  spec.think_s = 0;
  spec.users = 100000000;
  EXPECT_THROW(make_closed_loop_source(spec), ConfigError);
}

// ---------------------------------------------------------------- traces

struct TraceSummary {
  size_t count = 0;
  double span = 0;
  double mean_input = 0;
  double mean_output = 0;
};

TraceSummary summarize(const std::vector<Request>& requests) {
  TraceSummary s;
  s.count = requests.size();
  s.span = requests.back().arrival_s - requests.front().arrival_s;
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(requests[i].id, i);
    if (i > 0) {
      EXPECT_GE(requests[i].arrival_s, requests[i - 1].arrival_s);
    }
    s.mean_input += static_cast<double>(requests[i].input_tokens);
    s.mean_output += static_cast<double>(requests[i].output_tokens);
  }
  s.mean_input /= static_cast<double>(s.count);
  s.mean_output /= static_cast<double>(s.count);
  return s;
}

// The figures in data/traces/README.md.
TEST(Trace, ParsesTheShippedConversationTrace) {
  const auto requests = read_trace(TraceSpec{trace_path("azure_llm_2023_conv.csv")});
  const auto s = summarize(requests);
  EXPECT_EQ(s.count, 19'366u);
  EXPECT_EQ(requests.front().arrival_s, 0);
  EXPECT_NEAR(s.span, 3502, 1);
  EXPECT_NEAR(s.mean_input, 1155, 1);
  EXPECT_NEAR(s.mean_output, 211, 1);
  // The second row, 18:15:50.9951690 after 18:15:46.6805900.
  EXPECT_NEAR(requests[1].arrival_s, 4.314579, 1e-9);
  EXPECT_EQ(requests[0].input_tokens, 374);
  EXPECT_EQ(requests[0].output_tokens, 44);
}

TEST(Trace, ParsesTheShippedCodeTrace) {
  const auto s = summarize(read_trace(TraceSpec{trace_path("azure_llm_2023_code.csv")}));
  EXPECT_EQ(s.count, 8'819u);
  EXPECT_NEAR(s.span, 3436, 1);
  EXPECT_NEAR(s.mean_input, 2048, 1);
  EXPECT_NEAR(s.mean_output, 28, 1);
}

TEST(Trace, SpeedupDividesArrivals) {
  const std::string path = trace_path("azure_llm_2023_code.csv");
  const auto normal = read_trace(TraceSpec{path});
  const auto fast = read_trace(TraceSpec{path, 2.0});
  ASSERT_EQ(normal.size(), fast.size());
  EXPECT_EQ(fast.front().arrival_s, 0);
  EXPECT_DOUBLE_EQ(fast.back().arrival_s, normal.back().arrival_s / 2);
  EXPECT_EQ(fast[100].input_tokens, normal[100].input_tokens);
}

TEST(Trace, LoopsRepeatAfterOneMeanGap) {
  const std::string path = trace_path("azure_llm_2023_code.csv");
  const auto once = read_trace(TraceSpec{path});
  const auto twice = read_trace(TraceSpec{path, 1.0, 2});
  const size_t n = once.size();
  ASSERT_EQ(twice.size(), 2 * n);
  const double span = once.back().arrival_s;
  const double gap = span / static_cast<double>(n - 1);
  for (size_t i = 0; i < twice.size(); ++i) {
    ASSERT_EQ(twice[i].id, i);
    if (i > 0) {
      ASSERT_GT(twice[i].arrival_s, twice[i - 1].arrival_s) << i;
    }
  }
  EXPECT_NEAR(twice[n].arrival_s, span + gap, 1e-9);
  EXPECT_NEAR(twice[n].arrival_s - twice[n - 1].arrival_s, gap, 1e-9);
  for (size_t i = 0; i < n; i += 997) {
    EXPECT_NEAR(twice[n + i].arrival_s, once[i].arrival_s + span + gap, 1e-9);
    EXPECT_EQ(twice[n + i].input_tokens, once[i].input_tokens);
  }
}

TEST(Trace, MaxRequestsStopsEarly) {
  auto source = make_trace_source(TraceSpec{trace_path("azure_llm_2023_conv.csv"), 1.0, 3, 100});
  const auto requests = drain(*source);
  EXPECT_EQ(requests.size(), 100u);
  EXPECT_TRUE(source->exhausted());
  EXPECT_NE(source->describe().find("azure_llm_2023_conv.csv"), std::string::npos);
}

constexpr const char* kAzureHeader = "TIMESTAMP,ContextTokens,GeneratedTokens\n";

void expect_error(const std::string& message, const std::string& path,
                  const std::vector<std::string>& parts) {
  ASSERT_FALSE(message.empty()) << "no error for " << path;
  EXPECT_NE(message.find(path), std::string::npos) << message;
  for (const auto& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message;
}

TEST(Trace, MalformedRowsNameFileLineAndField) {
  TempDir dir;
  const std::string row1 = "2023-11-16 18:15:46.0000000,10,5\n";
  struct Case {
    std::string name, text, line, field, problem;
  };
  const std::vector<Case> cases = {
      {"missing_column", row1 + "2023-11-16 18:15:47.0,10\n", "line 3", "GeneratedTokens",
       "missing column"},
      {"negative", row1 + "2023-11-16 18:15:47.0,-10,5\n", "line 3", "ContextTokens", "negative"},
      {"non_numeric", row1 + "2023-11-16 18:15:47.0,10,many\n", "line 3", "GeneratedTokens",
       "non-numeric"},
      {"out_of_order", row1 + "2023-11-16 18:15:47.0,10,5\n2023-11-16 18:15:46.5,10,5\n", "line 4",
       "TIMESTAMP", "out of order"},
      {"zero_input", row1 + "2023-11-16 18:15:47.0,0,5\n", "line 3", "ContextTokens", "zero"},
      {"zero_output", row1 + "2023-11-16 18:15:47.0,3,0\n", "line 3", "GeneratedTokens", "zero"},
      {"bad_date", row1 + "2023-02-29 18:15:47.0,10,5\n", "line 3", "TIMESTAMP", "timestamp"},
      {"first_row", "2023-11-16 18:15:46.0,abc,5\n", "line 2", "ContextTokens", "non-numeric"},
      {"header", "TIMESTAMP,ContextTokens\n", "line 1", "GeneratedTokens", "missing column"},
  };
  for (const auto& c : cases) {
    const bool has_header = c.name != "header";
    const std::string path = dir.write(c.name + ".csv", (has_header ? kAzureHeader : "") + c.text);
    SCOPED_TRACE(c.name);
    expect_error(trace_error(path), path, {c.line, c.field, c.problem});
  }
}

TEST(Trace, EmptyOrUnrecognizedTracesAreErrors) {
  TempDir dir;
  for (const std::string text : {"", "\n\n", kAzureHeader}) {
    const std::string path = dir.write("empty.csv", text);
    expect_error(trace_error(path), path, {"empty trace"});
  }
  const std::string other = dir.write("other.csv", "time,in,out\n1,2,3\n");
  expect_error(trace_error(other), other, {"line 1", "unrecognized", "TIMESTAMP"});
  expect_error(trace_error(dir.write("x", "") + ".missing"), "", {"cannot open"});

  const std::string ok = dir.write("ok.csv", std::string(kAzureHeader) + "0,1,1\n");
  EXPECT_THROW(make_trace_source(TraceSpec{ok, 0.0}), ConfigError);
  EXPECT_THROW(make_trace_source(TraceSpec{ok, 1.0, 0}), ConfigError);
  EXPECT_THROW(make_trace_source(TraceSpec{ok, 1.0, 1, -1}), ConfigError);
}

TEST(Trace, AzureTimestampsAcrossDaysAndAsSeconds) {
  TempDir dir;
  // Over a year end, a leap day and 100 ns resolution; CRLF line ends, as shipped.
  const std::string dates =
      dir.write("dates.csv", std::string("TIMESTAMP,ContextTokens,GeneratedTokens\r\n") +
                                 "2023-12-31 23:59:59.5,1,2\r\n2024-01-01 00:00:00.25,3,4\r\n"
                                 "2024-01-01 00:00:00.2500001,5,6\r\n2024-03-01T00:00:00,7,8");
  const auto requests = read_trace(TraceSpec{dates});
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].arrival_s, 0);
  EXPECT_NEAR(requests[1].arrival_s, 0.75, 1e-12);
  EXPECT_NEAR(requests[2].arrival_s - requests[1].arrival_s, 1e-7, 1e-12);
  EXPECT_NEAR(requests[3].arrival_s, 0.5 + 60 * 86400, 1e-9);  // Jan 31 + Feb 29 days
  EXPECT_EQ(requests[3].input_tokens, 7);
  EXPECT_EQ(requests[3].output_tokens, 8);

  const std::string seconds =
      dir.write("seconds.csv", std::string(kAzureHeader) + "100.5,1,1\n101,2,2\n\n103.25,3,3\n");
  const auto plain = read_trace(TraceSpec{seconds});
  ASSERT_EQ(plain.size(), 3u);
  EXPECT_EQ(plain[1].arrival_s, 0.5);
  EXPECT_EQ(plain[2].arrival_s, 2.75);
}

TEST(Trace, BurstGptSkipsFailedRequests) {
  TempDir dir;
  const std::string path =
      dir.write("burst.csv",
                "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n"
                "3,ChatGPT,100,0,100,Conversation log\n"  // failed: skipped, even as the first row
                "5,ChatGPT,472,18,490,Conversation log\n"
                "5,GPT-4,1024,0,1024,API log\n"
                "9,GPT-4,80,200,280,API log\n");
  const auto requests = read_trace(TraceSpec{path});
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].arrival_s, 0);
  EXPECT_EQ(requests[0].input_tokens, 472);
  EXPECT_EQ(requests[0].output_tokens, 18);
  EXPECT_EQ(requests[1].arrival_s, 4);
  EXPECT_EQ(requests[1].input_tokens, 80);
  EXPECT_EQ(requests[1].id, 1u);

  const std::string bad =
      dir.write("burst_bad.csv",
                "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n"
                "5,ChatGPT,472,18,490,Conversation log\n4,ChatGPT,10,x,10,Conversation log\n");
  expect_error(trace_error(bad), bad, {"line 3", "Response tokens", "non-numeric"});
}

TEST(Trace, Jsonl) {
  TempDir dir;
  const std::string path =
      dir.write("trace.jsonl",
                "{\"timestamp\": 10.5, \"input_tokens\": 100, \"output_tokens\": 20}\n"
                "\n"
                "{\"timestamp\": 12, \"input_tokens\": 200, \"output_tokens\": 40}\n"
                "{\"output_tokens\": 1, \"input_tokens\": 3, \"timestamp\": 12.0}\n");
  const auto requests = read_trace(TraceSpec{path, 1.0, 2});
  ASSERT_EQ(requests.size(), 6u);
  EXPECT_EQ(requests[0].arrival_s, 0);
  EXPECT_EQ(requests[1].arrival_s, 1.5);
  EXPECT_EQ(requests[1].input_tokens, 200);
  EXPECT_EQ(requests[2].output_tokens, 1);
  // Second pass: span 1.5 plus mean gap 0.75.
  EXPECT_EQ(requests[3].arrival_s, 2.25);
  EXPECT_EQ(requests[5].arrival_s, 3.75);

  const std::string missing =
      dir.write("missing.jsonl",
                "{\"timestamp\": 1, \"input_tokens\": 1, \"output_tokens\": 1}\n"
                "{\"timestamp\": 2, \"input_tokens\": 1}\n");
  expect_error(trace_error(missing), missing, {"line 2", "output_tokens", "missing"});
  const std::string negative = dir.write(
      "negative.jsonl", "{\"timestamp\": 1, \"input_tokens\": -4, \"output_tokens\": 1}\n");
  expect_error(trace_error(negative), negative, {"line 1", "input_tokens", "negative"});
  const std::string text = dir.write(
      "text.jsonl", "{\"timestamp\": \"soon\", \"input_tokens\": 4, \"output_tokens\": 1}\n");
  expect_error(trace_error(text), text, {"line 1", "timestamp", "non-numeric"});
  const std::string broken = dir.write(
      "broken.jsonl", "{\"timestamp\": 1, \"input_tokens\": 4, \"output_tokens\": 1}\n{oops\n");
  expect_error(trace_error(broken), broken, {"line 2", "JSON"});
}

// Only regular files are traces: a device or a directory fails at once.
TEST(Trace, OnlyRegularFiles) {
  for (const std::string& path :
       {std::string("/dev/zero"), std::string("/dev/null"), fs::temp_directory_path().string()}) {
    expect_error(trace_error(path), path, {"not a regular file"});
  }
}

TEST(Trace, CsvRowsAndHeadersMustMatch) {
  TempDir dir;
  const std::string row1 = "2023-11-16 18:15:46.0000000,10,5\n";
  const std::string burst_header =
      "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n";
  struct Case {
    std::string name, text, line, field, problem;
  };
  const std::vector<Case> cases = {
      {"extra_columns", std::string(kAzureHeader) + row1 + "1,100,10,oops,,\n", "line 3",
       "column 4", "extra column 'oops'"},
      {"trailing_comma", std::string(kAzureHeader) + row1 + "2023-11-16 18:15:47,10,5,\n", "line 3",
       "column 4", "extra column"},
      {"few_columns", std::string(kAzureHeader) + "1,100\n", "line 2", "GeneratedTokens",
       "missing column"},
      {"unknown_header", "TIMESTAMP,ContextTokens,GeneratedTokens,Region\n" + row1, "line 1",
       "Region", "unknown column"},
      {"duplicate_header", "TIMESTAMP,ContextTokens,GeneratedTokens,ContextTokens\n" + row1,
       "line 1", "ContextTokens", "duplicate column"},
      {"burst_extra", burst_header + "5,ChatGPT,472,18,490,Conversation log,x\n", "line 2",
       "column 7", "extra column 'x'"},
      {"burst_unknown", "Timestamp,Model,Request tokens,Response tokens,User\n", "line 1", "User",
       "unknown column"},
  };
  for (const auto& c : cases) {
    const std::string path = dir.write(c.name + ".csv", c.text);
    SCOPED_TRACE(c.name);
    expect_error(trace_error(path), path, {c.line, c.field, c.problem});
  }
}

TEST(Trace, TimestampsAndCountsMustBeRepresentable) {
  TempDir dir;
  struct Case {
    std::string name, row, field, problem;
  };
  const std::vector<Case> cases = {
      {"huge_time", "1e400,10,5", "TIMESTAMP", "not representable"},
      {"subnormal_time", "1e-310,10,5", "TIMESTAMP", "subnormal"},
      {"inf_time", "inf,10,5", "TIMESTAMP", "non-numeric"},
      {"nan_time", "nan,10,5", "TIMESTAMP", "non-numeric"},
      {"far_time", "1e13,10,5", "TIMESTAMP", "beyond any trace"},
      {"huge_count", "1,99999999999999999999,5", "ContextTokens", "beyond any request"},
      {"big_count", "1,10,1000000001", "GeneratedTokens", "beyond any request"},
  };
  for (const auto& c : cases) {
    const std::string path = dir.write(c.name + ".csv", std::string(kAzureHeader) + c.row + "\n");
    SCOPED_TRACE(c.name);
    expect_error(trace_error(path), path, {"line 2", c.field, c.problem});
  }
  // A billion-token request at a time near the limit still replays.
  const std::string edge = dir.write(
      "edge.csv", std::string(kAzureHeader) + "0,1000000000,1\n999999999999.5,1,1000000000\n");
  const auto requests = read_trace(TraceSpec{edge, 1e-6, 3});
  ASSERT_EQ(requests.size(), 6u);
  for (const auto& r : requests) EXPECT_TRUE(std::isfinite(r.arrival_s));
}

TEST(Trace, JsonlKeysAreKnownAndUnique) {
  TempDir dir;
  const std::string good = "{\"timestamp\": 1, \"input_tokens\": 1, \"output_tokens\": 1}\n";
  struct Case {
    std::string name, row, field, problem;
  };
  const std::vector<Case> cases = {
      {"unknown", R"({"timestamp": 2, "input_tokens": 1, "output_tokens": 1, "extra": true})",
       "extra", "unknown key 'extra'"},
      {"duplicate", R"({"timestamp": 2, "input_tokens": 1, "input_tokens": 9, "output_tokens": 1})",
       "input_tokens", "duplicate key"},
      {"nested", R"({"timestamp": 2, "input_tokens": [1], "output_tokens": 1})", "input_tokens",
       "nested"},
      {"deep", R"({"timestamp": )" + std::string(10000, '[') + std::string(10000, ']') + "}",
       "timestamp", "nested"},
      {"array", "[1, 2, 3]", "timestamp", "not a JSON object"},
      {"scalar", "42", "timestamp", "not a JSON object"},
      {"overflow", R"({"timestamp": 1e400, "input_tokens": 1, "output_tokens": 1})", "line 2",
       "JSON"},
      {"fraction", R"({"timestamp": 2, "input_tokens": 1.5, "output_tokens": 1})", "input_tokens",
       "not a whole number"},
      {"string", R"({"timestamp": 2, "input_tokens": "4", "output_tokens": 1})", "input_tokens",
       "non-numeric"},
      {"big", R"({"timestamp": 2, "input_tokens": 1e10, "output_tokens": 1})", "input_tokens",
       "beyond any request"},
      {"subnormal", R"({"timestamp": 1e-310, "input_tokens": 1, "output_tokens": 1})", "timestamp",
       "subnormal"},
      {"trailing", R"({"timestamp": 2, "input_tokens": 1, "output_tokens": 1} x)", "line 2",
       "JSON"},
  };
  for (const auto& c : cases) {
    const std::string path = dir.write(c.name + ".jsonl", good + c.row + "\n");
    SCOPED_TRACE(c.name);
    expect_error(trace_error(path), path, {"line 2", c.field, c.problem});
  }
}

TEST(Trace, LongLinesAndBadReplayParameters) {
  TempDir dir;
  const std::string long_line =
      dir.write("long.csv", std::string(kAzureHeader) + std::string(1 << 20, '1') + ",1,1\n");
  expect_error(trace_error(long_line), long_line, {"line 2", "longer than"});
  const std::string ok = dir.write("ok.csv", std::string(kAzureHeader) + "0,1,1\n");
  for (const double speedup : {1e-310, 1e-300, 1e300, std::numeric_limits<double>::infinity()}) {
    const std::string message = testing_support::config_error([&] {
      make_trace_source(TraceSpec{ok, speedup});
    });
    EXPECT_NE(message.find("speedup"), std::string::npos) << message;
    EXPECT_NE(message.find("1e-06 to 1e+09"), std::string::npos) << message;
  }
  const std::string message = testing_support::config_error([&] {
    make_trace_source(TraceSpec{ok, 1.0, 10000000});
  });
  EXPECT_NE(message.find("loops"), std::string::npos) << message;
}

}  // namespace
}  // namespace jalapeno
