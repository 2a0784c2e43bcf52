// Synthetic open-loop arrivals (Poisson, gamma, constant rate, offline) and
// the closed-loop users source.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <unordered_set>

#include "core/error.hpp"
#include "workload/source.hpp"

namespace jalapeno {
namespace {

// Arrivals, input and output lengths each draw from their own stream, so
// changing one distribution leaves the others' numbers unchanged.
struct LengthStreams {
  explicit LengthStreams(uint64_t seed) : input(seed, "input"), output(seed, "output") {}
  Rng input;
  Rng output;
};

// Bounds that keep every arrival time finite and increasing. Slower than one
// request a year leaves a simulation of empty time; faster than 1e9/s, gaps
// fall below what a double resolves at the times reached.
constexpr double kMinRate = 3e-8;  // requests per second
constexpr double kMaxRate = 1e9;
// Gamma gaps have shape 1/cv^2. Beyond cv 100 (shape 1e-4) nearly every gap
// underflows to exactly 0 and the arrivals are a few huge bursts; below
// 1e-3 the process is constant-rate arrivals in all but name.
constexpr double kMinCv = 1e-3;
constexpr double kMaxCv = 100;
constexpr int64_t kMaxRequests = 10000000000;  // 1e10
constexpr int64_t kMaxUsers = 10000000;        // 1e7
constexpr double kMaxThinkSeconds = 3e7;       // about a year

// Finite, not subnormal, and within [lo, hi].
bool in_range(double value, double lo, double hi) {
  return std::isfinite(value) && std::fpclassify(value) != FP_SUBNORMAL && value >= lo &&
         value <= hi;
}

void check_count(int64_t requests) {
  if (requests < 0 || requests > kMaxRequests) {
    throw ConfigError(fmt::format("requests: expected 0 to {:g}, got {}",
                                  static_cast<double>(kMaxRequests), requests));
  }
}

class SyntheticSource final : public RequestSource {
 public:
  explicit SyntheticSource(const SyntheticSpec& spec)
      : spec_(spec), arrivals_(spec.seed, "arrivals"), lengths_(spec.seed) {
    check_count(spec.requests);
    if (spec.arrivals != ArrivalKind::kOffline && !in_range(spec.rate_per_s, kMinRate, kMaxRate)) {
      throw ConfigError(fmt::format("arrival rate: expected {:g} to {:g} requests/s, got {:g}/s",
                                    kMinRate, kMaxRate, spec.rate_per_s));
    }
    if (spec.arrivals == ArrivalKind::kGamma && !in_range(spec.cv, kMinCv, kMaxCv)) {
      throw ConfigError(fmt::format(
          "gamma arrivals: cv (coefficient of variation of the gaps): expected {:g} to {:g}, got "
          "{:g}",
          kMinCv, kMaxCv, spec.cv));
    }
    for (const double w : spec.priority_mix) {
      if (!(w >= 0 && std::isfinite(w))) {
        throw ConfigError(fmt::format("priority_mix: expected weights >= 0, got {:g}", w));
      }
      mix_total_ += w;
    }
    if (!spec.priority_mix.empty() && !(mix_total_ > 0)) {
      throw ConfigError("priority_mix: expected at least one weight above 0");
    }
    if (spec.arrivals == ArrivalKind::kGamma) {
      // Gaps with mean 1/rate and the given cv: shape 1/cv^2, scale 1/(rate*shape).
      gamma_shape_ = 1.0 / (spec.cv * spec.cv);
      gamma_scale_ = 1.0 / (spec.rate_per_s * gamma_shape_);
    }
  }

  std::optional<Request> next() override {
    if (exhausted()) return std::nullopt;
    // The first request arrives at t = 0 so that a run starts working at once;
    // every later one follows a gap.
    const uint64_t id = issued_++;
    if (id > 0) {
      switch (spec_.arrivals) {
        case ArrivalKind::kPoisson:
          time_s_ += arrivals_.exponential(spec_.rate_per_s);
          break;
        case ArrivalKind::kGamma:
          time_s_ += arrivals_.gamma(gamma_shape_, gamma_scale_);
          break;
        case ArrivalKind::kConstant:
          // Multiplied, not accumulated: no drift over a long run.
          time_s_ = static_cast<double>(id) / spec_.rate_per_s;
          break;
        case ArrivalKind::kOffline:
          break;
      }
    }
    Request r;
    r.id = id;
    r.arrival_s = time_s_;
    r.input_tokens = spec_.input.sample(lengths_.input);
    r.output_tokens = spec_.output.sample(lengths_.output);
    if (!spec_.priority_mix.empty()) r.priority = draw_priority();
    return r;
  }

  bool exhausted() const override { return static_cast<int64_t>(issued_) >= spec_.requests; }

  int32_t draw_priority() {
    double u = priority_.uniform() * mix_total_;
    for (size_t i = 0; i + 1 < spec_.priority_mix.size(); ++i) {
      u -= spec_.priority_mix[i];
      if (u < 0) return static_cast<int32_t>(i);
    }
    return static_cast<int32_t>(spec_.priority_mix.size() - 1);
  }

  std::string describe() const override {
    std::string arrivals;
    switch (spec_.arrivals) {
      case ArrivalKind::kPoisson:
        arrivals = fmt::format("poisson {:g}/s", spec_.rate_per_s);
        break;
      case ArrivalKind::kGamma:
        arrivals = fmt::format("gamma {:g}/s cv {:g}", spec_.rate_per_s, spec_.cv);
        break;
      case ArrivalKind::kConstant:
        arrivals = fmt::format("constant {:g}/s", spec_.rate_per_s);
        break;
      case ArrivalKind::kOffline:
        arrivals = "offline (all at t=0)";
        break;
    }
    std::string classes;
    if (!spec_.priority_mix.empty()) {
      classes = fmt::format(", priority mix [{}]", fmt::join(spec_.priority_mix, ", "));
    }
    return fmt::format("{}, {} requests, input {}, output {}{}, seed {}", arrivals, spec_.requests,
                       spec_.input.spec(), spec_.output.spec(), classes, spec_.seed);
  }

 private:
  SyntheticSpec spec_;
  Rng arrivals_;
  LengthStreams lengths_;
  Rng priority_{spec_.seed, "priority"};
  double mix_total_ = 0;
  double gamma_shape_ = 1, gamma_scale_ = 1;
  uint64_t issued_ = 0;
  double time_s_ = 0;
};

class ClosedLoopSource final : public RequestSource {
 public:
  explicit ClosedLoopSource(const ClosedLoopSpec& spec) : spec_(spec), lengths_(spec.seed) {
    check_count(spec.requests);
    if (spec.users < 1 || spec.users > kMaxUsers) {
      throw ConfigError(fmt::format("closed loop users: expected 1 to {:g}, got {}",
                                    static_cast<double>(kMaxUsers), spec.users));
    }
    if (!in_range(spec.think_s, 0, kMaxThinkSeconds)) {
      throw ConfigError(fmt::format("closed loop think time: expected 0 to {:g} s, got {:g} s",
                                    kMaxThinkSeconds, spec.think_s));
    }
    for (int64_t i = 0; i < std::min(spec.users, spec.requests); ++i) ready_.push_back(0.0);
  }

  std::optional<Request> next() override {
    if (ready_.empty()) return std::nullopt;
    const double arrival = ready_.front();
    ready_.pop_front();
    const uint64_t id = issued_++;
    in_flight_.insert(id);
    Request r;
    r.id = id;
    r.arrival_s = arrival;
    r.input_tokens = spec_.input.sample(lengths_.input);
    r.output_tokens = spec_.output.sample(lengths_.output);
    return r;
  }

  bool exhausted() const override { return static_cast<int64_t>(issued_) >= spec_.requests; }

  void on_complete(const Request& request, double time_s) override {
    // Requests this source did not issue, or already completed, are ignored:
    // a double report must not grow the number of users.
    if (in_flight_.erase(request.id) == 0) return;
    const auto scheduled = static_cast<int64_t>(issued_ + ready_.size());
    if (scheduled >= spec_.requests) return;
    // Completions normally come in time order, so this appends; a sorted
    // insert keeps arrivals ordered even if they do not.
    const double arrival = time_s + spec_.think_s;
    ready_.insert(std::upper_bound(ready_.begin(), ready_.end(), arrival), arrival);
  }

  std::string describe() const override {
    return fmt::format(
        "closed loop, {} users, think {:g} s, {} requests, input {}, output {}, seed {}",
        spec_.users, spec_.think_s, spec_.requests, spec_.input.spec(), spec_.output.spec(),
        spec_.seed);
  }

 private:
  ClosedLoopSpec spec_;
  LengthStreams lengths_;
  std::deque<double> ready_;  // arrival times of scheduled, not yet issued requests
  std::unordered_set<uint64_t> in_flight_;
  uint64_t issued_ = 0;
};

}  // namespace

std::unique_ptr<RequestSource> make_synthetic_source(const SyntheticSpec& spec) {
  return std::make_unique<SyntheticSource>(spec);
}

std::unique_ptr<RequestSource> make_closed_loop_source(const ClosedLoopSpec& spec) {
  return std::make_unique<ClosedLoopSource>(spec);
}

}  // namespace jalapeno
