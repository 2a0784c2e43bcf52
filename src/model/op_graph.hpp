#pragma once
// The operators of one step of a dense transformer for a batch shape, each with
// its FLOPs and bytes by source. This is what the model computes, whatever
// engine runs it; the cost stage maps it onto kernels.
#include <cstdint>
#include <string_view>
#include <vector>

#include "model/batch.hpp"
#include "model/model_spec.hpp"

namespace jalapeno {

enum class OpKind {
  kEmbedding,  // gather token embeddings
  kNorm,       // RMSNorm
  kGemm,       // a projection: [m, k] x [k, n]
  kRope,       // rotary embedding of q and k
  kKvWrite,    // new K and V into the cache
  kAttentionDecode,
  kAttentionPrefill,
  kResidual,    // residual add
  kActivation,  // SiLU(gate) * up
  kSampling,    // argmax / sampling over the logits
  kRouting,     // MoE: top-k of the router's logits, tokens sorted by expert, outputs combined
  kConv,        // recurrent layers: the short causal convolution before the scan
  kScan,        // recurrent layers: the state update (decode) or chunked scan (prefill)
  kCollective,  // communication between chips, inserted by a parallel plan
};

// One past the last kind: tables indexed by kind are this long (the
// static_assert in op_graph.cpp keeps it in step with the enum).
inline constexpr size_t kOpKindCount = 14;

// What a kCollective op does (the plan stage fills it in; cost/ times it).
enum class CommKind { kNone, kAllReduce, kAllGather, kSendRecv, kAllToAll };

std::string_view to_string(OpKind kind);

struct Op {
  std::string_view name;
  OpKind kind;
  int64_t count = 1;  // instances per step (layers for per-layer ops)
  // GEMM shape and operand formats (kGemm only): bytes per element of the
  // input, the weight (block scales included) and the output, and whether it
  // runs at the precision's matrix rate (a projection) or the hidden
  // dtype's (lm_head, which checkpoints keep unquantised).
  int64_t m = 0, k = 0, n = 0;
  double input_element_bytes = 0, weight_element_bytes = 0, output_element_bytes = 0;
  bool quantised = false;
  // Per instance.
  double flops = 0;
  double weight_bytes = 0;
  double activation_bytes = 0;  // minimal: read inputs once, write outputs once
  // The sequences' own memory: the KV cache, or a recurrent layer's state.
  double kv_read_bytes = 0;
  double kv_write_bytes = 0;
  // Elements the op touches, per instance (tokens x width), for engines whose
  // unfused kernels move intermediates.
  double elements = 0;
  // Attention only: positions attended over all sequences (decode) or
  // (query, key) pairs (prefill), and for decode the 256-position blocks a
  // flash kernel splits them into.
  int64_t attended = 0;
  int64_t attention_blocks = 0;
  // kCollective only: what it does and its message size per chip.
  CommKind comm = CommKind::kNone;
  double comm_bytes = 0;
  int comm_phases = 1;  // all-to-all: exchanges in sequence (a layout exchange, then the data)
  // kGemm: independent problems of [m, k] x [k, n] (an MoE layer's experts
  // hit, as one grouped GEMM); flops and bytes above are of all of them.
  int64_t problems = 1;
  // Its role in a tensor-parallel plan: a row-parallel projection whose
  // output is a partial sum over the chips names the all-reduce that
  // completes it (empty: none).
  std::string_view tp_reduction = {};
  // kScan: whether its work runs on the matrix units (a chunked scan's
  // matmuls) rather than the vector units (a plain scan, a decode update).
  bool matrix_scan = false;
  // Its size follows the batch's sequences (each one's last position makes
  // logits), not its tokens: the step memo keeps such ops apart.
  bool per_sequence = false;

  double bytes() const { return weight_bytes + activation_bytes + kv_read_bytes + kv_write_bytes; }
};

struct RankLoad;
// The ops of one step, per-layer ops with count = num_layers. `experts`
// (expert parallelism, skewed routing): the tokens and experts of the most
// loaded rank, instead of every expert's uniform share on this chip.
std::vector<Op> build_step_ops(const ModelSpec& model, const BatchSummary& batch,
                               const RankLoad* experts = nullptr);

// How decode attention's matmuls are shaped: per sequence, kv_heads
// problems of `group` query heads each, over keys of qk_dim and values of
// v_dim elements. Multi-head latent attention in its absorbed form is one
// shared key and value (the latent) for all heads.
struct AttentionGeometry {
  int64_t kv_heads;
  int64_t group;
  int64_t qk_dim;
  int64_t v_dim;
};
inline AttentionGeometry decode_geometry(const ModelSpec& m) {
  if (m.mla.any()) return {1, m.num_heads, m.mla.latent(), m.mla.kv_lora_rank};
  return {m.num_kv_heads, m.num_heads / m.num_kv_heads, m.head_dim, m.head_dim};
}

// What decode attention's op needs of the model, computed once (the serving
// loop builds the op every step): over `layers` layers, each cached
// position's bytes, the query heads, and q.K plus p.V widths per head.
struct DecodeAttentionShape {
  std::string_view name;
  int64_t layers = 0;
  double kv_row = 0;
  double heads = 0;
  double qk_v = 0;
  double hidden_bytes = 0;
};
DecodeAttentionShape decode_attention_shape(const ModelSpec& model, std::string_view name,
                                            int64_t layers);
// The full-attention layers' and the windowed layers' shapes.
DecodeAttentionShape full_decode_attention_shape(const ModelSpec& model);
DecodeAttentionShape window_decode_attention_shape(const ModelSpec& model);

// Decode attention over `positions` cached positions of `sequences`
// sequences, split into `blocks` for a flash kernel.
inline Op decode_attention_op(const DecodeAttentionShape& s, int64_t positions, int64_t blocks,
                              int64_t sequences) {
  Op attn{s.name, OpKind::kAttentionDecode, s.layers};
  attn.attended = positions;
  attn.attention_blocks = blocks;
  attn.kv_read_bytes = static_cast<double>(positions) * s.kv_row;
  attn.activation_bytes = static_cast<double>(sequences) * s.heads * s.qk_v * s.hidden_bytes;
  // q.K and p.V per query head.
  attn.flops = 2.0 * static_cast<double>(positions) * s.heads * s.qk_v;
  attn.elements = static_cast<double>(positions) * s.heads;  // scores
  return attn;
}

// The attention ops alone (what depends on the sequences' contexts); the rest
// of the graph depends only on the numbers of tokens and sequences. Full
// attention in the layers without a sliding window, and (attention_ops) the
// windowed layers' own ops, which read only each sequence's window.
Op attention_decode_op(const ModelSpec& model, const BatchSummary& batch);
Op attention_prefill_op(const ModelSpec& model, const BatchSummary& batch);
Op attention_decode_window_op(const ModelSpec& model, const BatchSummary& batch);
Op attention_prefill_window_op(const ModelSpec& model, const BatchSummary& batch);
// Throws std::logic_error for a summary made for another window.
[[noreturn]] void throw_attention_window_mismatch();
inline void check_attention_window(const ModelSpec& model, const BatchSummary& batch) {
  if (batch.attention_window != model.sliding_window ||
      batch.window_chunked != model.window_chunked) {
    throw_attention_window_mismatch();
  }
}

// Calls visit(op) for each attention op of the step (at most four: decode and
// prefill, full and windowed), building one at a time: the serving simulator
// asks for them every step.
template <class Visit>
void for_each_attention_op(const ModelSpec& model, const BatchSummary& batch, Visit&& visit) {
  check_attention_window(model, batch);
  const bool full = model.sliding_layers < model.attention_layers();
  const bool windowed = model.sliding_layers > 0;
  if (batch.decode_sequences > 0) {
    if (full) visit(attention_decode_op(model, batch));
    if (windowed) visit(attention_decode_window_op(model, batch));
  }
  if (batch.prefill_sequences > 0) {
    if (full) visit(attention_prefill_op(model, batch));
    if (windowed) visit(attention_prefill_window_op(model, batch));
  }
}

}  // namespace jalapeno
