// Agentic sessions of dependent calls (workload/source.hpp, AgenticSpec).
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <unordered_map>

#include "core/error.hpp"
#include "workload/content.hpp"
#include "workload/source.hpp"

namespace jalapeno {
namespace {

constexpr int64_t kMaxSessions = 100000000;  // 1e8: the most requests one run simulates
constexpr int64_t kMaxConcurrency = 10000000;
constexpr int64_t kMaxSystemPrompts = 1000000;
constexpr double kMaxThinkSeconds = 3e7;  // about a year
constexpr double kMaxThinkCv = 100;

bool finite_in(double value, double lo, double hi) {
  return std::isfinite(value) && value >= lo && value <= hi;
}

class AgenticSource final : public RequestSource {
 public:
  explicit AgenticSource(const AgenticSpec& spec) : spec_(spec) {
    if (spec.sessions < 1 || spec.sessions > kMaxSessions) {
      throw ConfigError(fmt::format("agentic sessions: expected 1 to {:g}, got {}",
                                    static_cast<double>(kMaxSessions), spec.sessions));
    }
    if ((spec.rate_per_s > 0) == (spec.concurrency > 0)) {
      throw ConfigError(
          "agentic: expected exactly one of rate (sessions per second) and concurrency "
          "(sessions at once)");
    }
    if (spec.rate_per_s > 0 && !finite_in(spec.rate_per_s, 3e-8, 1e9)) {
      throw ConfigError(
          fmt::format("agentic rate: expected 3e-8 to 1e9 sessions per second, got "
                      "{:g}",
                      spec.rate_per_s));
    }
    if (spec.concurrency > kMaxConcurrency) {
      throw ConfigError(fmt::format("agentic concurrency: expected 1 to {:g}, got {}",
                                    static_cast<double>(kMaxConcurrency), spec.concurrency));
    }
    if (!finite_in(spec.think_s, 0, kMaxThinkSeconds)) {
      throw ConfigError(fmt::format("agentic think: expected 0 to {:g} s, got {:g} s",
                                    kMaxThinkSeconds, spec.think_s));
    }
    if (!finite_in(spec.think_cv, 0, kMaxThinkCv)) {
      throw ConfigError(fmt::format("agentic think_cv: expected 0 to {:g}, got {:g}", kMaxThinkCv,
                                    spec.think_cv));
    }
    if (spec.system_prompt_tokens < 0 || spec.system_prompt_tokens > kMaxRequestTokens) {
      throw ConfigError(fmt::format("agentic system_prompt_tokens: expected 0 to {}, got {}",
                                    kMaxRequestTokens, spec.system_prompt_tokens));
    }
    if (spec.system_prompts < 1 || spec.system_prompts > kMaxSystemPrompts) {
      throw ConfigError(fmt::format("agentic system_prompts: expected 1 to {}, got {}",
                                    kMaxSystemPrompts, spec.system_prompts));
    }
    if (spec.max_context_tokens < 2 || spec.max_context_tokens > kMaxRequestTokens) {
      throw ConfigError(fmt::format("agentic max_context_tokens: expected 2 to {}, got {}",
                                    kMaxRequestTokens, spec.max_context_tokens));
    }
    for (int64_t i = 0; i < std::min(spec.concurrency, spec.sessions); ++i) start_session(0);
  }

  std::optional<Request> next() override {
    // Open loop: the sessions that begin before the earliest scheduled call.
    while (spec_.rate_per_s > 0 && started_ < spec_.sessions &&
           (ready_.empty() || next_start_s_ <= ready_.begin()->first.first)) {
      start_session(next_start_s_);
      next_start_s_ += starts_.exponential(spec_.rate_per_s);
    }
    if (ready_.empty()) return std::nullopt;
    Request request = std::move(ready_.begin()->second);
    ready_.erase(ready_.begin());
    return request;
  }

  bool take_back(const Request& pending) override {
    const bool earlier_call = !ready_.empty() && ready_.begin()->first.first < pending.arrival_s;
    const bool earlier_start =
        spec_.rate_per_s > 0 && started_ < spec_.sessions && next_start_s_ < pending.arrival_s;
    if (!earlier_call && !earlier_start) return false;
    ready_.emplace(std::make_pair(pending.arrival_s, pending.id), pending);
    return true;
  }

  bool exhausted() const override {
    return started_ >= spec_.sessions && ready_.empty() && tasks_.empty();
  }

  void on_complete(const Request& request, double time_s) override {
    const auto call = calling_.find(request.id);
    if (call == calling_.end()) return;  // not this source's, or reported twice
    const int64_t session = call->second;
    calling_.erase(call);
    Task& task = tasks_.at(session);
    if (task.calls_left > 0) {
      // Everything so far, then what the tool or the user adds.
      const int64_t context = request.input_tokens + request.output_tokens;
      const int64_t added = spec_.new_tokens.sample(task.draws);
      const int64_t output = spec_.output.sample(task.draws);
      if (context + added + output <= spec_.max_context_tokens) {
        auto content = std::make_shared<const ContentSegments>(
            shared_prefix(task.content ? *task.content : ContentSegments{}, own_writer(request.id),
                          context, context));
        schedule(session, task, time_s + think(task.draws), context + added, output,
                 std::move(content));
        return;
      }
      ++cut_short_;
    }
    tasks_.erase(session);
    if (spec_.concurrency > 0 && started_ < spec_.sessions) start_session(time_s);
  }

  std::string describe() const override {
    const std::string starts = spec_.rate_per_s > 0
                                   ? fmt::format("poisson {:g} sessions/s", spec_.rate_per_s)
                                   : fmt::format("{} sessions at once", spec_.concurrency);
    std::string system;
    if (spec_.system_prompt_tokens > 0) {
      system = fmt::format(", system prompt {} tokens ({} distinct)", spec_.system_prompt_tokens,
                           spec_.system_prompts);
    }
    return fmt::format(
        "agentic, {} sessions, {}, calls {}{}, first {}, new {}, output {}, think {:g} s (cv "
        "{:g}), context <= {}, seed {}",
        spec_.sessions, starts, spec_.calls.spec(), system, spec_.first_tokens.spec(),
        spec_.new_tokens.spec(), spec_.output.spec(), spec_.think_s, spec_.think_cv,
        spec_.max_context_tokens, spec_.seed);
  }

 private:
  struct Task {
    // Its own stream for its lengths and think times: a session is the same
    // whatever order the simulation finishes calls in (with or without a
    // prefix cache, say).
    explicit Task(Rng rng) : draws(rng) {}
    Rng draws;
    int64_t calls_left = 0;                          // after the one scheduled or running
    std::shared_ptr<const ContentSegments> content;  // of its latest call
  };

  double think(Rng& rng) const {
    if (spec_.think_cv == 0 || spec_.think_s == 0) return spec_.think_s;
    const double shape = 1 / (spec_.think_cv * spec_.think_cv);
    return rng.gamma(shape, spec_.think_s / shape);
  }

  void start_session(double time_s) {
    const int64_t session = started_++;
    Task& task =
        tasks_.try_emplace(session, Rng(spec_.seed, fmt::format("agentic.session.{}", session)))
            .first->second;
    task.calls_left = spec_.calls.sample(task.draws);
    std::shared_ptr<const ContentSegments> content;
    if (spec_.system_prompt_tokens > 0) {
      const auto which = static_cast<uint64_t>(
          std::min<double>(prompt_.uniform() * static_cast<double>(spec_.system_prompts),
                           static_cast<double>(spec_.system_prompts - 1)));
      content = std::make_shared<const ContentSegments>(ContentSegments{
          {shared_writer(kSystemPromptContent, which), spec_.system_prompt_tokens}});
    }
    const int64_t input = spec_.system_prompt_tokens + spec_.first_tokens.sample(task.draws);
    schedule(session, task, time_s, input, spec_.output.sample(task.draws), std::move(content));
  }

  void schedule(int64_t session, Task& task, double arrival_s, int64_t input, int64_t output,
                std::shared_ptr<const ContentSegments> content) {
    Request request;
    request.id = next_id_++;
    request.arrival_s = arrival_s;
    request.input_tokens = input;
    request.output_tokens = output;
    request.session = session;
    request.content = std::move(content);
    task.content = request.content;
    task.calls_left -= 1;
    calling_.emplace(request.id, session);
    ready_.emplace(std::make_pair(arrival_s, request.id), std::move(request));
  }

  AgenticSpec spec_;
  Rng starts_{spec_.seed, "agentic.starts"};
  Rng prompt_{spec_.seed, "agentic.system_prompt"};
  // Calls scheduled and not yet handed out, in arrival order (ties by id).
  std::map<std::pair<double, uint64_t>, Request> ready_;
  std::unordered_map<uint64_t, int64_t> calling_;  // call id -> session, until it finishes
  std::unordered_map<int64_t, Task> tasks_;        // sessions begun and not ended
  int64_t started_ = 0;
  double next_start_s_ = 0;
  uint64_t next_id_ = 0;
  int64_t cut_short_ = 0;  // sessions ended by max_context_tokens
};

}  // namespace

std::unique_ptr<RequestSource> make_agentic_source(const AgenticSpec& spec) {
  return std::make_unique<AgenticSource>(spec);
}

}  // namespace jalapeno
