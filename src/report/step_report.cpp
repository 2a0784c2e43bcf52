#include "report/step_report.hpp"

#include <fmt/format.h>

#include "core/units.hpp"

namespace jalapeno {

BatchSummary to_batch(const StepRequest& request, AttentionWindow window) {
  return request.phase == "prefill" ? prefill_batch(request.batch, request.tokens, window)
                                    : decode_batch(request.batch, request.context, window);
}

std::string format_step_table(const StepCostModel& model, const StepRequest& request,
                              const StepCost& step) {
  std::string out;
  const std::string shape =
      request.phase == "prefill"
          ? fmt::format("prefill of {} x {} tokens", request.batch, request.tokens)
          : fmt::format("decode of {} sequences at context {}", request.batch, request.context);
  const std::string plan_text = model.plan().chips_per_replica() > 1
                                    ? fmt::format(" ({}, per chip)", model.plan().describe())
                                    : std::string();
  out += fmt::format("{} on {}{} with {} ({} layers): {}\n", model.full_model().name,
                     model.chip().name, plan_text, model.engine().name, model.model().num_layers,
                     shape);
  if (model.model().precision.quantised()) {
    out += fmt::format("precision: {}\n", model.model().precision.describe());
  }
  out += fmt::format("{:<19} {:>6} {:>8} {:>11} {:>7} {:>10} {:>11} {:>10}  {}\n", "op", "count",
                     "kernels", "time", "share", "GFLOP", "MB", "energy", "bound");
  for (const OpCost& op : step.ops) {
    const std::string energy =
        step.energy ? format_quantity(op.joules, Dimension::kEnergy) : std::string("-");
    out += fmt::format("{:<19} {:>6} {:>8} {:>11} {:>6.1f}% {:>10.2f} {:>11.2f} {:>10}  {}{}\n",
                       op.name, op.count, op.kernels, format_quantity(op.seconds, Dimension::kTime),
                       100.0 * op.seconds / step.gpu_seconds, op.flops / 1e9, op.bytes / 1e6,
                       energy, to_string(op.bound), op.calibrated ? " (calibrated)" : "");
  }
  out +=
      fmt::format("step {} · {:.0f} tokens/s · {} kernels · {:.2f} GB weights + {:.2f} GB KV read",
                  format_quantity(step.seconds, Dimension::kTime),
                  static_cast<double>(step.tokens) / step.seconds, step.kernels,
                  step.weight_bytes / 1e9, step.kv_read_bytes / 1e9);
  if (step.energy) {
    const StepEnergy& e = *step.energy;
    out += fmt::format(
        " · {} ({}/token) at {:.0f} W", format_quantity(e.joules, Dimension::kEnergy),
        format_quantity(e.joules / static_cast<double>(step.tokens), Dimension::kEnergy),
        e.power_W);
    if (model.plan().chips_per_replica() > 1) {
      out += fmt::format(" over {} chips ({:.0f} W per working chip)",
                         model.plan().chips_per_replica(), e.chip_power_W);
    }
    if (e.clock < 1) {
      out += fmt::format(" · power-limited: clock at {:.0f}% to stay within {:.0f} W per chip",
                         100 * e.clock, model.chip().tdp_W);
    }
  } else {
    out += " · no energy: the chip file has no power model";
  }
  const ParallelPlan& plan = model.plan();
  if (plan.replicas > 1) {
    out +=
        fmt::format(" · {:.0f} tokens/s over {} replicas",
                    static_cast<double>(step.tokens * plan.replicas) / step.seconds, plan.replicas);
  }
  if (step.comm_seconds > 0) {
    out += fmt::format(" · {} communicating ({:.1f}%)",
                       format_quantity(step.comm_seconds, Dimension::kTime),
                       100 * step.comm_seconds / step.gpu_seconds);
  }
  if (step.host_seconds > step.gpu_seconds) {
    out += fmt::format(" · host-bound: {} of host time for {} of kernels",
                       format_quantity(step.host_seconds, Dimension::kTime),
                       format_quantity(step.gpu_seconds, Dimension::kTime));
  }
  if (step.host_step_seconds > 0) {
    out += fmt::format(
        " · {} of host work per step ({})",
        format_quantity(step.host_step_seconds, Dimension::kTime),
        model.engine().host_step_overlapped ? "overlapped with the GPU" : "the GPU waits for it");
  }
  if (plan.pp > 1) {
    out += fmt::format(
        "\npipeline: {} stages of {}; one batch alone leaves each stage idle {:.0f}% of the "
        "step (the bubble), which {} micro-batches in flight fill",
        plan.pp, format_quantity(step.stage_seconds, Dimension::kTime),
        100.0 * static_cast<double>(plan.pp - 1) / static_cast<double>(plan.pp), plan.pp);
  }
  out += "\n";
  return out;
}

nlohmann::ordered_json step_json(const StepCostModel& model, const StepRequest& request,
                                 const StepCost& step) {
  nlohmann::ordered_json j;
  j["schema"] = "jalapeno.step/1";
  j["model"] = model.full_model().name;
  j["hw"] = model.chip().name;
  j["engine"] = model.engine().name;
  j["layers"] = model.model().num_layers;
  const Precision& precision = model.model().precision;
  j["precision"] = {{"weights", to_string(precision.weights)},
                    {"activations", to_string(precision.activations)},
                    {"kv", to_string(precision.kv)},
                    {"weight_bytes_per_param", precision.weight_bytes_per_param()}};
  j["tp"] = model.plan().tp;
  j["ep"] = model.plan().ep;
  j["dp_attention"] = model.plan().dp_attention;
  j["pp"] = model.plan().pp;
  j["replicas"] = model.plan().replicas;
  j["phase"] = request.phase;
  j["batch"] = request.batch;
  if (request.phase == "prefill") {
    j["tokens_per_sequence"] = request.tokens;
  } else {
    j["ctx"] = request.context;
  }
  j["seconds"] = step.seconds;
  j["tokens_per_s"] = static_cast<double>(step.tokens) / step.seconds;
  j["gpu_seconds"] = step.gpu_seconds;
  j["host_seconds"] = step.host_seconds;
  j["host_step_seconds"] = step.host_step_seconds;
  j["comm_seconds"] = step.comm_seconds;
  j["stage_seconds"] = step.stage_seconds;
  j["pipeline_bubble"] =
      static_cast<double>(model.plan().pp - 1) / static_cast<double>(model.plan().pp);
  j["kernels"] = step.kernels;
  j["flops"] = step.flops;
  j["weight_bytes"] = step.weight_bytes;
  j["kv_read_bytes"] = step.kv_read_bytes;
  j["kv_write_bytes"] = step.kv_write_bytes;
  if (step.energy) {
    const StepEnergy& e = *step.energy;
    j["joules"] = e.joules;
    j["joules_per_token"] = e.joules / static_cast<double>(step.tokens);
    j["power_W"] = e.power_W;
    j["chip_power_W"] = e.chip_power_W;
    j["clock"] = e.clock;
    j["energy"] = {{"idle_J", e.parts.idle_J},       {"busy_J", e.parts.busy_J},
                   {"compute_J", e.parts.compute_J}, {"hbm_J", e.parts.hbm_J},
                   {"link_J", e.parts.link_J},       {"hbm_bytes", e.hbm_bytes},
                   {"link_bytes", e.link_bytes}};
  } else {
    for (const char* key :
         {"joules", "joules_per_token", "power_W", "chip_power_W", "clock", "energy"}) {
      j[key] = nullptr;
    }
  }
  auto& ops = j["ops"] = nlohmann::ordered_json::array();
  for (const OpCost& op : step.ops) {
    nlohmann::ordered_json joules = nullptr;
    if (step.energy) joules = op.joules;
    ops.push_back({{"name", op.name},
                   {"kind", to_string(op.kind)},
                   {"count", op.count},
                   {"kernels", op.kernels},
                   {"seconds", op.seconds},
                   {"share", op.seconds / step.gpu_seconds},
                   {"flops", op.flops},
                   {"bytes", op.bytes},
                   {"bound", to_string(op.bound)},
                   {"calibrated", op.calibrated},
                   {"joules", joules}});
  }
  return j;
}

}  // namespace jalapeno
