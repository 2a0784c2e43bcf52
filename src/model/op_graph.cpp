#include "model/op_graph.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "model/routing.hpp"

namespace jalapeno {

std::string_view to_string(OpKind kind) {
  switch (kind) {
    case OpKind::kEmbedding:
      return "embedding";
    case OpKind::kNorm:
      return "norm";
    case OpKind::kGemm:
      return "gemm";
    case OpKind::kRope:
      return "rope";
    case OpKind::kKvWrite:
      return "kv_write";
    case OpKind::kAttentionDecode:
      return "attention_decode";
    case OpKind::kAttentionPrefill:
      return "attention_prefill";
    case OpKind::kResidual:
      return "residual";
    case OpKind::kActivation:
      return "activation";
    case OpKind::kSampling:
      return "sampling";
    case OpKind::kRouting:
      return "routing";
    case OpKind::kConv:
      return "conv";
    case OpKind::kScan:
      return "scan";
    case OpKind::kCollective:
      return "collective";
  }
  return "?";
}

static_assert(static_cast<size_t>(OpKind::kCollective) + 1 == kOpKindCount,
              "kOpKindCount must count every OpKind (kCollective stays last)");

namespace {

// A projection in the model's precision, or (quantised = false) in the
// hidden dtype throughout. A bias stays in the hidden dtype.
Op gemm(std::string_view name, int64_t count, int64_t m, int64_t k, int64_t n,
        const ModelSpec& model, bool quantised, bool bias) {
  const Precision& p = model.precision;
  const double hidden = model.bytes_per_param;
  Op op{name, OpKind::kGemm, count};
  op.m = m;
  op.k = k;
  op.n = n;
  op.quantised = quantised;
  op.input_element_bytes = quantised ? p.activation_bytes() : hidden;
  op.weight_element_bytes = quantised ? p.weight_bytes_per_param() : hidden;
  op.output_element_bytes = hidden;
  op.flops = 2.0 * static_cast<double>(m) * static_cast<double>(k) * static_cast<double>(n);
  op.weight_bytes = static_cast<double>(k * n) * op.weight_element_bytes +
                    static_cast<double>(bias ? n : 0) * hidden;
  op.activation_bytes = static_cast<double>(m * k) * op.input_element_bytes +
                        static_cast<double>(m * n) * op.output_element_bytes;
  op.elements = static_cast<double>(m * n);
  return op;
}

// `problems` independent GEMMs of the same shape (one per attention head),
// as one batched kernel.
Op batched_gemm(std::string_view name, int64_t count, int64_t problems, int64_t m, int64_t k,
                int64_t n, const ModelSpec& model, bool quantised) {
  Op op = gemm(name, count, m, k, n, model, quantised, false);
  const auto p = static_cast<double>(problems);
  op.problems = problems;
  op.flops *= p;
  op.weight_bytes *= p;
  op.activation_bytes *= p;
  op.elements *= p;
  return op;
}

// Experts a batch of `tokens` reaches when each picks `top_k` of `experts`
// uniformly (routers are trained to balance their load): the expectation
// E (1 - (1 - k/E)^T), rounded, at least top_k and at most E.
int64_t experts_hit(int64_t experts, int64_t top_k, int64_t tokens) {
  const double e = static_cast<double>(experts);
  const double missed = std::pow(1.0 - static_cast<double>(top_k) / e, static_cast<double>(tokens));
  const auto hit = static_cast<int64_t>(std::llround(e * (1.0 - missed)));
  return std::clamp<int64_t>(hit, std::min(top_k, experts), experts);
}

// An MoE layer's expert projection as one grouped GEMM: the experts hit,
// each over its share of the tokens' top_k assignments; only their weights
// are read.
Op expert_gemm(std::string_view name, int64_t count, int64_t tokens, int64_t k, int64_t n,
               const ModelSpec& model, const RankLoad* load) {
  const MoeSpec& moe = model.moe;
  if (load != nullptr) {
    // The most loaded rank's expected tokens over its expected experts hit.
    const double hit_expected = std::max(load->experts_hit, 1e-9);
    const auto hit = std::max<int64_t>(1, std::llround(hit_expected));
    const auto rows = static_cast<int64_t>(std::ceil(load->assignments / hit_expected));
    Op op = gemm(name, count, std::max<int64_t>(rows, 1), k, n, model, true, false);
    op.problems = hit;
    op.weight_element_bytes = model.precision.expert_weight_bytes_per_param();
    const double a = load->assignments;
    op.flops = 2.0 * a * static_cast<double>(k) * static_cast<double>(n);
    const double bias = moe.biased ? static_cast<double>(n) * model.bytes_per_param : 0;
    op.weight_bytes = hit_expected * (static_cast<double>(k * n) * op.weight_element_bytes + bias);
    op.activation_bytes = a * (static_cast<double>(k) * op.input_element_bytes +
                               static_cast<double>(n) * op.output_element_bytes);
    op.elements = a * static_cast<double>(n);
    return op;
  }
  const int64_t assignments = tokens * moe.top_k;
  const int64_t hit = experts_hit(moe.experts, moe.top_k, tokens);
  Op op = gemm(name, count, (assignments + hit - 1) / hit, k, n, model, true, false);
  op.problems = hit;
  op.weight_element_bytes = model.precision.expert_weight_bytes_per_param();
  const auto a = static_cast<double>(assignments);
  op.flops = 2.0 * a * static_cast<double>(k) * static_cast<double>(n);
  const double bias = moe.biased ? static_cast<double>(n) * model.bytes_per_param : 0;
  op.weight_bytes =
      static_cast<double>(hit) * (static_cast<double>(k * n) * op.weight_element_bytes + bias);
  op.activation_bytes = a * (static_cast<double>(k) * op.input_element_bytes +
                             static_cast<double>(n) * op.output_element_bytes);
  op.elements = a * static_cast<double>(n);
  return op;
}

// An elementwise op reading `reads` and writing `writes` tensors of
// `elements` each.
Op elementwise(std::string_view name, OpKind kind, int64_t count, double elements, double reads,
               double writes, double dtype_bytes) {
  Op op{name, kind, count};
  op.elements = elements;
  op.activation_bytes = elements * (reads + writes) * dtype_bytes;
  op.flops = elements * 4;
  return op;
}

}  // namespace

namespace {

// Decode attention in `layers` layers over `positions` cached positions of
// all sequences, split into `blocks` for a flash kernel.
Op decode_attention(std::string_view name, const ModelSpec& model, const BatchSummary& batch,
                    int64_t layers, int64_t positions, int64_t blocks) {
  return decode_attention_op(decode_attention_shape(model, name, layers), positions, blocks,
                             batch.decode_sequences);
}

// Prefill attention in `layers` layers: `pairs` (query, key) pairs under the
// causal mask (and window), reading `kv_positions` positions of which the
// new tokens' are in the activations.
Op prefill_attention(std::string_view name, const ModelSpec& model, const BatchSummary& batch,
                     int64_t layers, int64_t pairs, int64_t kv_positions) {
  const double b = model.bytes_per_param;
  const double kv_row =
      static_cast<double>(model.kv_elements_per_layer()) * model.precision.kv_bytes();
  const auto heads = static_cast<double>(model.num_heads);
  const auto new_tokens = static_cast<double>(batch.prefill_tokens);
  const auto cached = static_cast<double>(kv_positions - batch.prefill_tokens);
  Op attn{name, OpKind::kAttentionPrefill, layers};
  attn.attended = pairs;
  // Flash attention reads cached K and V once per tile of queries; the new
  // ones are in the activations.
  attn.kv_read_bytes = cached * kv_row;
  attn.elements = static_cast<double>(pairs) * heads;
  if (!model.mla.any()) {
    const double qk_width = static_cast<double>(model.num_heads * model.head_dim);
    attn.flops = 4.0 * static_cast<double>(pairs) * qk_width;
    attn.activation_bytes =
        new_tokens * (2.0 * qk_width + 2.0 * static_cast<double>(model.kv_dim())) * b;
    return attn;
  }
  // MLA prefill runs as multi-head attention on keys and values projected up
  // from the latents (the new tokens' by kv_b_proj, a linear op; a cached
  // context's here, with kv_b_proj's weights), as vLLM and SGLang do.
  const MlaSpec& m = model.mla;
  const auto qk = static_cast<double>(m.qk_head_dim());
  const auto v = static_cast<double>(m.v_head_dim);
  const double up_width = heads * static_cast<double>(m.nope_head_dim + m.v_head_dim);
  attn.flops = 2.0 * static_cast<double>(pairs) * heads * (qk + v) +
               2.0 * cached * static_cast<double>(m.kv_lora_rank) * up_width;
  // q, the new keys and values, and the output; a cached context's keys and
  // values written once and read back.
  attn.activation_bytes =
      new_tokens * heads * (2.0 * qk + 2.0 * v) * b + 2.0 * cached * up_width * b;
  if (cached > 0) {
    attn.weight_bytes =
        static_cast<double>(m.kv_lora_rank) * up_width * model.precision.weight_bytes_per_param();
  }
  return attn;
}

}  // namespace

DecodeAttentionShape decode_attention_shape(const ModelSpec& model, std::string_view name,
                                            int64_t layers) {
  const AttentionGeometry g = decode_geometry(model);
  DecodeAttentionShape shape;
  shape.name = name;
  shape.layers = layers;
  // What a position caches (K and V, or MLA's latent), in the cache's format.
  shape.kv_row = static_cast<double>(model.kv_elements_per_layer()) * model.precision.kv_bytes();
  shape.heads = static_cast<double>(model.num_heads);
  shape.qk_v = static_cast<double>(g.qk_dim + g.v_dim);
  shape.hidden_bytes = model.bytes_per_param;
  return shape;
}

DecodeAttentionShape full_decode_attention_shape(const ModelSpec& model) {
  return decode_attention_shape(model, "attention_decode",
                                model.attention_layers() - model.sliding_layers);
}

DecodeAttentionShape window_decode_attention_shape(const ModelSpec& model) {
  return decode_attention_shape(model, "attn_window_decode", model.sliding_layers);
}

Op attention_decode_op(const ModelSpec& model, const BatchSummary& batch) {
  return decode_attention("attention_decode", model, batch,
                          model.attention_layers() - model.sliding_layers,
                          batch.decode_kv_positions, batch.decode_kv_blocks);
}

Op attention_prefill_op(const ModelSpec& model, const BatchSummary& batch) {
  return prefill_attention("attention_prefill", model, batch,
                           model.attention_layers() - model.sliding_layers, batch.prefill_pairs,
                           batch.prefill_kv_positions);
}

Op attention_decode_window_op(const ModelSpec& model, const BatchSummary& batch) {
  return decode_attention("attn_window_decode", model, batch, model.sliding_layers,
                          batch.decode_window_positions, batch.decode_window_blocks);
}

Op attention_prefill_window_op(const ModelSpec& model, const BatchSummary& batch) {
  return prefill_attention("attn_window_prefill", model, batch, model.sliding_layers,
                           batch.prefill_window_pairs, batch.prefill_window_kv_positions);
}

void throw_attention_window_mismatch() {
  throw std::logic_error("a batch summarised for another attention window");
}

namespace {

// The new tokens' cache entries: read in the hidden dtype, written in the
// cache's.
Op kv_write_op(const ModelSpec& model, int64_t tokens) {
  Op kv_write =
      elementwise("kv_write", OpKind::kKvWrite, model.attention_layers(),
                  static_cast<double>(tokens) * static_cast<double>(model.kv_elements_per_layer()),
                  1, 0, model.bytes_per_param);
  kv_write.kv_write_bytes = kv_write.elements * model.precision.kv_bytes();
  kv_write.flops = 0;
  return kv_write;
}

// Multi-head latent attention's projections and attention. Decode tokens
// take the absorbed form (DeepSeek-V2 paper, section 2.1.2; vLLM's and
// SGLang's MLA decode): each head's query is turned into the latent space
// (q_absorb, W_UK), attention runs over the cached latents as one shared
// key and value, and the result leaves it per head (v_absorb, W_UV); the
// absorbed weights are the hidden dtype, as those engines keep them.
// Prefill tokens project their latents up to keys and values (kv_b_proj)
// and attend as multi-head attention.
void add_latent_attention_ops(std::vector<Op>& ops, const ModelSpec& model,
                              const BatchSummary& batch) {
  const MlaSpec& m = model.mla;
  const int64_t L = model.attention_layers();
  const int64_t T = batch.tokens;
  const int64_t heads = model.num_heads;
  const double b = model.bytes_per_param;
  const auto tokens = static_cast<double>(T);
  // An RMSNorm over a latent of `width` per token.
  const auto latent_norm = [&](std::string_view name, int64_t width) {
    Op op = elementwise(name, OpKind::kNorm, L, tokens * static_cast<double>(width), 1, 1, b);
    op.weight_bytes = static_cast<double>(width) * b;
    return op;
  };
  int64_t q_in = model.hidden_size;
  if (m.q_lora_rank > 0) {
    ops.push_back(gemm("q_a_proj", L, T, model.hidden_size, m.q_lora_rank, model, true, false));
    ops.push_back(latent_norm("q_a_norm", m.q_lora_rank));
    q_in = m.q_lora_rank;
  }
  ops.push_back(gemm(m.q_lora_rank > 0 ? "q_b_proj" : "q_proj", L, T, q_in, heads * m.qk_head_dim(),
                     model, true, false));
  ops.push_back(gemm("kv_a_proj", L, T, model.hidden_size, m.latent(), model, true, false));
  ops.push_back(latent_norm("kv_a_norm", m.kv_lora_rank));
  ops.push_back(elementwise("rope", OpKind::kRope, L,
                            tokens * static_cast<double>((heads + 1) * m.rope_head_dim), 1, 1, b));
  ops.push_back(kv_write_op(model, T));
  const int64_t decode = batch.decode_sequences;
  const int64_t prefill = batch.prefill_tokens;
  if (prefill > 0) {
    ops.push_back(gemm("kv_b_proj", L, prefill, m.kv_lora_rank,
                       heads * (m.nope_head_dim + m.v_head_dim), model, true, false));
  }
  if (decode > 0) {
    ops.push_back(
        batched_gemm("q_absorb", L, heads, decode, m.nope_head_dim, m.kv_lora_rank, model, false));
  }
  for_each_attention_op(model, batch, [&ops](const Op& attn) { ops.push_back(attn); });
  if (decode > 0) {
    ops.push_back(
        batched_gemm("v_absorb", L, heads, decode, m.kv_lora_rank, m.v_head_dim, model, false));
  }
}

}  // namespace

namespace {

// Grouped-query (or multi-head) attention's projections and attention.
void add_attention_ops(std::vector<Op>& ops, const ModelSpec& model, const BatchSummary& batch) {
  const int64_t A = model.attention_layers();
  const int64_t T = batch.tokens;
  const double b = model.bytes_per_param;
  const auto tokens = static_cast<double>(T);
  // Qwen3-Next's q_proj also yields a gate per query element.
  const int64_t gate = model.attention_output_gate ? model.q_dim() : 0;
  ops.push_back(gemm("qkv_proj", A, T, model.hidden_size, model.qkv_dim() + gate, model, true,
                     model.qkv_bias));
  const int64_t rotary = A - model.nope_layers;
  if (rotary > 0) {
    ops.push_back(elementwise("rope", OpKind::kRope, rotary,
                              tokens * static_cast<double>(model.q_dim() + model.kv_dim()), 1, 1,
                              b));
  }
  ops.push_back(kv_write_op(model, T));
  for_each_attention_op(model, batch, [&ops](const Op& attn) { ops.push_back(attn); });
  if (gate > 0) {
    ops.push_back(elementwise("attn_gate", OpKind::kActivation, A,
                              tokens * static_cast<double>(gate), 2, 1, b));
  }
}

// Work per state element of one token's update: Mamba's decay, input and
// output contraction (h = dA h + dB x, y = C h: 5 flops); the delta rule's
// decay, S k, rank-one correction and output (7).
double scan_flops_per_state_element(RecurrentKind kind) {
  return kind == RecurrentKind::kGatedDeltaNet ? 7 : 5;
}

// A recurrent layer's ops (Mamba, Mamba-2, Gated DeltaNet), as vLLM and
// SGLang run them: the input projection, the causal convolution, the scan,
// the gated norm (Mamba-1: the gate) and the output projection. Its state is
// the sequence's memory: decode reads and writes it whole once per token,
// flat in context; a prefill chunk writes it at its end (and reads it when
// resuming), and a chunked scan also writes and reads each chunk's state in
// fp32 (Mamba-2's SSD kernels, arXiv 2405.21060 section 7; fla's chunked
// delta rule).
void add_recurrent_ops(std::vector<Op>& ops, const ModelSpec& model, const BatchSummary& batch) {
  const RecurrentSpec& r = model.recurrent;
  const int64_t R = model.recurrent_layers;
  const int64_t T = batch.tokens;
  const double b = model.bytes_per_param;
  const auto tokens = static_cast<double>(T);
  const int64_t inner = r.inner();
  ops.push_back(
      gemm("ssm_in_proj", R, T, model.hidden_size, r.in_proj_width(), model, true, false));
  if (r.kind == RecurrentKind::kMamba) {
    // dt's low rank, B and C from x; dt back up to every channel.
    Op x_proj = gemm("ssm_x_proj", R, T, inner, r.dt_rank + 2 * r.qk_dim, model, true, false);
    x_proj.tp_reduction = "ssm_x_allreduce";  // x is split over the chips
    ops.push_back(x_proj);
    ops.push_back(gemm("ssm_dt_proj", R, T, r.dt_rank, inner, model, true, false));
  }
  const auto sequences = static_cast<double>(batch.decode_sequences + batch.prefill_sequences);
  const auto resumed = static_cast<double>(batch.decode_sequences + batch.prefill_resumed);
  const auto channels = static_cast<double>(r.conv_channels());
  Op conv = elementwise("ssm_conv", OpKind::kConv, R, tokens * channels, 1, 1, b);
  conv.flops = tokens * channels * 2.0 * static_cast<double>(r.conv_kernel);
  conv.weight_bytes = static_cast<double>(r.conv_channels() * r.conv_kernel) * b;
  const double conv_state = static_cast<double>(r.conv_state_elements()) * b;
  conv.kv_read_bytes = resumed * conv_state;
  conv.kv_write_bytes = sequences * conv_state;
  ops.push_back(conv);

  const auto state = static_cast<double>(r.ssm_state_elements());
  const double per_element = scan_flops_per_state_element(r.kind);
  Op scan{"ssm_scan", OpKind::kScan, R};
  // Per token: x, B and C (or q, k, v), dt, and the output.
  const double per_token = static_cast<double>(2 * inner + 2 * r.qk_heads * r.qk_dim + r.v_heads);
  scan.activation_bytes = tokens * per_token * b;
  scan.elements = tokens * static_cast<double>(inner);
  scan.kv_read_bytes = resumed * state * b;
  scan.kv_write_bytes = sequences * state * b;
  const auto decode_tokens = static_cast<double>(batch.decode_sequences);
  const auto prefill_tokens = static_cast<double>(batch.prefill_tokens);
  scan.flops = decode_tokens * per_element * state;
  if (batch.prefill_sequences > 0) {
    if (r.chunk > 0) {
      // Within a chunk, each token against the earlier ones (half a chunk on
      // average under the causal mask) over the keys and values; across
      // chunks, through the state: into it and out of it.
      const double length = prefill_tokens / static_cast<double>(batch.prefill_sequences);
      const double within = 0.5 * std::min(static_cast<double>(r.chunk), length);
      const auto widths = static_cast<double>(r.qk_heads * r.qk_dim + inner);
      scan.flops += prefill_tokens * (2.0 * within * widths + 4.0 * state);
      const double chunks = std::ceil(prefill_tokens / static_cast<double>(r.chunk)) +
                            static_cast<double>(batch.prefill_sequences);
      scan.activation_bytes += 2.0 * chunks * state * 4.0;  // fp32 chunk states out and back
      scan.matrix_scan = true;
    } else {
      scan.flops += prefill_tokens * per_element * state;
    }
  }
  ops.push_back(scan);
  if (r.kind == RecurrentKind::kMamba) {
    ops.push_back(elementwise("ssm_gate", OpKind::kActivation, R,
                              tokens * static_cast<double>(inner), 2, 1, b));
  } else {
    Op norm =
        elementwise("ssm_norm", OpKind::kNorm, R, tokens * static_cast<double>(inner), 2, 1, b);
    norm.weight_bytes = static_cast<double>(r.kind == RecurrentKind::kMamba2 ? inner : r.v_dim) * b;
    ops.push_back(norm);
  }
  Op out = gemm("ssm_out_proj", R, T, inner, model.hidden_size, model, true, false);
  out.tp_reduction = "ssm_allreduce";
  ops.push_back(out);
}

}  // namespace

std::vector<Op> build_step_ops(const ModelSpec& model, const BatchSummary& batch,
                               const RankLoad* experts) {
  const double b = model.bytes_per_param;
  const int64_t T = batch.tokens;
  const double h = static_cast<double>(model.hidden_size);
  const double tokens = static_cast<double>(T);
  std::vector<Op> ops;
  ops.reserve(28);

  Op embed = elementwise("embedding", OpKind::kEmbedding, 1, tokens * h, 1, 1, b);
  embed.flops = 0;
  ops.push_back(embed);

  // Every layer's mixer (attention or recurrent) and FFN sit behind an
  // RMSNorm and a residual add.
  const int64_t mixers = model.mixer_layers();
  const int64_t ffns = model.ffn_layers();
  Op norm = elementwise("attn_norm", OpKind::kNorm, mixers, tokens * h, 1, 1, b);
  norm.weight_bytes = h * b;
  if (mixers > 0) ops.push_back(norm);
  const int64_t A = model.attention_layers();
  if (A > 0) {
    if (model.mla.any()) {
      add_latent_attention_ops(ops, model, batch);
    } else {
      add_attention_ops(ops, model, batch);
    }
    const int64_t o_width =
        model.mla.any() ? model.num_heads * model.mla.v_head_dim : model.q_dim();
    Op o_proj = gemm("o_proj", A, T, o_width, model.hidden_size, model, true, model.o_bias);
    o_proj.tp_reduction = "attn_allreduce";
    ops.push_back(o_proj);
  }
  if (model.recurrent_layers > 0) add_recurrent_ops(ops, model, batch);
  if (mixers > 0) {
    ops.push_back(elementwise("attn_residual", OpKind::kResidual, mixers, tokens * h, 2, 1, b));
  }
  Op ffn_norm = norm;
  ffn_norm.name = "ffn_norm";
  ffn_norm.count = ffns;
  if (ffns > 0) ops.push_back(ffn_norm);
  const int64_t dense = model.dense_layers();
  if (dense > 0) {
    // SwiGLU: gate and up in one GEMM; Nemotron-H's relu2: up alone.
    const int64_t up_width = (model.gated_ffn ? 2 : 1) * model.intermediate_size;
    ops.push_back(gemm(model.gated_ffn ? "gate_up_proj" : "up_proj", dense, T, model.hidden_size,
                       up_width, model, true, false));
    ops.push_back(elementwise("activation", OpKind::kActivation, dense,
                              tokens * static_cast<double>(model.intermediate_size),
                              model.gated_ffn ? 2 : 1, 1, b));
    Op down =
        gemm("down_proj", dense, T, model.intermediate_size, model.hidden_size, model, true, false);
    down.tp_reduction = "ffn_allreduce";
    ops.push_back(down);
  }
  const MoeSpec& moe = model.moe;
  if (moe.moe_layers > 0) {
    const int64_t Lm = moe.moe_layers;
    const int64_t width = moe.expert_intermediate;
    // The router in the hidden dtype (checkpoints keep it unquantised); a
    // shared expert's gate is one more output column.
    ops.push_back(gemm("router", Lm, T, model.hidden_size, moe.experts + (moe.shared_gate ? 1 : 0),
                       model, false, false));
    // Top-k of the logits, tokens sorted by expert; after the experts, each
    // token's top_k outputs weighted and summed.
    ops.push_back(elementwise("routing", OpKind::kRouting, Lm, tokens * h,
                              static_cast<double>(moe.top_k), 1, b));
    ops.push_back(
        expert_gemm("experts_gate_up", Lm, T, model.hidden_size, 2 * width, model, experts));
    const double assignments =
        experts != nullptr ? experts->assignments : tokens * static_cast<double>(moe.top_k);
    ops.push_back(elementwise("expert_activation", OpKind::kActivation, Lm,
                              assignments * static_cast<double>(width), 2, 1, b));
    Op down = expert_gemm("experts_down", Lm, T, width, model.hidden_size, model, experts);
    down.tp_reduction = "ffn_allreduce";
    ops.push_back(down);
    if (moe.shared_intermediate > 0) {
      // Every token through the shared experts too; their output joins the
      // routed experts' before the one all-reduce.
      const int64_t shared = moe.shared_intermediate;
      ops.push_back(
          gemm("shared_gate_up", Lm, T, model.hidden_size, 2 * shared, model, true, false));
      ops.push_back(elementwise("shared_activation", OpKind::kActivation, Lm,
                                tokens * static_cast<double>(shared), 2, 1, b));
      ops.push_back(gemm("shared_down", Lm, T, shared, model.hidden_size, model, true, false));
    }
  }
  if (ffns > 0) {
    ops.push_back(elementwise("ffn_residual", OpKind::kResidual, ffns, tokens * h, 2, 1, b));
  }

  // Only each sequence's last position produces logits.
  const int64_t rows = batch.sequences;
  Op final_norm =
      elementwise("final_norm", OpKind::kNorm, 1, static_cast<double>(rows) * h, 1, 1, b);
  final_norm.weight_bytes = h * b;
  final_norm.per_sequence = true;
  ops.push_back(final_norm);
  Op lm_head = gemm("lm_head", 1, rows, model.hidden_size, model.vocab_size, model, false, false);
  lm_head.per_sequence = true;
  ops.push_back(lm_head);
  Op sample = elementwise("sampling", OpKind::kSampling, 1,
                          static_cast<double>(rows * model.vocab_size), 1, 0, b);
  sample.per_sequence = true;
  ops.push_back(sample);
  return ops;
}

}  // namespace jalapeno
