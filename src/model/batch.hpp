#pragma once
// The shape of one inference step: which sequences run, how many new tokens
// each brings (1 for a decode, a chunk of the prompt for a prefill) and how
// many tokens each already has in its KV cache. Prefill chunks and decode
// tokens can be mixed in one step, as chunked prefill schedules them.
#include <cstdint>
#include <functional>
#include <vector>

namespace jalapeno {

// The local attention of a model's windowed layers: each query sees the
// last `size` positions (a sliding window: Mistral, gpt-oss), or (chunked)
// only the positions of its own `size`-long chunk (Llama 4's chunked
// attention). size 0: none.
struct AttentionWindow {
  int64_t size = 0;
  bool chunked = false;
  AttentionWindow() = default;
  // Explicit: a bare size would silently drop `chunked` (Llama 4's chunked
  // attention costed as a sliding window); pass ModelSpec::attention_window().
  explicit AttentionWindow(int64_t window_size, bool is_chunked = false)
      : size(window_size), chunked(is_chunked) {}
  bool operator==(const AttentionWindow&) const = default;
};

struct SequenceInStep {
  int64_t new_tokens = 1;
  int64_t context = 0;  // tokens already cached before this step
};

// Every fact about a batch that the step cost depends on. Two batches with the
// same summary cost the same, so it is the memoisation key.
struct BatchSummary {
  int64_t sequences = 0;
  int64_t tokens = 0;  // new tokens over all sequences
  // Decode sequences (one new token): how many, total cached positions they
  // attend to (context + the new token), how many of those lengths are not a
  // multiple of 8 elements, and total 256-position blocks (for parallelism).
  int64_t decode_sequences = 0;
  int64_t decode_kv_positions = 0;
  int64_t decode_unaligned = 0;
  int64_t decode_kv_blocks = 0;
  // Prefill sequences (several new tokens): tokens, attended (query, key)
  // pairs under the causal mask, and cached positions read.
  int64_t prefill_sequences = 0;
  int64_t prefill_tokens = 0;
  int64_t prefill_pairs = 0;
  int64_t prefill_kv_positions = 0;
  int64_t prefill_resumed = 0;  // prefill chunks after the first: a recurrent state to read
  // Windowed layers (the model's window, 0 if none): what they attend to
  // and read, each query limited to the last `attention_window` positions,
  // or (window_chunked) to its own chunk of that many.
  int64_t attention_window = 0;
  bool window_chunked = false;
  int64_t decode_window_positions = 0;
  int64_t decode_window_blocks = 0;
  int64_t prefill_window_pairs = 0;
  int64_t prefill_window_kv_positions = 0;

  bool operator==(const BatchSummary&) const = default;
};

inline constexpr int64_t kAttentionBlock = 256;
// Attention alignment unit: 16 bytes of bf16, the vector width tensor-core
// paths load (decode_unaligned counts lengths that are not a multiple).
inline constexpr int64_t kAlignElements = 8;

// `window` is the model's local attention window
// (ModelSpec::attention_window(), none by default); the cost model refuses a
// summary made for another window.
BatchSummary summarize(const std::vector<SequenceInStep>& batch, AttentionWindow window = {});
// An empty summary to add sequences to (to build one without a vector).
BatchSummary empty_summary(AttentionWindow window);
void add_to_summary(BatchSummary& summary, const SequenceInStep& sequence);
// B sequences each decoding one token at context L.
BatchSummary decode_batch(int64_t batch, int64_t context, AttentionWindow window = {});
// B sequences each prefilling T prompt tokens from an empty cache.
BatchSummary prefill_batch(int64_t batch, int64_t tokens, AttentionWindow window = {});

// The busiest of `ranks` data-parallel ranks sharing a batch (attention data
// parallelism): ceil(1/ranks) of the sequences, of the prefills and of the
// tokens, with the average sequence's positions. Its tokens, sequences and
// prefills are functions of the whole batch's, as the step memo needs.
BatchSummary share_of_batch(const BatchSummary& batch, int64_t ranks);

struct BatchSummaryHash {
  size_t operator()(const BatchSummary& s) const noexcept;
};

}  // namespace jalapeno
