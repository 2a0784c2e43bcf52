#include "dse/plan_search.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "cost/step_cost.hpp"
#include "plan/hardware.hpp"
#include "report/serving_metrics.hpp"
#include "serve/replica.hpp"
#include "serve/scenario.hpp"
#include "serve/simulator.hpp"

namespace jalapeno {
namespace {

// The steady state of one replica with `per_micro_batch` decoding sequences
// in each of its pp micro-batches. Each request brings `input` prompt tokens
// for every `output` tokens it generates, so a step that decodes b sequences
// must also prefill b x input/output prompt tokens to keep the batch full:
// continuous batching runs them in the same (mixed) step. TPOT is that
// step's time; TTFT a prompt's wait for its chunks at that rate; and when the
// prefill share exceeds the token budget, prefill caps the throughput.
struct Operating {
  double tokens_per_s = 0;
  double tpot_s = 0;
  double ttft_s = 0;
  double replica_power_W = 0;  // the replica's chips, all micro-batches in flight
  bool has_power = false;
};

Operating operate(StepCostModel& cost, const PlanSearchSpec& spec, int64_t per_micro_batch) {
  const double b = static_cast<double>(per_micro_batch);
  const double in = static_cast<double>(spec.input_tokens);
  const double out = static_cast<double>(spec.output_tokens);
  const double budget = static_cast<double>(spec.max_batched_tokens) - b;
  const double prefill_needed = b * in / out;
  const double chunk = std::max(1.0, std::min(prefill_needed, budget));
  BatchSummary step = decode_batch(per_micro_batch, spec.input_tokens + spec.output_tokens / 2,
                                   cost.model().attention_window());
  // The chunk sits, on average, halfway through its prompt.
  add_to_summary(step, {static_cast<int64_t>(std::llround(chunk)),
                        std::max<int64_t>(0, spec.input_tokens / 2 -
                                                 static_cast<int64_t>(std::llround(chunk)) / 2)});
  Operating op;
  const StepTiming timing = cost.timing(step);
  op.tpot_s = timing.seconds;
  if (cost.chip().power) {
    // pp micro-batches share the step's time, each with its own work.
    const double pp = static_cast<double>(cost.plan().pp);
    const double chips = static_cast<double>(cost.plan().chips_per_replica());
    op.has_power = true;
    op.replica_power_W = chips * cost.chip().power->idle_W + pp * timing.dynamic_joules / op.tpot_s;
  }
  op.ttft_s = std::ceil(in / chunk) * op.tpot_s;
  // Sequences finish as fast as prompts are admitted, and no faster.
  const double decoding = std::min(b, chunk * out / in);
  op.tokens_per_s = static_cast<double>(cost.plan().pp) * decoding / op.tpot_s;
  return op;
}

}  // namespace

PlanResult evaluate_plan(const PlanSearchSpec& spec, const ModelSpec& model, const Hardware& hw,
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
  parallel.routing = spec.routing;
  // What plan_problems cannot see: the expert slots over the ep ranks.
  if (plan.ep > 1 && (model.moe.experts + spec.routing.redundant) % plan.ep != 0) {
    result.verdict = fmt::format("invalid: {} ranks do not divide the {} expert slots", plan.ep,
                                 model.moe.experts + spec.routing.redundant);
    return result;
  }
  StepCostModel cost(model, hw.chip, engine, parallel);
  SchedulerConfig config;
  config.max_sequences = spec.max_sequences;
  config.max_batched_tokens = spec.max_batched_tokens;
  config.memory_utilization = spec.memory_utilization;
  int64_t blocks = 0;
  try {
    blocks = kv_cache_blocks(cost, config);
  } catch (const InfeasibleError&) {
    result.verdict =
        fmt::format("weights do not fit: {:.1f} GB per chip on {:.3g} GB of {}",
                    cost.weight_bytes_per_chip() / 1e9, cost.weight_level().bytes / 1e9,
                    to_string(cost.weight_level().kind));
    return result;
  }
  // The requests whose caches fit: each takes its positions' blocks and its
  // recurrent state's (a model without attention: its state alone).
  const CacheLayout layout = cache_layout(cost, config);
  const int64_t per_request = spec.input_tokens + spec.output_tokens;
  const int64_t kv_tokens = layout.per_token ? blocks * config.block_size : 0;
  const int64_t blocks_per_request =
      layout.state_blocks +
      (layout.per_token ? (per_request + config.block_size - 1) / config.block_size : 0);
  const int64_t kv_limit = blocks / blocks_per_request;
  const int64_t limit = std::min(kv_limit, spec.max_sequences);
  if (limit < plan.pp) {
    result.verdict =
        layout.per_token
            ? fmt::format("KV cache holds {} tokens: too few for {} requests of {} tokens",
                          kv_tokens, plan.pp, per_request)
            : fmt::format("the cache holds {} sequences' states: too few for {} requests", blocks,
                          plan.pp);
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
  const StepCost step =
      cost.cost(decode_batch(per_micro_batch, spec.input_tokens, cost.model().attention_window()));
  result.batch = per_micro_batch * plan.pp;
  result.tpot_s = op.tpot_s;
  result.ttft_s = op.ttft_s;
  result.comm_share = step.comm_seconds / step.gpu_seconds;
  result.tokens_per_s = op.tokens_per_s * static_cast<double>(plan.replicas);
  result.tokens_per_s_per_chip = result.tokens_per_s / static_cast<double>(plan.chips());
  if (op.has_power) {
    const FacilitySpec& f = spec.facility;
    const double chips = static_cast<double>(plan.chips());
    const ChipCost chip_cost = hw.chip_cost().value_or(ChipCost{});
    const double it_W =
        op.replica_power_W * static_cast<double>(plan.replicas) + chips * hw.system_W_per_chip();
    const double facility_W = it_W / f.conversion_efficiency * f.pue;
    result.facility_power_W = facility_W;
    result.tokens_per_s_per_MW = result.tokens_per_s / (facility_W / 1e6);
    if (hw.chip.cost) {
      const double capex_per_s =
          chips * chip_cost.capex_usd(hw.chip.hbm_bytes) / (f.life_s * f.utilisation);
      const double energy_per_s = facility_W * f.usd_per_kWh / 3.6e6;
      result.usd_per_million_output_tokens =
          (capex_per_s + energy_per_s) / result.tokens_per_s * 1e6;
    }
  }
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

Scenario plan_scenario(const PlanSearchSpec& spec, const ParallelPlan& plan, int64_t requests) {
  Scenario s;
  s.model = spec.model;
  s.hw = spec.hw;
  s.topology = spec.topology;
  s.engine = spec.engine;
  s.plan = plan;
  s.plan.replicas = 1;
  s.routing = spec.routing;
  s.overlap = spec.overlap;
  s.precision = spec.precision;
  s.serve.scheduler.max_sequences = spec.max_sequences;
  s.serve.scheduler.max_batched_tokens = spec.max_batched_tokens;
  s.serve.scheduler.memory_utilization = spec.memory_utilization;
  s.slo.ttft_s = spec.slo_ttft_s;
  s.slo.tpot_s = spec.slo_tpot_s;
  s.synthetic.requests = requests;
  s.synthetic.input = LengthDistribution::fixed(spec.input_tokens);
  s.synthetic.output = LengthDistribution::fixed(spec.output_tokens);
  return s;
}

SimulatedPlan simulate_plan(const PlanSearchSpec& spec, const PlanResult& plan, int64_t requests,
                            double load) {
  Scenario s = plan_scenario(spec, plan.plan, requests);
  const double replica_tokens_per_s = plan.tokens_per_s / static_cast<double>(plan.plan.replicas);
  s.synthetic.rate_per_s = load * replica_tokens_per_s / static_cast<double>(spec.output_tokens);
  StepCostModel cost = make_scenario_cost_model(s);
  auto source = make_source(s);
  ServingMetrics metrics(1, s.slo, 10.0);
  Simulator sim(cost, s.serve, *source, metrics);
  sim.run();
  SimulatedPlan out;
  out.offered_requests_per_s = s.synthetic.rate_per_s;
  out.tokens_per_s_per_chip = static_cast<double>(metrics.output_tokens()) / metrics.end_s() /
                              static_cast<double>(plan.plan.chips_per_replica());
  out.ttft_p50_s = metrics.ttft().quantile(0.5);
  out.ttft_p90_s = metrics.ttft().quantile(0.9);
  out.ttft_p99_s = metrics.ttft().quantile(0.99);
  out.tpot_p50_s = metrics.tpot().quantile(0.5);
  out.tpot_p90_s = metrics.tpot().quantile(0.9);
  out.tpot_p99_s = metrics.tpot().quantile(0.99);
  out.goodput_fraction = metrics.completed() > 0 ? static_cast<double>(metrics.goodput_requests()) /
                                                       static_cast<double>(metrics.completed())
                                                 : 0;
  return out;
}

PlanSearchResult search_plans(const PlanSearchSpec& spec, size_t simulate_top, int64_t requests,
                              double load, size_t jobs) {
  const ModelSpec model = load_model(spec.model, std::nullopt, spec.precision);
  const Hardware hw = load_hardware(spec.hw, spec.topology);
  const EngineProfile engine = load_engine(spec.engine);
  if (spec.input_tokens < 1 || spec.output_tokens < 1) {
    throw ConfigError("--workload: expected input and output lengths of at least 1 token");
  }
  if (model.max_position_embeddings > 0 &&
      spec.input_tokens + spec.output_tokens > model.max_position_embeddings) {
    throw ConfigError(fmt::format(
        "--workload: {} + {} tokens per request is beyond {}'s max_position_embeddings ({})",
        spec.input_tokens, spec.output_tokens, model.name, model.max_position_embeddings));
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
  out.chips_per_rack = hw.rack ? hw.rack->chips_per_rack : 0;
  for (int64_t tp = 1; tp <= chips; ++tp) {
    for (int64_t pp = 1; tp * pp <= chips; ++pp) {
      ParallelPlan base;
      base.tp = tp;
      base.pp = pp;
      base.replicas = chips / (tp * pp);
      base.all_to_all = spec.all_to_all;
      // An MoE model's experts may also spread whole over the tp chips,
      // with attention tensor- or data-parallel (TP x EP x DP x PP).
      std::vector<ParallelPlan> variants{base}, placed_variants;
      if (model.moe.any() && tp > 1) {
        ParallelPlan ep = base;
        ep.ep = tp;
        variants.push_back(ep);
        ep.dp_attention = true;
        variants.push_back(ep);
      }
      // Where weights live: each level the chip can stream them from.
      for (const MemoryLevelKind level : {MemoryLevelKind::kHbm, MemoryLevelKind::kSram}) {
        if (!hw.chip.level(level) || (spec.weights_in && *spec.weights_in != level)) continue;
        for (ParallelPlan& plan : variants) plan.weights_in = level;
        placed_variants.insert(placed_variants.end(), variants.begin(), variants.end());
      }
      for (const ParallelPlan& plan : placed_variants) {
        if (spec.ep && plan.ep != *spec.ep) continue;
        if (spec.dp_attention_only && !plan.dp_attention) continue;
        // Plans that do not divide the model (or its expert slots) are
        // skipped quietly unless they are the powers of two people ask about.
        const bool power_of_two = (tp & (tp - 1)) == 0 && (pp & (pp - 1)) == 0;
        const bool slots_divide =
            plan.ep == 1 || (model.moe.experts + spec.routing.redundant) % plan.ep == 0;
        if (!power_of_two && (!slots_divide || !plan_problems(model, plan, chips).empty())) {
          continue;
        }
        out.plans.push_back(evaluate_plan(spec, model, hw, engine, plan));
      }
    }
  }
  const PlanObjective& objective = find_plan_objective(spec.objective);
  std::stable_sort(out.plans.begin(), out.plans.end(),
                   [&objective](const PlanResult& a, const PlanResult& b) {
                     if (a.meets_slos != b.meets_slos) return a.meets_slos;
                     const auto sa = objective.score(a), sb = objective.score(b);
                     if (sa.has_value() != sb.has_value()) return sa.has_value();
                     return sa.value_or(0) > sb.value_or(0);
                   });
  out.objective = objective.name;
  // The leading plans that meet the SLOs analytically, simulated on up to
  // `jobs` threads (each simulation builds its own cost model).
  size_t simulated = 0;
  while (simulated < out.plans.size() && simulated < simulate_top &&
         out.plans[simulated].meets_slos) {
    ++simulated;
  }
  parallel_for_index(simulated, jobs, [&](size_t i) {
    out.plans[i].simulated = simulate_plan(spec, out.plans[i], requests, load);
  });
  for (size_t i = 0; i < simulated; ++i) {
    PlanResult& p = out.plans[i];
    if (!p.simulated->meets_slos()) {
      p.verdict = fmt::format("misses the SLOs when served ({:.0f}% of requests within them)",
                              100 * p.simulated->goodput_fraction);
    }
  }
  // The simulation outranks the estimate where it ran: plans it shows
  // missing the SLOs go after the others, and for the tokens-per-chip
  // objective its throughput reorders them (the simulation measures no
  // power or cost, so the other objectives keep the estimate's order).
  const bool per_chip = objective.name == plan_objectives().front().name;
  std::stable_sort(out.plans.begin(), out.plans.begin() + static_cast<std::ptrdiff_t>(simulated),
                   [per_chip](const PlanResult& a, const PlanResult& b) {
                     if (a.simulated->meets_slos() != b.simulated->meets_slos()) {
                       return a.simulated->meets_slos();
                     }
                     return per_chip &&
                            a.simulated->tokens_per_s_per_chip > b.simulated->tokens_per_s_per_chip;
                   });
  return out;
}

const std::vector<PlanObjective>& plan_objectives() {
  static const std::vector<PlanObjective> objectives = {
      {"tokens-per-s-per-chip", "output tokens/s per chip",
       [](const PlanResult& p) -> std::optional<double> { return p.tokens_per_s_per_chip; }},
      {"tokens-per-s-per-MW", "output tokens/s per MW at the facility",
       [](const PlanResult& p) { return p.tokens_per_s_per_MW; }},
      {"usd-per-mtok", "dollars per million output tokens (lowest first)",
       [](const PlanResult& p) -> std::optional<double> {
         if (!p.usd_per_million_output_tokens) return std::nullopt;
         return -*p.usd_per_million_output_tokens;
       }},
  };
  return objectives;
}

const PlanObjective& find_plan_objective(const std::string& name) {
  std::string known;
  for (const PlanObjective& o : plan_objectives()) {
    if (o.name == name) return o;
    known += (known.empty() ? "" : ", ") + o.name;
  }
  throw ConfigError(fmt::format("--objective: unknown objective '{}' (expected {})", name, known));
}

nlohmann::ordered_json plan_result_json(const PlanResult& p) {
  const auto optional = [](const std::optional<double>& v) -> nlohmann::ordered_json {
    if (v) return *v;
    return nullptr;
  };
  nlohmann::ordered_json out = {
      {"tp", p.plan.tp},
      {"pp", p.plan.pp},
      {"ep", p.plan.ep},
      {"dp_attention", p.plan.dp_attention},
      {"weights_in", p.plan.weights_in ? nlohmann::ordered_json(to_string(*p.plan.weights_in))
                                       : nlohmann::ordered_json(nullptr)},
      {"replicas", p.plan.replicas},
      {"meets_slos", p.meets_slos},
      {"batch", p.batch},
      {"tpot_s", p.tpot_s},
      {"ttft_s", p.ttft_s},
      {"comm_share", p.comm_share},
      {"tokens_per_s", p.tokens_per_s},
      {"tokens_per_s_per_chip", p.tokens_per_s_per_chip},
      {"facility_power_W", optional(p.facility_power_W)},
      {"tokens_per_s_per_MW", optional(p.tokens_per_s_per_MW)},
      {"usd_per_million_output_tokens", optional(p.usd_per_million_output_tokens)},
      {"verdict", p.verdict}};
  if (p.simulated) {
    out["simulated"] = {{"offered_requests_per_s", p.simulated->offered_requests_per_s},
                        {"tokens_per_s_per_chip", p.simulated->tokens_per_s_per_chip},
                        {"ttft_p90_s", p.simulated->ttft_p90_s},
                        {"tpot_p90_s", p.simulated->tpot_p90_s},
                        {"goodput_fraction", p.simulated->goodput_fraction}};
  }
  return out;
}

std::string format_plan_table(const PlanSearchResult& result, size_t top) {
  const PlanObjective& objective = find_plan_objective(result.objective);
  std::string out = fmt::format("{} on {} chips of {}: plans by {}\n", result.model, result.chips,
                                result.system, objective.description);
  // The plan column as wide as its longest entry shown (26 at least).
  size_t width = 26;
  for (size_t i = 0; i < result.plans.size() && i < top; ++i) {
    width = std::max(width, result.plans[i].plan.describe().size());
  }
  out += fmt::format("{:>4} {:<{}} {:>6} {:>9} {:>10} {:>10} {:>12} {:>10} {:>8}  {}\n", "rank",
                     "plan", width, "batch", "TPOT ms", "TTFT ms", "tok/s/chip", "tok/s",
                     "tok/s/MW", "$/Mtok", "verdict");
  size_t rank = 0;
  for (const PlanResult& p : result.plans) {
    if (++rank > top) break;
    if (p.tokens_per_s > 0) {
      const std::string per_MW =
          p.tokens_per_s_per_MW ? fmt::format("{:.3g}", *p.tokens_per_s_per_MW) : "-";
      const std::string usd = p.usd_per_million_output_tokens
                                  ? fmt::format("{:.3f}", *p.usd_per_million_output_tokens)
                                  : "-";
      out += fmt::format(
          "{:>4} {:<{}} {:>6} {:>9.1f} {:>10.1f} {:>10.0f} {:>12.0f} {:>10} {:>8}  {}{}\n", rank,
          p.plan.describe(), width, p.batch, 1e3 * p.tpot_s, 1e3 * p.ttft_s,
          p.tokens_per_s_per_chip, p.tokens_per_s, per_MW, usd,
          !p.meets_slos || (p.simulated && !p.simulated->meets_slos()) ? "LOSES: "
          : rank == 1                                                  ? "WINS: "
                                                                       : "",
          p.verdict);
      if (p.simulated) {
        const SimulatedPlan& sim = *p.simulated;
        out += fmt::format(
            "{:>4} {:<{}} {:>6} {:>9.1f} {:>10.1f} {:>10.0f} {:>12} {:>10} {:>8}  simulated at "
            "{:.2f} "
            "requests/s per replica: p90 TPOT and TTFT shown, {:.0f}% within the SLOs\n",
            "", "  simulated", width, "", 1e3 * sim.tpot_p90_s, 1e3 * sim.ttft_p90_s,
            sim.tokens_per_s_per_chip, "", "", "", sim.offered_requests_per_s,
            100 * sim.goodput_fraction);
      }
    } else {
      out +=
          fmt::format("{:>4} {:<{}} {:>6} {:>9} {:>10} {:>10} {:>12} {:>10} {:>8}  LOSES: {}\n",
                      rank, p.plan.describe(), width, "-", "-", "-", "-", "-", "-", "-", p.verdict);
    }
  }
  if (result.plans.size() > top) {
    out += fmt::format("({} more plans; --top N shows more)\n", result.plans.size() - top);
  }
  return out;
}

}  // namespace jalapeno
