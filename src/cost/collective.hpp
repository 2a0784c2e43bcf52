#pragma once
// Collective operations costed on a network. An algorithm is a sequence of
// phases of point-to-point flows over logical ranks; the Network times each
// phase on its physical links. As NCCL's tuner does, the algorithm for a call
// is the one its cost model says finishes first.
#include <cstdint>
#include <string_view>
#include <vector>

#include "hw/topology.hpp"

namespace jalapeno {

enum class Collective { kAllReduce, kAllGather, kReduceScatter, kAllToAll, kSendRecv };
enum class Algorithm {
  kRing,              // bandwidth-optimal: 2(n-1) steps of S/n
  kDoubleBinaryTree,  // log-depth reduce then broadcast, pipelined
  kOneShot,           // every rank reads every other rank's buffer at once
  kTwoShot,           // reduce-scatter then all-gather, each one direct step
  kInNetwork,         // the switch reduces: send S up, receive S down
  kDirect,            // all-to-all and send/recv: every pair at once
};

std::string_view to_string(Collective c);
std::string_view to_string(Algorithm a);

struct CollectiveTime {
  Algorithm algorithm = Algorithm::kRing;
  double seconds = 0;
};

class CollectiveModel {
 public:
  explicit CollectiveModel(const Network& network);

  // bytes: all-reduce, the buffer on each rank; all-gather, the gathered
  // output on each rank; reduce-scatter, the input on each rank; all-to-all,
  // what each rank sends in all; send/recv, the message (group = {src, dst}).
  // group: the chips taking part, in rank order. A group of one costs 0.
  CollectiveTime best(Collective op, const std::vector<int64_t>& group, double bytes) const;
  // One algorithm; +infinity where it does not apply (in-network without
  // switch support, for example).
  double seconds(Collective op, Algorithm algorithm, const std::vector<int64_t>& group,
                 double bytes) const;

  const Network& network() const { return network_; }

 private:
  const Network& network_;
};

}  // namespace jalapeno
