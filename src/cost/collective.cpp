// Collective algorithms as phases of point-to-point flows over a group's
// ranks (rank i is chip group[i]); the Network times each phase on its links.
// Every call adds the topology's collective_launch once. A phase whose flows
// repeat identically is timed once and multiplied, so a call costs one or two
// phase timings of at most n(n-1) flows.
//
// S is the call's bytes as CollectiveModel::best documents them, n the group
// size, phase(F) the Network's time for flows F, and, on a one-tier switch
// with per-chip link rate B, α = 2 link latencies + 1 switch latency + the
// message overhead (the time of a phase of empty messages):
//
// all-reduce
//   ring          reduce-scatter then all-gather: 2(n-1) identical phases in
//                 which rank i sends S/n to rank i+1 (mod n).
//                 switched: 2(n-1)/n·S/B + 2(n-1)·α.
//   double binary tree
//                 NCCL's two complementary binary trees (Sanders, Speck and
//                 Träff 2009; NVIDIA, "Massively Scale Your Deep Learning
//                 Training with NCCL 2.4", 2019): tree 0 over ranks 0..n-1 in
//                 which odd ranks are leaves, tree 1 its mirror (n even) or
//                 its shift by one rank (n odd); each tree carries half the
//                 buffer, reduced up and broadcast down, pipelined in chunks.
//                 Time = up + down + depth·(λ_up + λ_down), where up (down) is
//                 the transfer time of the phase in which every tree edge
//                 carries S/2 child to parent (parent to child), λ that
//                 phase's latency and overhead, depth the deeper tree's
//                 height (ceil(log2 n) for n a power of two).
//                 switched: 2·S/B + 2·depth·α.
//   one-shot      one phase: every rank sends its whole buffer to every other
//                 rank (n(n-1) flows of S), which reduce locally.
//                 switched: (n-1)·S/B + α.
//   two-shot      reduce-scatter direct (each rank sends S/n to each other
//                 rank) then all-gather direct (the same flows again).
//                 switched: 2·((n-1)/n·S/B + α).
//   in-network    the switch reduces (NVLink SHARP): every rank sends S up
//                 and receives S down, the two directions overlapping, at the
//                 in-network rate B_in (in_network_bandwidth, else the link
//                 rate). Switched topologies (or a group inside one
//                 scale-up domain) with in_network_reduction only.
//                 S/B_in + α.
// all-gather (S: the gathered output) and reduce-scatter (S: each input)
//   ring          n-1 identical phases of rank i sending S/n to rank i+1.
//                 switched: (n-1)/n·S/B + (n-1)·α.
//   direct        one phase: each rank sends S/n to every other rank.
//                 switched: (n-1)/n·S/B + α.
// all-to-all (S: what each rank sends in all, an S/n share to each rank)
//   direct        one phase of S/n from every rank to every other rank.
// send/recv (group = {src, dst})
//   direct        one flow of S: switched, S/B + α.
#include "cost/collective.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <unordered_set>

namespace jalapeno {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Rank r's parent in a binary tree over ranks 0..n-1 rooted at 0 (NCCL's
// "btree"): with b the lowest set bit of r, the parent clears b and sets 2b,
// or only clears b where that would leave the range. Odd ranks are leaves.
int64_t btree_parent(int64_t r, int64_t n) {
  if (r == 0) return -1;
  const int64_t bit = r & -r;
  const int64_t up = (r ^ bit) | (bit << 1);
  return up < n ? up : (r ^ bit);
}

// Parents of every rank in the two trees of a double binary tree (-1: root).
std::array<std::vector<int64_t>, 2> double_tree_parents(int64_t n) {
  std::array<std::vector<int64_t>, 2> parents{std::vector<int64_t>(n), std::vector<int64_t>(n)};
  for (int64_t r = 0; r < n; ++r) {
    parents[0][r] = btree_parent(r, n);
    if (n % 2 == 0) {
      // Mirror: rank r plays n-1-r, so tree 0's leaves (odd) are tree 1's inner ranks.
      const int64_t p = btree_parent(n - 1 - r, n);
      parents[1][r] = p < 0 ? -1 : n - 1 - p;
    } else {
      // Shift by one: rank r plays r-1.
      const int64_t p = btree_parent((r - 1 + n) % n, n);
      parents[1][r] = p < 0 ? -1 : (p + 1) % n;
    }
  }
  return parents;
}

int64_t tree_depth(const std::vector<int64_t>& parent) {
  int64_t depth = 0;
  for (int64_t r = 0; r < static_cast<int64_t>(parent.size()); ++r) {
    int64_t d = 0;
    for (int64_t x = r; parent[x] >= 0; x = parent[x]) ++d;
    depth = std::max(depth, d);
  }
  return depth;
}

// Rank i sends bytes to rank i+1 (mod n).
std::vector<Flow> ring_flows(const std::vector<int64_t>& group, double bytes) {
  const size_t n = group.size();
  std::vector<Flow> flows;
  flows.reserve(n);
  for (size_t i = 0; i < n; ++i) flows.push_back({group[i], group[(i + 1) % n], bytes});
  return flows;
}

// Every rank sends bytes to every other rank.
std::vector<Flow> all_pairs_flows(const std::vector<int64_t>& group, double bytes) {
  const size_t n = group.size();
  std::vector<Flow> flows;
  flows.reserve(n * (n - 1));
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) {
      if (i != j) flows.push_back({group[i], group[j], bytes});
    }
  }
  return flows;
}

std::vector<Algorithm> candidates(Collective op) {
  switch (op) {
    case Collective::kAllReduce:
      return {Algorithm::kRing, Algorithm::kDoubleBinaryTree, Algorithm::kOneShot,
              Algorithm::kTwoShot, Algorithm::kInNetwork};
    case Collective::kAllGather:
    case Collective::kReduceScatter:
      return {Algorithm::kRing, Algorithm::kDirect};
    case Collective::kAllToAll:
    case Collective::kSendRecv:
      return {Algorithm::kDirect};
  }
  return {};
}

}  // namespace

std::string_view to_string(Collective c) {
  switch (c) {
    case Collective::kAllReduce:
      return "all_reduce";
    case Collective::kAllGather:
      return "all_gather";
    case Collective::kReduceScatter:
      return "reduce_scatter";
    case Collective::kAllToAll:
      return "all_to_all";
    case Collective::kSendRecv:
      return "send_recv";
  }
  return "unknown";
}

std::string_view to_string(Algorithm a) {
  switch (a) {
    case Algorithm::kRing:
      return "ring";
    case Algorithm::kDoubleBinaryTree:
      return "double_binary_tree";
    case Algorithm::kOneShot:
      return "one_shot";
    case Algorithm::kTwoShot:
      return "two_shot";
    case Algorithm::kInNetwork:
      return "in_network";
    case Algorithm::kDirect:
      return "direct";
  }
  return "unknown";
}

CollectiveModel::CollectiveModel(const Network& network) : network_(network) {}

namespace {

// Throws for a group or a size no call can have: an empty group, a chip off
// the network (std::out_of_range), a chip twice, negative or non-finite bytes.
void check_call(const Network& network, Collective op, const std::vector<int64_t>& group,
                double bytes) {
  if (group.empty()) {
    throw std::invalid_argument(fmt::format("{}: the group is empty", to_string(op)));
  }
  std::unordered_set<int64_t> seen;
  for (int64_t chip : group) {
    if (chip < 0 || chip >= network.chips()) {
      throw std::out_of_range(fmt::format("{}: chip {} is not on this network (chips 0 to {})",
                                          to_string(op), chip, network.chips() - 1));
    }
    if (!seen.insert(chip).second) {
      throw std::invalid_argument(
          fmt::format("{}: chip {} appears twice in the group", to_string(op), chip));
    }
  }
  if (!(bytes >= 0) || !std::isfinite(bytes)) {
    throw std::invalid_argument(
        fmt::format("{}: bytes must be finite and not negative, got {}", to_string(op), bytes));
  }
  if (op == Collective::kSendRecv && group.size() > 2) {
    throw std::invalid_argument(
        fmt::format("send_recv: the group is {{src, dst}}, got {} chips", group.size()));
  }
}

}  // namespace

double CollectiveModel::seconds(Collective op, Algorithm algorithm,
                                const std::vector<int64_t>& group, double bytes) const {
  check_call(network_, op, group, bytes);
  const auto n = static_cast<int64_t>(group.size());
  if (n == 1) return 0;
  const TopologySpec& spec = network_.spec();
  const double launch_s = spec.collective_launch_s;
  const double share = bytes / static_cast<double>(n);
  const auto nd = static_cast<double>(n);

  switch (op) {
    case Collective::kAllReduce:
      switch (algorithm) {
        case Algorithm::kRing:
          return 2 * (nd - 1) * network_.phase_seconds(ring_flows(group, share)) + launch_s;
        case Algorithm::kDoubleBinaryTree: {
          const auto parents = double_tree_parents(n);
          std::vector<Flow> up;
          std::vector<Flow> down;
          for (const auto& parent : parents) {
            for (int64_t r = 0; r < n; ++r) {
              if (parent[r] < 0) continue;
              up.push_back({group[r], group[parent[r]], bytes / 2});
              down.push_back({group[parent[r]], group[r], bytes / 2});
            }
          }
          // A phase's latency (and overhead) is its time with empty messages.
          auto latency_of = [&](std::vector<Flow> flows) {
            for (Flow& f : flows) f.bytes = 0;
            return network_.phase_seconds(flows);
          };
          const double up_latency_s = latency_of(up);
          const double down_latency_s = latency_of(down);
          const double up_s = network_.phase_seconds(up) - up_latency_s;
          const double down_s = network_.phase_seconds(down) - down_latency_s;
          const double depth =
              static_cast<double>(std::max(tree_depth(parents[0]), tree_depth(parents[1])));
          return up_s + down_s + depth * (up_latency_s + down_latency_s) + launch_s;
        }
        case Algorithm::kOneShot:
          return network_.phase_seconds(all_pairs_flows(group, bytes)) + launch_s;
        case Algorithm::kTwoShot:
          return 2 * network_.phase_seconds(all_pairs_flows(group, share)) + launch_s;
        case Algorithm::kInNetwork: {
          if (!spec.in_network_reduction) return kInfinity;
          for (int64_t chip : group) {
            if (!network_.same_domain(group[0], chip)) return kInfinity;
          }
          const double rate = spec.in_network_Bps > 0 ? std::min(spec.in_network_Bps, spec.link.Bps)
                                                      : spec.link.Bps;
          return bytes / rate + 2 * spec.link.latency_s + spec.switch_latency_s +
                 spec.message_overhead_s + launch_s;
        }
        case Algorithm::kDirect:
          return kInfinity;
      }
      return kInfinity;
    case Collective::kAllGather:
    case Collective::kReduceScatter:
      switch (algorithm) {
        case Algorithm::kRing:
          return (nd - 1) * network_.phase_seconds(ring_flows(group, share)) + launch_s;
        case Algorithm::kDirect:
          return network_.phase_seconds(all_pairs_flows(group, share)) + launch_s;
        default:
          return kInfinity;
      }
    case Collective::kAllToAll:
      if (algorithm != Algorithm::kDirect) return kInfinity;
      return network_.phase_seconds(all_pairs_flows(group, share)) + launch_s;
    case Collective::kSendRecv:
      if (algorithm != Algorithm::kDirect) return kInfinity;
      return network_.phase_seconds({{group[0], group[1], bytes}}) + launch_s;
  }
  return kInfinity;
}

CollectiveTime CollectiveModel::best(Collective op, const std::vector<int64_t>& group,
                                     double bytes) const {
  check_call(network_, op, group, bytes);
  if (group.size() == 1) return {Algorithm::kDirect, 0};
  CollectiveTime best{Algorithm::kDirect, kInfinity};
  for (Algorithm a : candidates(op)) {
    const double t = seconds(op, a, group, bytes);
    if (t < best.seconds) best = {a, t};
  }
  return best;
}

}  // namespace jalapeno
