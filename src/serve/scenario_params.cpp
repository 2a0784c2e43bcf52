// The declared keys of a scenario file (read by read_scenario in
// serve/scenario.cpp): model, engine, system, routing, scheduler, workload,
// SLOs, precision, facility, power, cost, output and seed.
#include <optional>
#include <string>

#include "core/params.hpp"

namespace jalapeno {

const ParamKind& scenario_param_kind() {
  static const ParamKind kind{
      "scenario",
      "A serving run: model, engine, system, scheduler, workload, SLOs, prices and seed.",
      {
          // The model, the engine and the seed.
          {"model", ParamType::kString, std::nullopt, std::nullopt,
           "Model preset name, or a path to a Hugging Face config.json."},
          {"engine", ParamType::kNameOrMapping, std::nullopt, std::string("fused"),
           "Engine profile: a preset name, or an inline engine (e.g. {extends: vllm, ...}).",
           "engine"},
          {"seed", ParamType::kInteger, std::nullopt, std::string("1"),
           "Seed of every random stream of the run (arrivals, lengths, routing); 0 or more."},

          // system: the chips, the plan and the replicas.
          {"system", ParamType::kMapping, std::nullopt, std::nullopt,
           "The hardware, the parallel plan of each replica and the replicas."},
          {"system.hw", ParamType::kNameOrMapping, std::nullopt, std::nullopt,
           "A chip or system preset name, or an inline chip (e.g. {extends: h200-sxm, ...}).",
           "chip"},
          {"system.replicas", ParamType::kInteger, std::nullopt, std::string("1"),
           "Model replicas serving the workload, each with its own scheduler and KV cache."},
          {"system.router", ParamType::kString, std::nullopt, std::string("round-robin"),
           "How requests are spread over the replicas: round-robin, least-outstanding, "
           "least-kv, power-of-two or random."},
          {"system.systems", ParamType::kInteger, std::nullopt, std::string("(1)"),
           "Systems of the kind `hw` names that hold the replicas, each replica within one."},
          {"system.tp", ParamType::kInteger, std::nullopt, std::string("1"),
           "Tensor-parallel degree of each replica."},
          {"system.pp", ParamType::kInteger, std::nullopt, std::string("1"),
           "Pipeline-parallel stages of each replica."},
          {"system.ep", ParamType::kInteger, std::nullopt, std::string("1"),
           "Expert-parallel degree: an MoE model's experts spread whole over this many chips."},
          {"system.weights_in", ParamType::kString, std::nullopt,
           std::string("(the chip's main memory)"),
           "Where weights live: hbm, or sram (across the chips, KV cache in HBM); sram needs "
           "the chip's sram.bandwidth."},
          {"system.dp_attention", ParamType::kBoolean, std::nullopt, std::string("false"),
           "Run attention and the dense layers data-parallel over the expert-parallel chips."},
          {"system.all_to_all", ParamType::kString, std::nullopt, std::string("auto"),
           "MoE dispatch/combine mode: auto (low_latency for decode, normal otherwise), normal "
           "or low_latency."},
          {"system.topology", ParamType::kString, std::nullopt, std::string("(none)"),
           "A system preset whose network joins the chips of `hw`; absent, `hw` alone decides."},
          {"system.overlap", ParamType::kBoolean, std::nullopt, std::string("false"),
           "Hide communication behind compute (an upper bound: a step takes the longer)."},

          // routing: how MoE tokens pick experts.
          {"routing", ParamType::kMapping, std::nullopt, std::string("(uniform)"),
           "How MoE tokens pick experts and how experts are placed; absent, uniform picks."},
          {"routing.skew", ParamType::kNumber, std::nullopt, std::string("0"),
           "Power-law exponent of expert popularity (rank^-skew), 0 to 10; 0 is uniform."},
          {"routing.loads", ParamType::kString, std::nullopt, std::string("(none)"),
           "File of relative loads per routed expert (JSON list), relative to the scenario; "
           "replaces skew."},
          {"routing.redundant_experts", ParamType::kInteger, std::nullopt, std::string("0"),
           "Extra expert slots holding copies of the hottest experts."},
          {"routing.eplb", ParamType::kBoolean, std::nullopt, std::string("false"),
           "Place expert slots heaviest first on the least-loaded chip, as DeepSeek's EPLB."},

          // scheduler: each replica's batching.
          {"scheduler", ParamType::kMapping, std::nullopt, std::string("(defaults)"),
           "Each replica's batching, KV cache and preemption; absent, every default below."},
          {"scheduler.policy", ParamType::kString, std::nullopt, std::string("vllm"),
           "Scheduling policy: vllm, sarathi, trtllm, sglang or priority."},
          {"scheduler.max_sequences", ParamType::kInteger, std::nullopt, std::string("256"),
           "Most sequences in a batch (vLLM max_num_seqs)."},
          {"scheduler.max_batched_tokens", ParamType::kInteger, std::nullopt, std::string("8192"),
           "Most new tokens per step (vLLM max_num_batched_tokens)."},
          {"scheduler.block_size", ParamType::kInteger, std::nullopt, std::string("16"),
           "Tokens per KV-cache block."},
          {"scheduler.chunked_prefill", ParamType::kBoolean, std::nullopt, std::string("true"),
           "Split long prompts over steps to fit the token budget."},
          {"scheduler.preemption", ParamType::kString, std::nullopt, std::string("recompute"),
           "What a preempted sequence loses: recompute (its KV, redone later) or swap (KV "
           "moved to host memory)."},
          {"scheduler.swap_bandwidth", ParamType::kQuantity, Dimension::kBandwidth,
           std::string("50GB/s"), "Host link the swapped KV blocks move over."},
          {"scheduler.memory_utilization", ParamType::kFraction, std::nullopt, std::string("(0.9)"),
           "Share of HBM the engine may use (vLLM gpu_memory_utilization); absent, 0.9."},
          {"scheduler.prefix_caching", ParamType::kBoolean, std::nullopt, std::string("false"),
           "Share the KV blocks of common prompt prefixes, reference-counted and evicted least "
           "recently used (vLLM enable_prefix_caching; --prefix-caching)."},

          // workload: synthetic arrivals and lengths, or a trace.
          {"workload", ParamType::kMapping, std::nullopt, std::nullopt,
           "The requests: an arrival process with lengths and a count, or a trace."},
          {"workload.trace", ParamType::kMapping, std::nullopt, std::string("(none)"),
           "Replay a request trace instead of arrivals, lengths and requests."},
          {"workload.trace.path", ParamType::kString, std::nullopt, std::nullopt,
           "The trace CSV file, relative to the scenario."},
          {"workload.trace.speedup", ParamType::kNumber, std::nullopt, std::string("1"),
           "Factor the trace's arrival times are compressed by (2 replays twice as fast)."},
          {"workload.trace.loops", ParamType::kInteger, std::nullopt, std::string("1"),
           "Times the trace is replayed back to back."},
          {"workload.trace.max_requests", ParamType::kInteger, std::nullopt, std::string("0"),
           "Stop after this many requests; 0 replays the whole trace."},
          {"workload.arrivals", ParamType::kMapping, std::nullopt, std::nullopt,
           "The arrival process, exactly one of its keys; required without a trace."},
          {"workload.arrivals.poisson", ParamType::kQuantity, Dimension::kRate,
           std::string("(none)"), "Poisson arrivals at this mean rate."},
          {"workload.arrivals.constant", ParamType::kQuantity, Dimension::kRate,
           std::string("(none)"), "Arrivals evenly spaced at this rate."},
          {"workload.arrivals.gamma", ParamType::kMapping, std::nullopt, std::string("(none)"),
           "Gamma-distributed gaps between arrivals (bursty for cv above 1)."},
          {"workload.arrivals.gamma.rate", ParamType::kQuantity, Dimension::kRate, std::nullopt,
           "Mean arrival rate."},
          {"workload.arrivals.gamma.cv", ParamType::kNumber, std::nullopt, std::nullopt,
           "Coefficient of variation of the gaps, above zero (1 is Poisson)."},
          {"workload.arrivals.offline", ParamType::kBoolean, std::nullopt, std::string("(none)"),
           "true: every request arrives at time zero."},
          {"workload.arrivals.closed_loop", ParamType::kMapping, std::nullopt,
           std::string("(none)"),
           "Closed loop: each user sends its next request a think time after the last ends."},
          {"workload.arrivals.closed_loop.users", ParamType::kInteger, std::nullopt, std::nullopt,
           "Concurrent users, at least 1."},
          {"workload.arrivals.closed_loop.think", ParamType::kQuantity, Dimension::kTime,
           std::string("(0s)"), "Each user's pause between a response and its next request."},
          {"workload.requests", ParamType::kInteger, std::nullopt, std::nullopt,
           "Requests the run completes, at least 1; required without a trace."},
          {"workload.priority_mix", ParamType::kList, std::nullopt, std::string("(none)"),
           "Weights of the priority classes, class 0 (served first) first, e.g. [0.2, 0.8]; "
           "absent, one class."},
          {"workload.input_tokens", ParamType::kString, std::nullopt, std::nullopt,
           "Prompt lengths: N, uniform:LO:HI, normal:MEAN:SD[:MIN:MAX], "
           "lognormal:MEAN:SIGMA[:MAX] or file:PATH; required without a trace."},
          {"workload.output_tokens", ParamType::kString, std::nullopt, std::nullopt,
           "Output lengths, in the forms of input_tokens; required without a trace."},
          {"workload.agentic", ParamType::kMapping, std::nullopt, std::string("(none)"),
           "Sessions of dependent calls, each re-reading the session's context; replaces "
           "arrivals, requests and lengths."},
          {"workload.agentic.sessions", ParamType::kInteger, std::nullopt, std::nullopt,
           "Sessions (tasks) the run completes, at least 1."},
          {"workload.agentic.rate", ParamType::kQuantity, Dimension::kRate, std::string("(none)"),
           "Sessions begin as a Poisson process at this rate; or give concurrency."},
          {"workload.agentic.concurrency", ParamType::kInteger, std::nullopt, std::string("(none)"),
           "Sessions at once, a new one beginning when one ends; or give rate."},
          {"workload.agentic.calls", ParamType::kString, std::nullopt, std::nullopt,
           "Calls per session, in the forms of input_tokens."},
          {"workload.agentic.system_prompt_tokens", ParamType::kInteger, std::nullopt,
           std::string("0"), "Tokens of the system prompt every session's context starts with."},
          {"workload.agentic.system_prompts", ParamType::kInteger, std::nullopt, std::string("1"),
           "Distinct system prompts; each session draws one uniformly."},
          {"workload.agentic.first_tokens", ParamType::kString, std::nullopt, std::nullopt,
           "The first call's own prompt tokens, after the system prompt."},
          {"workload.agentic.new_tokens", ParamType::kString, std::nullopt, std::nullopt,
           "Tokens each later call adds to the context (a tool's result, the user's turn)."},
          {"workload.agentic.output_tokens", ParamType::kString, std::nullopt, std::nullopt,
           "Output tokens of each call."},
          {"workload.agentic.think", ParamType::kQuantity, Dimension::kTime, std::nullopt,
           "Mean time between a call's end and the session's next call (tool execution)."},
          {"workload.agentic.think_cv", ParamType::kNumber, std::nullopt, std::string("1"),
           "Coefficient of variation of the gamma-distributed think time; 0 makes it fixed."},
          {"workload.agentic.max_context_tokens", ParamType::kInteger, std::nullopt,
           std::string("32768"),
           "A session ends early when its next call's prompt and output would pass this."},

          // speculative: drafts checked by the target (serve/speculative.hpp).
          {"speculative", ParamType::kMapping, std::nullopt, std::string("(off)"),
           "Speculative decoding: a drafter proposes tokens the target verifies in one pass."},
          {"speculative.method", ParamType::kString, std::nullopt, std::nullopt,
           "The drafter: draft (a separate model), mtp (the model's MTP modules) or eagle (an "
           "EAGLE head)."},
          {"speculative.tokens", ParamType::kInteger, std::nullopt, std::nullopt,
           "Drafts proposed per verification, 1 to 64 (vLLM num_speculative_tokens)."},
          {"speculative.acceptance", ParamType::kNumber, std::nullopt,
           std::string("(or acceptance_by_position)"),
           "Probability in [0, 1] that a draft is accepted given the ones before it were."},
          {"speculative.acceptance_by_position", ParamType::kList, std::nullopt,
           std::string("(or acceptance)"),
           "The same per draft position, a list of up to `tokens` entries; the last repeats."},
          {"speculative.draft_model", ParamType::kString, std::nullopt,
           std::string("(method draft only)"),
           "The draft model: a preset or config.json with the target's vocabulary."},

          // slo: the targets goodput counts against.
          {"slo", ParamType::kMapping, std::nullopt, std::string("(none)"),
           "Latency targets that goodput is measured against; absent, none."},
          {"slo.ttft", ParamType::kQuantity, Dimension::kTime, std::string("0s"),
           "Time-to-first-token target; 0 sets none."},
          {"slo.tpot", ParamType::kQuantity, Dimension::kTime, std::string("0s"),
           "Time-per-output-token target; 0 sets none."},

          // precision: over the checkpoint's own quantization.
          {"precision", ParamType::kMapping, std::nullopt, std::string("(the checkpoint's)"),
           "Number formats over the checkpoint's own quantization_config, each part alone."},
          {"precision.weights", ParamType::kString, std::nullopt, std::string("(the checkpoint's)"),
           "Weight dtype (e.g. fp8_e4m3)."},
          {"precision.activations", ParamType::kString, std::nullopt,
           std::string("(the checkpoint's)"), "Activation dtype."},
          {"precision.kv", ParamType::kString, std::nullopt, std::string("(the checkpoint's)"),
           "KV-cache dtype."},
          {"precision.weight_group", ParamType::kInteger, std::nullopt,
           std::string("(the checkpoint's)"),
           "Weights per quantization scale; -1 per channel, 0 the format's default."},

          // Energy and cost, over the chip file's.
          {"facility", ParamType::kMapping, std::nullopt, std::string("(defaults)"),
           "The data centre: PUE, conversion efficiency, electricity price, life, utilisation.",
           "facility"},
          {"power", ParamType::kMapping, std::nullopt, std::string("(the chip's)"),
           "Power figures over the chip file's (limit and energies).", "power-override"},
          {"cost", ParamType::kMapping, std::nullopt, std::string("(the chip's)"),
           "Price and cost figures over the chip file's.", "cost-override"},

          // output: what the run records.
          {"output", ParamType::kMapping, std::nullopt, std::string("(defaults)"),
           "What the run records beyond its summary."},
          {"output.sample_interval", ParamType::kQuantity, Dimension::kTime, std::string("1s"),
           "Starting bucket of the per-replica time series (doubled as needed)."},
      }};
  return kind;
}

}  // namespace jalapeno
