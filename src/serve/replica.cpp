#include "serve/replica.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/error.hpp"
#include "workload/content.hpp"

namespace jalapeno {

CacheLayout cache_layout(const StepCostModel& cost, const SchedulerConfig& config,
                         const Speculator* speculator) {
  CacheLayout layout;
  // A drafter's cache holds the same positions: its bytes share the block.
  const double per_token = cost.kv_bytes_per_token_per_chip() +
                           (speculator != nullptr ? speculator->kv_bytes_per_token_per_chip() : 0);
  const double state = cost.state_bytes_per_sequence_per_chip();
  if (per_token > 0) {
    layout.block_bytes = static_cast<double>(config.block_size) * per_token;
    layout.state_blocks = static_cast<int64_t>(std::ceil(state / layout.block_bytes));
  } else {
    // Nothing cached per token (a model of recurrent layers alone): a block
    // is one sequence's state.
    layout.block_bytes = state;
    layout.state_blocks = 1;
    layout.per_token = false;
  }
  return layout;
}

int64_t kv_cache_blocks(const StepCostModel& cost, const SchedulerConfig& config,
                        const Speculator* speculator) {
  const ModelSpec& model = cost.model();  // one chip's shard
  const ChipSpec& chip = cost.chip();
  // The KV cache's level; the weights count against it only when they share
  // it (weights placed in SRAM were checked against SRAM's capacity).
  const MemoryLevel& level = cost.kv_level();
  const double usable = level.bytes * config.memory_utilization;
  // Activation workspace at the largest step: the widest per-token tensors
  // (QKV, gate-up, residual stream) for the token budget, and fp32 logits for
  // every sequence. vLLM measures this by a profiling run; this is its size
  // by construction.
  const double per_token =
      static_cast<double>(std::max(model.qkv_dim(), model.recurrent.in_proj_width()) +
                          2 * model.intermediate_size + 4 * model.hidden_size) *
      model.bytes_per_param;
  const double activations =
      static_cast<double>(config.max_batched_tokens) * per_token +
      static_cast<double>(config.max_sequences) * static_cast<double>(model.vocab_size) * 4.0;
  const double weights = cost.weight_bytes_per_chip() +
                         (speculator != nullptr ? speculator->weight_bytes_per_chip() : 0);
  if (!cost.levels_shared() && weights > cost.weight_level().bytes) {
    throw InfeasibleError(fmt::format(
        "{} does not fit on {} ({}): {:.3f} GB of weights per chip against {:.3f} GB of {}",
        cost.full_model().name, chip.name, cost.plan().describe(), weights / 1e9,
        cost.weight_level().bytes / 1e9, to_string(cost.weight_level().kind)));
  }
  const double kv_bytes = usable - (cost.levels_shared() ? weights : 0) - activations;
  const CacheLayout layout = cache_layout(cost, config, speculator);
  const double block_bytes = layout.block_bytes;
  if (!(block_bytes > 0)) {
    throw std::logic_error("a cache block of no bytes: a model with neither attention nor state");
  }
  const int64_t one_sequence = layout.state_blocks + (layout.per_token ? 1 : 0);
  if (kv_bytes > 0 && kv_bytes < block_bytes * static_cast<double>(one_sequence)) {
    // Not even one sequence: its state and one block of positions.
    const std::string need = layout.per_token
                                 ? fmt::format("one KV block of {} tokens", config.block_size)
                                 : std::string("one sequence's recurrent state");
    throw InfeasibleError(fmt::format(
        "{}{} needs {:.2f} GB per chip but only {:.2f} GB are left after the weights and "
        "activations of {} on {}{}",
        need, layout.state_blocks > 0 && layout.per_token ? " beside its recurrent state" : "",
        block_bytes * static_cast<double>(one_sequence) / 1e9, kv_bytes / 1e9,
        cost.full_model().name, chip.name,
        layout.per_token && layout.state_blocks == 0 ? ": use a smaller block_size" : ""));
  }
  const auto blocks = static_cast<int64_t>(kv_bytes / block_bytes);
  if (kv_bytes <= 0 || blocks < 1) {
    throw InfeasibleError(fmt::format(
        "{} does not fit on {} ({}): {:.2f} GB of weights and {:.2f} GB of activation "
        "workspace per chip against {:.2f} GB usable ({:.0f}% of {:.2f} GB {}), leaving no "
        "room for a KV cache",
        cost.full_model().name, chip.name, cost.plan().describe(),
        cost.levels_shared() ? weights / 1e9 : 0.0, activations / 1e9, usable / 1e9,
        100 * config.memory_utilization, level.bytes / 1e9,
        level.kind == MemoryLevelKind::kHbm ? "HBM" : "SRAM"));
  }
  return blocks;
}

void check_prefix_caching(const StepCostModel& cost, const SchedulerConfig& config) {
  if (!config.prefix_caching) return;
  const CacheLayout layout = cache_layout(cost, config);
  if (layout.state_blocks > 0 || !layout.per_token) {
    throw ConfigError(fmt::format(
        "scheduler.prefix_caching: {} has recurrent layers, whose state per sequence is not "
        "made of shareable blocks of positions; prefix caching is for models whose cache is "
        "attention KV alone",
        cost.full_model().name));
  }
}

Replica::Replica(uint32_t index, StepCostModel& cost, const SchedulerConfig& config,
                 int64_t kv_blocks, bool per_sequence_only, Speculator* speculator)
    : index_(index),
      cost_(cost),
      config_(config),
      policy_(make_scheduler_policy(config.policy, "scheduler.policy")),
      kv_(kv_blocks, config.block_size, cache_layout(cost, config, speculator).state_blocks,
          cache_layout(cost, config, speculator).per_token),
      block_bytes_(cache_layout(cost, config, speculator).block_bytes),
      depth_(cost.plan().pp),
      batches_(static_cast<size_t>(cost.plan().pp)),
      // In a pipeline micro-batches overlap, and windowed layers see a
      // length that is not a running sum: those stay per sequence. The
      // aggregate's residue counts take one entry per block position: beyond 4,096
      // (vLLM's blocks are 16 to 128 tokens) the per-sequence path is leaner.
      // A speculating replica's sequences advance by different numbers of
      // tokens each step: per sequence too.
      aggregate_enabled_(!per_sequence_only && speculator == nullptr && cost.plan().pp == 1 &&
                         cost.model().attention_window().size == 0 && config.block_size <= 4096),
      decoders_(config.block_size, cache_layout(cost, config, speculator).per_token),
      speculator_(speculator) {
  // Reserve for a small batch: the vectors grow to what the replica really
  // runs, so a fleet of lightly loaded replicas stays small (a few KB each).
  const auto max_seqs = static_cast<size_t>(std::min<int64_t>(config.max_sequences, 32));
  slots_.reserve(max_seqs);
  free_slots_.reserve(max_seqs);
  running_.reserve(max_seqs);
  for (Batch& b : batches_) b.items.reserve(max_seqs);
  if (config.prefix_caching) kv_.enable_prefix_cache();
}

const std::vector<uint64_t>& Replica::ids_to(const Sequence& seq, int64_t blocks) const {
  const auto have = static_cast<int64_t>(seq.ids.size());
  if (have < blocks) append_block_ids(seq.request, have, blocks, config_.block_size, seq.ids);
  return seq.ids;
}

PrefixCache::Probe Replica::prefix_hit(const Sequence& seq) const {
  if (!kv_.caching() || seq.blocks > 0 || seq.kv_tokens > 0) return {};
  // At least the last prompt position is computed, for the logits of the
  // first new token (vLLM caps a hit at the prompt less one token).
  const int64_t most = (seq.prefill_target - 1) / config_.block_size;
  return kv_.probe(ids_to(seq, most).data(), most, hit_nodes_);
}

Replica::Sequence Replica::counts_of(const Sequence& seq) {
  Sequence view;
  view.request = seq.request;
  view.prefill_target = seq.prefill_target;
  view.prefilled = seq.prefilled;
  view.kv_tokens = seq.kv_tokens;
  view.generated = seq.generated;
  view.blocks = seq.blocks;
  return view;
}

void Replica::count_hit(Sequence& seq, int64_t blocks) const {
  seq.blocks = blocks;
  seq.kv_tokens = seq.prefilled = blocks * config_.block_size;
}

void Replica::cache_blocks(Sequence& seq) {
  if (!kv_.caching()) return;
  const int64_t full = seq.kv_tokens / config_.block_size;
  const auto have = static_cast<int64_t>(seq.cached.size());
  if (full <= have) return;
  const std::vector<uint64_t>& ids = ids_to(seq, full);
  for (int64_t b = have; b < full; ++b) {
    seq.cached.push_back(kv_.cache_computed(ids[static_cast<size_t>(b)]));
  }
}

void Replica::release_blocks(Sequence& seq) {
  const auto cached = static_cast<int64_t>(seq.cached.size());
  if (cached > 0) kv_.release_cached(seq.cached.data(), cached);
  kv_.release(seq.blocks - cached);
  seq.cached.clear();
}

void Replica::enqueue(const Request& request) {
  const int64_t capacity = capacity_tokens();
  if (request.input_tokens > capacity || request.output_tokens > capacity - request.input_tokens) {
    throw InfeasibleError(fmt::format(
        "request {} ({} input + {} output tokens) can never fit: the KV cache of replica {} "
        "holds {} tokens ({} blocks of {})",
        request.id, request.input_tokens, request.output_tokens, index_, capacity_tokens(),
        kv_.total_blocks(), kv_.block_size()));
  }
  // A model attends to at most max_position_embeddings positions; an engine
  // refuses longer requests (vLLM's max_model_len), and a trace that holds
  // them was served by another model.
  const int64_t max_positions = cost_.full_model().max_position_embeddings;
  if (max_positions > 0 && request.input_tokens + request.output_tokens > max_positions) {
    throw InfeasibleError(fmt::format(
        "request {} ({} input + {} output tokens) is longer than {}'s max_position_embeddings "
        "({})",
        request.id, request.input_tokens, request.output_tokens, cost_.full_model().name,
        max_positions));
  }
  if (!config_.chunked_prefill && request.input_tokens > config_.max_batched_tokens) {
    throw InfeasibleError(fmt::format(
        "request {} has {} input tokens, more than max_batched_tokens ({}) without chunked "
        "prefill: it could never be scheduled",
        request.id, request.input_tokens, config_.max_batched_tokens));
  }
  Sequence seq;
  seq.request = request;
  seq.prefill_target = request.input_tokens;
  queue(waiting_, std::move(seq), false);
}

void Replica::queue(SequenceQueue& q, Sequence&& seq, bool front_of_class) {
  if (!policy_->by_priority()) {
    front_of_class ? q.push_front(std::move(seq)) : q.push_back(std::move(seq));
    return;
  }
  // Ordered by class: a new request after its class, a preempted one at
  // its front.
  const int32_t p = seq.request.priority;
  const auto at =
      front_of_class
          ? std::lower_bound(q.begin(), q.end(), p,
                             [](const Sequence& a, int32_t v) { return a.request.priority < v; })
          : std::upper_bound(q.begin(), q.end(), p,
                             [](int32_t v, const Sequence& a) { return v < a.request.priority; });
  q.insert(at, std::move(seq));
}

int64_t Replica::reserved_positions(const Sequence& seq) const {
  // The most it will ever cache: its prompt and every output token but the
  // last, which is never fed back.
  return seq.request.input_tokens + seq.request.output_tokens - 1;
}

int64_t Replica::blocks_wanted(const Sequence& seq, int64_t tokens) const {
  const int64_t positions = policy_->reserves_whole_request()
                                ? std::max(reserved_positions(seq), seq.kv_tokens + tokens)
                                : seq.kv_tokens + tokens;
  return std::max<int64_t>(0, kv_.blocks_for(positions) - seq.blocks);
}

uint32_t Replica::store(Sequence&& seq) {
  if (!free_slots_.empty()) {
    const uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    slots_[slot] = std::move(seq);
    return slot;
  }
  slots_.push_back(std::move(seq));
  return static_cast<uint32_t>(slots_.size() - 1);
}

Replica::Preempted Replica::preempt_youngest(ServingObserver& metrics, uint32_t asking,
                                             Batch& batch, int64_t& tokens_left) {
  // The youngest running sequence that is not computing right now, never
  // the one asking for blocks. Under priority classes (vLLM's priority
  // scheduler) the youngest of the lowest class, the one asking included,
  // even one this step has already taken (it is taken back out), but never
  // one of an earlier pipeline micro-batch.
  const bool by_priority = policy_->by_priority() && depth_ == 1;
  size_t pos = running_.size();
  for (size_t i = running_.size(); i-- > 0;) {
    const uint32_t slot = running_[i];
    if (slot == asking && !by_priority) continue;
    if (slots_[slot].in_flight && !by_priority) continue;
    if (pos == running_.size() ||
        slots_[slot].request.priority > slots_[running_[pos]].request.priority) {
      pos = i;
    }
    if (!by_priority) break;
  }
  if (pos == running_.size()) return Preempted::kNone;
  const Preempted which = running_[pos] == asking ? Preempted::kAsking : Preempted::kOther;
  if (slots_[running_[pos]].in_flight) {
    // Out of this step's batch again, its tokens back in the budget.
    const auto item = std::find_if(batch.items.begin(), batch.items.end(),
                                   [&](const Scheduled& s) { return s.slot == running_[pos]; });
    tokens_left += item->tokens;
    batch.items.erase(item);
    slots_[running_[pos]].in_flight = false;
  }
  const uint32_t slot = running_[pos];
  running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(pos));
  free_slots_.push_back(slot);
  Sequence seq = std::move(slots_[slot]);
  seq.preemptions += 1;
  metrics.on_preemption(index_);
  // What it computed stays cached (evictable) for its readmission.
  cache_blocks(seq);
  release_blocks(seq);
  if (config_.preemption == Preemption::kSwap) {
    // Its cache goes to host memory and comes back before it runs again.
    swap_bytes_ += static_cast<double>(seq.blocks) * block_bytes_;
    queue(swapped_, std::move(seq), true);
    return which;
  }
  // Recompute: everything it has seen, prompt and output so far, is
  // prefilled again; the last prefill position yields its next token.
  seq.blocks = 0;
  seq.kv_tokens = 0;
  seq.prefilled = 0;
  seq.prefill_target = seq.request.input_tokens + seq.generated;
  queue(waiting_, std::move(seq), true);
  return which;
}

int64_t Replica::decode_positions(const Sequence& seq, int64_t tokens_left) const {
  if (speculator_ == nullptr) return 1;
  // Its last token, then drafts: none past the request's last token (a
  // verification makes at most one token more than it proposed).
  const int64_t left = seq.request.output_tokens - seq.generated;
  const int64_t drafts =
      std::max<int64_t>(0, std::min({speculator_->tokens(), left - 1, tokens_left - 1}));
  return 1 + drafts;
}

Replica::Scheduled Replica::schedule_item(uint32_t slot, int64_t tokens) {
  Sequence& seq = slots_[slot];
  Scheduled item{slot, tokens, 1};
  if (!seq.in_prefill() && tokens > 1) {
    item.made = 1 + speculator_->accepted(seq.request.id, seq.verifications++, tokens - 1);
  }
  return item;
}

int64_t Replica::admission_tokens(const Sequence& seq, int64_t tokens_left) const {
  if (!seq.in_prefill()) return decode_positions(seq, tokens_left);  // a decode
  const int64_t tokens = seq.prefill_target - seq.prefilled;
  if (tokens <= tokens_left) return tokens;
  // Without chunked prefill a prompt must fit the budget whole; a sequence
  // recomputing prompt and output after preemption may not, and is then
  // chunked, or it could never run again.
  const bool recomputing = seq.prefill_target > seq.request.input_tokens;
  return !config_.chunked_prefill && !recomputing ? 0 : tokens_left;
}

bool Replica::front_admissible() const {
  if (running() >= config_.max_sequences) return false;
  const bool swapped = !swapped_.empty();
  if (!swapped && waiting_.empty()) return false;
  const Sequence& front = swapped ? swapped_.front() : waiting_.front();
  Sequence seq = counts_of(front);
  if (swapped) seq.blocks = 0;
  const PrefixCache::Probe hit = prefix_hit(front);
  if (hit.blocks > 0) count_hit(seq, hit.blocks);
  const int64_t tokens = admission_tokens(seq, config_.max_batched_tokens);
  return tokens > 0 && kv_.can_allocate(blocks_wanted(seq, tokens) + hit.evictable);
}

bool Replica::admit(Sequence& seq, int64_t& tokens_left, double now_s, Batch& batch) {
  // Cached leading blocks are taken as they are: the prefill starts after
  // them, and its attention still reads their KV.
  const PrefixCache::Probe hit = prefix_hit(seq);
  if (hit.blocks > 0) {
    Sequence trial = counts_of(seq);
    count_hit(trial, hit.blocks);
    const int64_t tokens = admission_tokens(trial, tokens_left);
    // The evictable hits leave the free count when taken.
    if (tokens == 0 || !kv_.can_allocate(blocks_wanted(trial, tokens) + hit.evictable)) {
      return false;
    }
    count_hit(seq, hit.blocks);
    kv_.take_cached(hit_nodes_.data(), hit.blocks);
    seq.cached.assign(hit_nodes_.begin(), hit_nodes_.end());
    prefix_hit_tokens_ += seq.kv_tokens;
  }
  const int64_t tokens = admission_tokens(seq, tokens_left);
  if (tokens == 0) return false;
  const int64_t need = blocks_wanted(seq, tokens);
  if (!kv_.can_allocate(need)) return false;
  kv_.allocate(need);
  seq.blocks += need;
  if (seq.first_scheduled_s < 0) {
    seq.first_scheduled_s = now_s;
    seq.cached_tokens = seq.kv_tokens;
  }
  seq.in_flight = true;
  seq.order = next_order_++;
  const uint32_t slot = store(std::move(seq));
  running_.push_back(slot);
  batch.items.push_back(schedule_item(slot, tokens));
  tokens_left -= tokens;
  return true;
}

bool Replica::can_start(double now_s) const {
  if (in_flight_ >= depth_ || now_s < stage_free_s_) return false;
  if (!waiting_.empty() || !swapped_.empty()) return true;
  if (in_flight_ == 0) return running() > 0;
  for (uint32_t slot : running_) {
    if (!slots_[slot].in_flight) return true;
  }
  return false;
}

bool Replica::schedule_aggregated(StepKind kind, int64_t& tokens_left, Batch& batch) {
  if (!aggregate_enabled_ || in_flight_ > 0) return false;
  // The per-sequence loop gives every running sequence the step may take
  // all it asks for (a token per decoder, the rest of each prefill) when
  // the budget and the free blocks cover the lot: then the order it visits
  // them in changes nothing, and the aggregate takes its members at once.
  const bool decodes = kind != StepKind::kPrefillOnly;
  const bool prefills = kind != StepKind::kDecodeOnly;
  const bool reserved = policy_->reserves_whole_request();
  const int64_t member_blocks = decodes && !reserved ? decoders_.blocks_needed() : 0;
  int64_t tokens = decodes ? decoders_.size() : 0;
  int64_t blocks = member_blocks;
  const auto demand = [&](const std::vector<uint32_t>& slots, bool chunks) {
    for (uint32_t slot : slots) {
      const Sequence& seq = slots_[slot];
      const int64_t n = chunks ? seq.prefill_target - seq.prefilled : 1;
      tokens += n;
      blocks += blocks_wanted(seq, n);
    }
  };
  if (decodes) demand(pending_, false);
  if (prefills) demand(partial_, true);
  if (tokens > tokens_left || !kv_.can_allocate(blocks)) return false;
  kv_.allocate(member_blocks);
  const auto take = [&](const std::vector<uint32_t>& slots, bool chunks) {
    for (uint32_t slot : slots) {
      Sequence& seq = slots_[slot];
      const int64_t n = chunks ? seq.prefill_target - seq.prefilled : 1;
      const int64_t need = blocks_wanted(seq, n);
      kv_.allocate(need);
      seq.blocks += need;
      seq.in_flight = true;
      batch.items.push_back({slot, n, 1});
    }
  };
  if (decodes) take(pending_, false);
  if (prefills) take(partial_, true);
  batch.aggregated = true;
  batch.members = decodes ? decoders_.size() : 0;
  tokens_left -= tokens;
  return true;
}

void Replica::settle(Sequence& seq) {
  const int64_t steps = decoders_.step() - seq.join_step;
  seq.kv_tokens += steps;
  seq.generated += steps;
  if (!policy_->reserves_whole_request()) seq.blocks = kv_.blocks_for(seq.kv_tokens);
  seq.joules += group_joules_ - seq.joules_mark;
  if (steps > 0) seq.last_token_s = group_last_token_s_;
}

void Replica::join_aggregate(uint32_t slot) {
  Sequence& seq = slots_[slot];
  decoders_.insert(seq.kv_tokens, seq.request.output_tokens - seq.generated, seq.order, slot);
  seq.join_step = decoders_.step();
  seq.joules_mark = group_joules_;
}

void Replica::compact_running() {
  if (dead_slots_.empty()) return;
  running_.erase(std::remove_if(running_.begin(), running_.end(),
                                [this](uint32_t slot) { return slots_[slot].done; }),
                 running_.end());
  free_slots_.insert(free_slots_.end(), dead_slots_.begin(), dead_slots_.end());
  dead_slots_.clear();
}

void Replica::dissolve_aggregate() {
  decoders_.for_each_member([this](const DecodeAggregate::Member& m) { settle(slots_[m.slot]); });
  decoders_.clear();
  partial_.clear();
  pending_.clear();
  compact_running();
}

void Replica::schedule_per_sequence(StepKind kind, int64_t& tokens_left, Batch& batch,
                                    ServingObserver& metrics, bool& preempted) {
  dissolve_aggregate();
  // Running sequences first, oldest first (or every decode before any
  // prefill chunk, for a policy that puts decodes first): a decode token
  // each, or the next chunk of an unfinished prefill. A sequence short of
  // blocks takes them from the youngest running sequences not in flight,
  // itself last.
  // With pp micro-batches in flight each takes its share of the sequences, as
  // pipeline-parallel engines keep one scheduler per micro-batch: otherwise
  // the first would take everything and the pipeline would run half empty.
  const auto share = static_cast<size_t>((config_.max_sequences + depth_ - 1) / depth_);
  const bool two_passes = policy_->decodes_first();
  for (int pass = two_passes ? 0 : 1; pass < 2; ++pass) {
    // Pass 0 takes the decodes alone; pass 1 the rest (everything, in one pass).
    for (size_t i = 0; i < running_.size() && tokens_left > 0 && batch.items.size() < share; ++i) {
      const uint32_t slot = running_[i];
      const Sequence& seq = slots_[slot];
      if (seq.in_flight) continue;
      if (two_passes && (pass == 0) == seq.in_prefill()) continue;
      if (seq.in_prefill() ? kind == StepKind::kDecodeOnly : kind == StepKind::kPrefillOnly) {
        continue;
      }
      const int64_t tokens = seq.in_prefill()
                                 ? std::min(seq.prefill_target - seq.prefilled, tokens_left)
                                 : decode_positions(seq, tokens_left);
      const int64_t need = blocks_wanted(seq, tokens);
      bool short_of_blocks = false;
      while (!kv_.can_allocate(need)) {
        const Preempted p = preempt_youngest(metrics, slot, batch, tokens_left);
        if (p != Preempted::kNone) preempted = true;
        if (p != Preempted::kOther) {
          // The others are in flight (wait for them), or it was the lowest
          // class itself and went back to wait: no more running sequences.
          short_of_blocks = true;
          break;
        }
        // Preemption removed another sequence, maybe one before it (one this
        // step had taken, under priority classes): find this one again.
        i = static_cast<size_t>(std::find(running_.begin(), running_.end(), slot) -
                                running_.begin());
      }
      if (short_of_blocks) {
        pass = 2;  // the step takes no more running sequences
        break;
      }
      kv_.allocate(need);
      slots_[slot].blocks += need;
      slots_[slot].in_flight = true;
      batch.items.push_back(schedule_item(slot, tokens));
      tokens_left -= tokens;
    }
  }
}

StepKind Replica::step_kind() const {
  if (!policy_->chooses_step_kind()) return StepKind::kMixed;
  SchedulerState state;
  state.waiting = waiting();
  if (state.waiting > 0) state.can_admit = front_admissible();
  if (aggregate_enabled_ && in_flight_ == 0) {
    state.decoding = decoders_.size() + static_cast<int64_t>(pending_.size());
    state.prefilling = static_cast<int64_t>(partial_.size());
  } else {
    for (uint32_t slot : running_) {
      const Sequence& seq = slots_[slot];
      if (seq.done) continue;
      ++(seq.in_prefill() ? state.prefilling : state.decoding);
    }
  }
  return policy_->step_kind(state);
}

double Replica::start_step(double now_s, ServingObserver& metrics) {
  Batch& batch = batches_[(oldest_ + static_cast<size_t>(in_flight_)) % batches_.size()];
  batch.items.clear();
  batch.aggregated = false;
  batch.members = 0;
  swap_bytes_ = 0;
  int64_t tokens_left = config_.max_batched_tokens;
  bool preempted = false;
  const uint64_t evictions_before = kv_.caching() ? kv_.cache().evictions() : 0;

  const StepKind kind = step_kind();
  batch.kind = kind;
  if (!schedule_aggregated(kind, tokens_left, batch)) {
    schedule_per_sequence(kind, tokens_left, batch, metrics, preempted);
  }

  // Then, unless this step had to preempt, swapped-out sequences and new
  // requests in FCFS order, while there are slots, budget and free blocks.
  const auto share = static_cast<size_t>((config_.max_sequences + depth_ - 1) / depth_);
  if (!preempted && kind != StepKind::kDecodeOnly) {
    const auto slots_left = [&] {
      return running() < config_.max_sequences && tokens_left > 0 &&
             static_cast<size_t>(batch.members) + batch.items.size() < share;
    };
    while (!swapped_.empty() && slots_left()) {
      Sequence seq = swapped_.front();
      const int64_t host_blocks = seq.blocks;
      seq.blocks = 0;  // its blocks are on the host until admitted
      if (!admit(seq, tokens_left, now_s, batch)) break;
      swap_bytes_ += static_cast<double>(host_blocks) * block_bytes_;
      swapped_.pop_front();
    }
    // New requests only once every swapped-out sequence is back: otherwise
    // their small first chunks take the blocks a swapped sequence waits for,
    // and it starves (vLLM's rule too).
    while (swapped_.empty() && !waiting_.empty() && slots_left()) {
      if (!admit(waiting_.front(), tokens_left, now_s, batch)) break;
      waiting_.pop_front();
    }
  }

  // Why the requests still waiting were not let in.
  HeldBy held = HeldBy::kNone;
  if (waiting() > 0) {
    if (preempted) {
      held = HeldBy::kKvBlocks;
    } else if (kind == StepKind::kDecodeOnly && front_admissible()) {
      held = HeldBy::kPolicy;  // it could have come in: the policy kept it out
    } else if (running() >= config_.max_sequences ||
               static_cast<size_t>(batch.members) + batch.items.size() >= share) {
      held = HeldBy::kSequenceCap;
    } else if ((kind != StepKind::kDecodeOnly && tokens_left == 0) ||
               admission_tokens(
                   swapped_.empty() ? waiting_.front() : swapped_.front(),
                   kind == StepKind::kDecodeOnly ? config_.max_batched_tokens : tokens_left) == 0) {
      held = HeldBy::kTokenBudget;
    } else {
      held = HeldBy::kKvBlocks;
    }
  }
  if (batch.items.empty() && batch.members == 0) return 0;
  ++steps_;
  if (batch.aggregated) ++aggregated_steps_;
  BatchSummary summary = empty_summary(cost_.model().attention_window());
  if (batch.members > 0) decoders_.add_to(summary);
  // A verification's k + 1 positions are costed as k + 1 decode rows, each
  // at its own context: the target's GEMMs, logits and graph-replayed
  // launches are a decode step's (as vLLM and TensorRT-LLM run spec-decode
  // batches), its attention FLOPs those of k + 1 queries; its attention
  // reads the sequence's cache once per row, an upper bound on what a
  // spec-decode kernel, which reads it once, moves.
  int64_t verifications = 0, verified_positions = 0, proposed = 0, accepted = 0;
  if (speculator_ != nullptr) draft_work_.clear();
  for (const Scheduled& s : batch.items) {
    const Sequence& seq = slots_[s.slot];
    const bool verifying = speculator_ != nullptr && s.tokens > 1 && !seq.in_prefill();
    if (!verifying) {
      add_to_summary(summary, {s.tokens, seq.kv_tokens});
    } else {
      for (int64_t i = 0; i < s.tokens; ++i) add_to_summary(summary, {1, seq.kv_tokens + i});
      ++verifications;
      verified_positions += s.tokens;
      proposed += s.tokens - 1;
      accepted += s.made - 1;
    }
    // The drafter reads prompt chunks and drafts for verifying sequences (one
    // making its last token drafts nothing).
    if (speculator_ != nullptr && (verifying || seq.in_prefill())) {
      draft_work_.push_back({s.tokens, seq.kv_tokens, verifying ? s.tokens - 1 : 0});
    }
  }
  const StepTiming timing = cost_.timing(summary);
  const StepTiming draft = speculator_ != nullptr ? speculator_->timing(draft_work_) : StepTiming{};
  const double comm_s = timing.comm_seconds + draft.comm_seconds;
  last_compute_s_ = timing.seconds + draft.seconds;
  last_swap_s_ = swap_bytes_ / config_.swap_Bps;
  last_swap_bytes_ = swap_bytes_;
  const double seconds = last_compute_s_ + last_swap_s_;
  // The batch holds the first stage for its share of the pipeline; it
  // leaves the last stage no sooner than the batch ahead of it.
  const double stage_s = seconds / static_cast<double>(depth_);
  const double end_s = std::max(now_s + seconds, last_end_s_);
  last_end_s_ = end_s;
  stage_free_s_ = now_s + stage_s;
  ++in_flight_;
  last_step_.replica = index_;
  last_step_.start_s = now_s;
  last_step_.seconds = stage_s;
  last_step_.sequences = batch.members + static_cast<int64_t>(batch.items.size());
  // Decode-class items (a decode, a verification, a one-token prompt chunk,
  // as the batch summary counts it) and the tokens they make.
  const int64_t decoding = summary.decode_sequences - verified_positions + verifications;
  last_step_.prefill_tokens = summary.prefill_tokens;
  last_step_.decode_tokens = decoding + accepted;
  last_step_.kv_used_fraction = kv_.used_fraction();
  last_step_.comm_seconds = comm_s / static_cast<double>(depth_);
  last_step_.dynamic_joules = timing.dynamic_joules + draft.dynamic_joules;
  // The drafter's energy is the decoding sequences' (the prompts' when none
  // decode).
  double prompt_J = timing.joules * timing.input_share;
  double decode_J = timing.joules - prompt_J;
  (decoding > 0 ? decode_J : prompt_J) += draft.joules;
  batch.joules_per_prompt_token =
      summary.prefill_tokens > 0 ? prompt_J / static_cast<double>(summary.prefill_tokens) : 0;
  batch.joules_per_decode = decoding > 0 ? decode_J / static_cast<double>(decoding) : 0;
  const double step_J = timing.joules + draft.joules;
  last_step_.input_share =
      speculator_ == nullptr ? timing.input_share : (step_J > 0 ? prompt_J / step_J : 0);
  last_step_.draft_seconds = draft.seconds;
  last_step_.verifications = verifications;
  last_step_.proposed_tokens = proposed;
  last_step_.accepted_tokens = accepted;
  last_step_.running = running();
  last_step_.waiting = waiting();
  last_step_.held_by = held;
  last_step_.evicted_blocks = kv_.caching() ? kv_.cache().evictions() - evictions_before : 0;
  metrics.on_step(last_step_);
  return end_s - now_s;
}

void Replica::complete(Sequence& seq, double now_s, ServingObserver& metrics,
                       std::vector<Request>& finished) {
  cache_blocks(seq);  // its prompt and output, for the session's next call
  release_blocks(seq);
  seq.blocks = 0;
  RequestRecord record;
  record.id = seq.request.id;
  record.replica = index_;
  record.arrival_s = seq.request.arrival_s;
  record.first_scheduled_s = seq.first_scheduled_s;
  record.first_token_s = seq.first_token_s;
  record.finish_s = now_s;
  record.input_tokens = seq.request.input_tokens;
  record.output_tokens = seq.request.output_tokens;
  record.preemptions = seq.preemptions;
  record.priority = seq.request.priority;
  record.joules = seq.joules;
  record.cached_tokens = seq.cached_tokens;
  record.session = seq.request.session;
  metrics.on_request_done(record);
  finished.push_back(seq.request);
  seq.done = true;
}

bool Replica::advance(const Scheduled& s, const Batch& batch, double now_s) {
  Sequence& seq = slots_[s.slot];
  seq.in_flight = false;
  // As start_step shared the energy: a decode or a verification per
  // sequence, a prompt chunk (a one-token chunk counts as a decode, as the
  // batch summary counts it) per token.
  const bool decoding = !seq.in_prefill();
  seq.joules += decoding || s.tokens == 1
                    ? batch.joules_per_decode
                    : static_cast<double>(s.tokens) * batch.joules_per_prompt_token;
  int64_t made = 1;
  if (decoding) {
    // The last token and the accepted drafts stay cached; the rejected
    // drafts' positions are overwritten by the next step.
    made = s.made;
    seq.kv_tokens += made;
    if (s.tokens > 1) {
      ++speculation_.verifications;
      speculation_.proposed += s.tokens - 1;
      speculation_.accepted += made - 1;
    }
  } else {
    seq.kv_tokens += s.tokens;
    seq.prefilled += s.tokens;
    cache_blocks(seq);  // a chunk's full blocks are hits for the next request at once
    if (seq.in_prefill()) return false;  // the prompt's last position yields a token
  }
  seq.generated += made;
  if (seq.first_token_s < 0) {
    seq.first_token_s = now_s;
  } else {
    // A verification's tokens arrive together: each is charged an equal
    // share of the time since the last, so the gaps add up to it.
    const double gap = (now_s - seq.last_token_s) / static_cast<double>(made);
    for (int64_t i = 0; i < made; ++i) gaps_.push_back(gap);
  }
  seq.last_token_s = now_s;
  return true;
}

void Replica::report_completions(double now_s, ServingObserver& metrics,
                                 std::vector<Request>& finished, std::vector<uint32_t>& freed) {
  if (!gaps_.empty()) {
    metrics.on_token_gaps(gaps_.data(), gaps_.size());
    gaps_.clear();
  }
  // In admission order, whichever path and policy formed the batch.
  std::sort(completing_.begin(), completing_.end());
  for (const auto& [order, slot] : completing_) {
    complete(slots_[slot], now_s, metrics, finished);
    freed.push_back(slot);
  }
}

void Replica::finish_step(double now_s, ServingObserver& metrics, std::vector<Request>& finished) {
  if (in_flight_ == 0) throw std::logic_error("finish_step with no step in flight");
  Batch& batch = batches_[oldest_];
  oldest_ = (oldest_ + 1) % batches_.size();
  --in_flight_;
  if (batch.aggregated) {
    finish_aggregated(now_s, batch, metrics, finished);
  } else {
    finish_per_sequence(now_s, batch, metrics, finished);
  }
  batch.items.clear();
}

void Replica::finish_aggregated(double now_s, Batch& batch, ServingObserver& metrics,
                                std::vector<Request>& finished) {
  completing_.clear();
  if (batch.members > 0) {
    // Every member made a token, each after the same gap; those whose last
    // token it was leave.
    metrics.on_repeated_token_gap(now_s - group_last_token_s_,
                                  static_cast<uint64_t>(batch.members));
    group_last_token_s_ = now_s;
    group_joules_ += batch.joules_per_decode;
    due_.clear();
    decoders_.take_due(due_);
    decoders_.advance();
    for (const DecodeAggregate::Member& m : due_) {
      Sequence& seq = slots_[m.slot];
      settle(seq);
      if (seq.generated != seq.request.output_tokens) {
        throw std::logic_error(fmt::format("decode aggregate: request {} left with {} of {} tokens",
                                           seq.request.id, seq.generated,
                                           seq.request.output_tokens));
      }
      completing_.emplace_back(m.order, m.slot);
    }
  }
  // The sequences outside the aggregate, one by one: prefill chunks, and
  // decoders whose last token came at another time (back from host memory,
  // left out of a step, or made while the members waited). A decoder joins
  // once its last token is the members'.
  if (decoders_.empty()) group_last_token_s_ = now_s;
  if (batch.kind != StepKind::kDecodeOnly) partial_.clear();  // all were in the step
  if (batch.kind != StepKind::kPrefillOnly) pending_.clear();
  for (const Scheduled& s : batch.items) {
    const Sequence& seq = slots_[s.slot];
    if (!advance(s, batch, now_s)) {
      partial_.push_back(s.slot);
    } else if (seq.generated >= seq.request.output_tokens) {
      completing_.emplace_back(seq.order, s.slot);
    } else if (seq.last_token_s == group_last_token_s_) {
      join_aggregate(s.slot);
    } else {
      pending_.push_back(s.slot);
    }
  }
  report_completions(now_s, metrics, finished, dead_slots_);
  if (dead_slots_.size() * 2 > running_.size()) compact_running();
}

void Replica::finish_per_sequence(double now_s, Batch& batch, ServingObserver& metrics,
                                  std::vector<Request>& finished) {
  completing_.clear();
  for (const Scheduled& s : batch.items) {
    const Sequence& seq = slots_[s.slot];
    if (advance(s, batch, now_s) && seq.generated >= seq.request.output_tokens) {
      completing_.emplace_back(seq.order, s.slot);
    }
  }
  const bool any_finished = !completing_.empty();
  report_completions(now_s, metrics, finished, free_slots_);
  if (any_finished) {
    running_.erase(std::remove_if(running_.begin(), running_.end(),
                                  [this](uint32_t slot) { return slots_[slot].done; }),
                   running_.end());
  }
  if (!aggregate_enabled_ || in_flight_ > 0) return;
  // Back to the aggregate: the decoders that made a token in this step; a
  // decoder the step left out has another gap and waits apart (pending_)
  // until it is in step again.
  group_last_token_s_ = now_s;
  for (uint32_t slot : running_) {
    Sequence& seq = slots_[slot];
    if (seq.in_prefill()) {
      partial_.push_back(slot);
    } else if (seq.last_token_s == now_s) {
      join_aggregate(slot);
    } else {
      pending_.push_back(slot);
    }
  }
}

}  // namespace jalapeno
