#include "dse/plan_search.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "cost/step_cost.hpp"
#include "plan/hardware.hpp"
#include "serve/replica.hpp"

namespace jalapeno {
namespace {

// Steady-state output tokens/s of one replica at `per_micro_batch` sequences
// in each of pp micro-batches: every request is prefilled once (in chunks of
// the token budget) and then decoded, prefill and decode taking turns on the
// pipeline. Returns {tokens/s, TPOT, TTFT}.
struct Operating {
  double tokens_per_s = 0;
  double tpot_s = 0;
  double ttft_s = 0;
  double comm_share = 0;
};

Operating operate(StepCostModel& cost, const PlanSearchSpec& spec, int64_t per_micro_batch) {
  const int64_t context = spec.input_tokens + spec.output_tokens / 2;
  const double pp = static_cast<double>(cost.plan().pp);
  Operating op;
  op.tpot_s = cost.seconds(decode_batch(per_micro_batch, context));
  const int64_t chunk = std::min(spec.input_tokens, spec.max_batched_tokens);
  const int64_t chunks = (spec.input_tokens + chunk - 1) / chunk;
  op.ttft_s = static_cast<double>(chunks) * cost.seconds(prefill_batch(1, chunk));
  const double decode_per_token = op.tpot_s / (pp * static_cast<double>(per_micro_batch));
  const double prefill_per_token = op.ttft_s / (pp * static_cast<double>(spec.output_tokens));
  op.tokens_per_s = 1.0 / (decode_per_token + prefill_per_token);
  return op;
}

PlanResult evaluate(const PlanSearchSpec& spec, const ModelSpec& model, const Hardware& hw,
                    const EngineProfile& engine, const ParallelPlan& plan) {
  PlanResult result;
  result.plan = plan;
  const auto problems = plan_problems(model, plan, hw.chips);
  if (!problems.empty()) {
    result.verdict = "invalid: " + problems.front();
    return result;
  }
  ParallelContext parallel;
  parallel.plan = plan;
  parallel.network = hw.network;
  parallel.overlap = spec.overlap;
  StepCostModel cost(model, hw.chip, engine, parallel);
  SchedulerConfig config;
  config.max_sequences = spec.max_sequences;
  config.max_batched_tokens = spec.max_batched_tokens;
  config.memory_utilization = spec.memory_utilization;
  int64_t kv_tokens = 0;
  try {
    kv_tokens = kv_cache_blocks(cost, config) * config.block_size;
  } catch (const InfeasibleError&) {
    result.verdict = fmt::format("weights do not fit: {:.1f} GB per chip on {:.0f} GB",
                                 cost.weight_bytes_per_chip() / 1e9, hw.chip.hbm_bytes / 1e9);
    return result;
  }
  const int64_t per_request = spec.input_tokens + spec.output_tokens;
  const int64_t kv_limit = kv_tokens / per_request;
  const int64_t limit = std::min(kv_limit, spec.max_sequences);
  if (limit < plan.pp) {
    result.verdict = fmt::format("KV cache holds {} tokens: too few for {} requests of {} tokens",
                                 kv_tokens, plan.pp, per_request);
    return result;
  }
  // TPOT grows with the batch: the largest micro-batch within the SLO.
  int64_t lo = 1, hi = limit / plan.pp;
  if (spec.slo_tpot_s > 0 && operate(cost, spec, 1).tpot_s > spec.slo_tpot_s) {
    result.batch = plan.pp;
    const Operating one = operate(cost, spec, 1);
    result.tpot_s = one.tpot_s;
    result.ttft_s = one.ttft_s;
    result.verdict = fmt::format("misses TPOT: {:.1f} ms even at batch 1", 1e3 * one.tpot_s);
    return result;
  }
  while (spec.slo_tpot_s > 0 && lo < hi) {
    const int64_t mid = (lo + hi + 1) / 2;
    if (operate(cost, spec, mid).tpot_s <= spec.slo_tpot_s) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  const int64_t per_micro_batch = spec.slo_tpot_s > 0 ? lo : limit / plan.pp;
  const Operating op = operate(cost, spec, per_micro_batch);
  const StepCost step = cost.cost(decode_batch(per_micro_batch, spec.input_tokens));
  result.batch = per_micro_batch * plan.pp;
  result.tpot_s = op.tpot_s;
  result.ttft_s = op.ttft_s;
  result.comm_share = step.comm_seconds / step.gpu_seconds;
  result.tokens_per_s = op.tokens_per_s * static_cast<double>(plan.replicas);
  result.tokens_per_s_per_chip = result.tokens_per_s / static_cast<double>(plan.chips());
  if (spec.slo_ttft_s > 0 && op.ttft_s > spec.slo_ttft_s) {
    result.verdict = fmt::format("misses TTFT: {:.0f} ms to prefill {} tokens", 1e3 * op.ttft_s,
                                 spec.input_tokens);
    return result;
  }
  result.meets_slos = true;
  const char* limiter = per_micro_batch * plan.pp == spec.max_sequences       ? "max sequences"
                        : per_micro_batch * plan.pp >= kv_limit - plan.pp + 1 ? "the KV cache"
                                                                              : "the TPOT SLO";
  result.verdict = fmt::format("batch {} set by {}; {:.0f}% of the step communicating",
                               result.batch, limiter, 100 * result.comm_share);
  return result;
}

}  // namespace

PlanSearchResult search_plans(const PlanSearchSpec& spec) {
  const ModelSpec model = load_model(spec.model);
  const Hardware hw = load_hardware(spec.hw, spec.topology);
  const EngineProfile engine = load_engine(spec.engine);
  if (spec.input_tokens < 1 || spec.output_tokens < 1) {
    throw ConfigError("--workload: expected input and output lengths of at least 1 token");
  }
  const int64_t chips = spec.chips > 0 ? spec.chips : hw.chips;
  if (chips > hw.chips) {
    throw ConfigError(fmt::format("--chips: {} asked for but {} has {}", chips,
                                  hw.system_name.empty() ? hw.chip.name : hw.system_name,
                                  hw.chips));
  }
  if (chips > 1 && !hw.network) {
    throw ConfigError(
        fmt::format("--chips {}: {} is one chip; name a system as --hw, or give "
                    "--topology",
                    chips, hw.chip.name));
  }
  PlanSearchResult out;
  out.model = model.name;
  out.system = hw.system_name.empty() ? hw.chip.name : hw.system_name;
  out.chips = chips;
  for (int64_t tp = 1; tp <= chips; ++tp) {
    for (int64_t pp = 1; tp * pp <= chips; ++pp) {
      ParallelPlan plan{tp, pp, chips / (tp * pp)};
      // Plans that do not divide the model are skipped quietly unless they
      // are the powers of two people ask about.
      const bool power_of_two = (tp & (tp - 1)) == 0 && (pp & (pp - 1)) == 0;
      if (!power_of_two && !plan_problems(model, plan, chips).empty()) continue;
      out.plans.push_back(evaluate(spec, model, hw, engine, plan));
    }
  }
  std::stable_sort(out.plans.begin(), out.plans.end(),
                   [](const PlanResult& a, const PlanResult& b) {
                     if (a.meets_slos != b.meets_slos) return a.meets_slos;
                     return a.tokens_per_s_per_chip > b.tokens_per_s_per_chip;
                   });
  return out;
}

std::string format_plan_table(const PlanSearchResult& result, size_t top) {
  std::string out = fmt::format("{} on {} chips of {}: plans by output tokens/s per chip\n",
                                result.model, result.chips, result.system);
  out += fmt::format("{:>4} {:<26} {:>6} {:>9} {:>10} {:>10} {:>12}  {}\n", "rank", "plan", "batch",
                     "TPOT ms", "TTFT ms", "tok/s/chip", "tok/s", "verdict");
  size_t rank = 0;
  for (const PlanResult& p : result.plans) {
    if (++rank > top) break;
    if (p.tokens_per_s > 0) {
      out += fmt::format("{:>4} {:<26} {:>6} {:>9.1f} {:>10.1f} {:>10.0f} {:>12.0f}  {}{}\n", rank,
                         p.plan.describe(), p.batch, 1e3 * p.tpot_s, 1e3 * p.ttft_s,
                         p.tokens_per_s_per_chip, p.tokens_per_s,
                         !p.meets_slos ? "LOSES: "
                         : rank == 1   ? "WINS: "
                                       : "",
                         p.verdict);
    } else {
      out += fmt::format("{:>4} {:<26} {:>6} {:>9} {:>10} {:>10} {:>12}  LOSES: {}\n", rank,
                         p.plan.describe(), "-", "-", "-", "-", "-", p.verdict);
    }
  }
  if (result.plans.size() > top) {
    out += fmt::format("({} more plans; --top N shows more)\n", result.plans.size() - top);
  }
  return out;
}

}  // namespace jalapeno
