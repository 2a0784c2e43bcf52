// Networks, collectives and system presets: closed forms on a one-tier
// switch, link sharing on rings, tori and leaf-spine fabrics, the algorithm
// choice, NCCL's measured all-reduce on a DGX H100, and bad topologies.
#include "cost/collective.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "hw/chip_spec.hpp"
#include "hw/topology.hpp"
#include "test_support.hpp"

namespace jalapeno {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Relative closeness for closed forms that should hold to rounding.
void expect_close(double actual, double expected, double rel = 1e-12) {
  EXPECT_NEAR(actual, expected, std::abs(expected) * rel) << "expected " << expected;
}

using testing_support::config_error;

std::vector<int64_t> iota_group(int64_t n) {
  std::vector<int64_t> group;
  for (int64_t i = 0; i < n; ++i) group.push_back(i);
  return group;
}

// A one-tier switch with round figures: B = 100 GB/s per direction,
// α = 2 x 0.5 + 0.5 + 1 = 2.5 us, launch 25 us.
TopologySpec switched(int64_t chips) {
  TopologySpec t;
  t.kind = TopologyKind::kSwitched;
  t.chips = chips;
  t.link = {100e9, 0.5e-6};
  t.switch_latency_s = 0.5e-6;
  t.message_overhead_s = 1e-6;
  t.collective_launch_s = 25e-6;
  return t;
}

constexpr double kB = 100e9;
constexpr double kAlpha = 2 * 0.5e-6 + 0.5e-6 + 1e-6;
constexpr double kLaunch = 25e-6;

// --- closed forms on a one-tier switch ------------------------------------------

TEST(CollectiveClosedForms, RingAllReduceOnASwitch) {
  const Network net(switched(8));
  const CollectiveModel model(net);
  const double n = 8;
  for (double S : {1e3, 1e6, 1e9}) {
    const double expected = 2 * (n - 1) / n * S / kB + 2 * (n - 1) * kAlpha + kLaunch;
    expect_close(model.seconds(Collective::kAllReduce, Algorithm::kRing, iota_group(8), S),
                 expected);
  }
}

TEST(CollectiveClosedForms, AllGatherAndReduceScatter) {
  const Network net(switched(8));
  const CollectiveModel model(net);
  const double n = 8;
  const double S = 64e6;
  for (Collective c : {Collective::kAllGather, Collective::kReduceScatter}) {
    expect_close(model.seconds(c, Algorithm::kRing, iota_group(8), S),
                 (n - 1) / n * S / kB + (n - 1) * kAlpha + kLaunch);
    expect_close(model.seconds(c, Algorithm::kDirect, iota_group(8), S),
                 (n - 1) / n * S / kB + kAlpha + kLaunch);
  }
  expect_close(model.seconds(Collective::kAllToAll, Algorithm::kDirect, iota_group(8), S),
               (n - 1) / n * S / kB + kAlpha + kLaunch);
}

TEST(CollectiveClosedForms, SendRecvIsOneFlow) {
  const Network net(switched(8));
  const CollectiveModel model(net);
  const double S = 3e6;
  expect_close(model.seconds(Collective::kSendRecv, Algorithm::kDirect, {2, 5}, S),
               S / kB + kAlpha + kLaunch);
  const CollectiveTime best = model.best(Collective::kSendRecv, {2, 5}, S);
  EXPECT_EQ(best.algorithm, Algorithm::kDirect);
  expect_close(best.seconds, S / kB + kAlpha + kLaunch);
}

TEST(CollectiveClosedForms, OneShotTwoShotAndDoubleBinaryTree) {
  const Network net(switched(8));
  const CollectiveModel model(net);
  const double n = 8;
  const double S = 8e6;
  const auto g = iota_group(8);
  expect_close(model.seconds(Collective::kAllReduce, Algorithm::kOneShot, g, S),
               (n - 1) * S / kB + kAlpha + kLaunch);
  expect_close(model.seconds(Collective::kAllReduce, Algorithm::kTwoShot, g, S),
               2 * ((n - 1) / n * S / kB + kAlpha) + kLaunch);
  // Two trees of depth log2(8) = 3, each link carrying S per direction.
  expect_close(model.seconds(Collective::kAllReduce, Algorithm::kDoubleBinaryTree, g, S),
               2 * S / kB + 2 * 3 * kAlpha + kLaunch, 1e-9);
}

TEST(CollectiveClosedForms, InNetworkReduction) {
  TopologySpec spec = switched(8);
  spec.in_network_reduction = true;
  const Network net(spec);
  const CollectiveModel model(net);
  const double S = 256e6;
  expect_close(model.seconds(Collective::kAllReduce, Algorithm::kInNetwork, iota_group(8), S),
               S / kB + kAlpha + kLaunch);
  // At a reduction rate below the link's, that rate.
  spec.in_network_Bps = 60e9;
  const Network slower(spec);
  const CollectiveModel slower_model(slower);
  expect_close(
      slower_model.seconds(Collective::kAllReduce, Algorithm::kInNetwork, iota_group(8), S),
      S / 60e9 + kAlpha + kLaunch);
  // Without switch support the algorithm does not apply.
  const Network plain(switched(8));
  const CollectiveModel plain_model(plain);
  EXPECT_EQ(plain_model.seconds(Collective::kAllReduce, Algorithm::kInNetwork, iota_group(8), S),
            kInf);
}

TEST(CollectiveClosedForms, AlgorithmsThatDoNotApplyAreInfinite) {
  const Network net(switched(4));
  const CollectiveModel model(net);
  EXPECT_EQ(model.seconds(Collective::kAllReduce, Algorithm::kDirect, iota_group(4), 1e6), kInf);
  EXPECT_EQ(model.seconds(Collective::kAllToAll, Algorithm::kRing, iota_group(4), 1e6), kInf);
  EXPECT_EQ(model.seconds(Collective::kAllGather, Algorithm::kOneShot, iota_group(4), 1e6), kInf);
  EXPECT_EQ(model.seconds(Collective::kSendRecv, Algorithm::kRing, {0, 1}, 1e6), kInf);
}

TEST(CollectiveClosedForms, AGroupOfOneCostsNothing) {
  const Network net(switched(8));
  const CollectiveModel model(net);
  for (Collective c : {Collective::kAllReduce, Collective::kAllGather, Collective::kReduceScatter,
                       Collective::kAllToAll, Collective::kSendRecv}) {
    const CollectiveTime t = model.best(c, {3}, 1e9);
    EXPECT_EQ(t.algorithm, Algorithm::kDirect) << to_string(c);
    EXPECT_EQ(t.seconds, 0) << to_string(c);
    EXPECT_EQ(model.seconds(c, Algorithm::kRing, {3}, 1e9), 0) << to_string(c);
  }
}

TEST(CollectiveClosedForms, LaunchIsChargedOncePerCall) {
  TopologySpec spec = switched(8);
  spec.collective_launch_s = 0;
  const Network bare(spec);
  const Network launched(switched(8));
  const CollectiveModel a(bare);
  const CollectiveModel b(launched);
  for (Algorithm alg :
       {Algorithm::kRing, Algorithm::kDoubleBinaryTree, Algorithm::kOneShot, Algorithm::kTwoShot}) {
    expect_close(b.seconds(Collective::kAllReduce, alg, iota_group(8), 1e6) -
                     a.seconds(Collective::kAllReduce, alg, iota_group(8), 1e6),
                 kLaunch, 1e-9);
  }
}

TEST(CollectiveCalls, RejectBadGroupsAndSizes) {
  const Network net(switched(8));
  const CollectiveModel model(net);
  EXPECT_THROW(model.best(Collective::kAllReduce, {0, 8}, 1e6), std::out_of_range);
  EXPECT_THROW(model.best(Collective::kAllReduce, {-1, 2}, 1e6), std::out_of_range);
  EXPECT_THROW(model.best(Collective::kAllReduce, {1, 1}, 1e6), std::invalid_argument);
  EXPECT_THROW(model.best(Collective::kAllReduce, {}, 1e6), std::invalid_argument);
  EXPECT_THROW(model.best(Collective::kAllReduce, {0, 1}, -1), std::invalid_argument);
  EXPECT_THROW(model.best(Collective::kSendRecv, {0, 1, 2}, 1e6), std::invalid_argument);
}

TEST(CollectiveNames, AreStable) {
  EXPECT_EQ(to_string(Collective::kAllReduce), "all_reduce");
  EXPECT_EQ(to_string(Collective::kSendRecv), "send_recv");
  EXPECT_EQ(to_string(Algorithm::kDoubleBinaryTree), "double_binary_tree");
  EXPECT_EQ(to_string(Algorithm::kInNetwork), "in_network");
}

// --- the network: routing and link sharing -----------------------------------------

TEST(NetworkSwitched, PhaseTimeIsBusiestLinkPlusLatency) {
  const Network net(switched(4));
  EXPECT_EQ(net.hops(0, 3), 2);
  EXPECT_EQ(net.hops(2, 2), 0);
  // Two flows into chip 3 share its down-link.
  expect_close(net.phase_seconds({{0, 3, 1e6}, {1, 3, 1e6}}), 2e6 / kB + kAlpha);
  // Opposite directions do not share.
  expect_close(net.phase_seconds({{0, 1, 1e6}, {1, 0, 1e6}}), 1e6 / kB + kAlpha);
  EXPECT_EQ(net.phase_seconds({}), 0);
  EXPECT_EQ(net.phase_seconds({{2, 2, 1e9}}), 0);  // stays on the chip
}

TEST(NetworkSwitched, RejectsChipsOffTheNetwork) {
  const Network net(switched(4));
  EXPECT_THROW(net.phase_seconds({{0, 4, 1.0}}), std::out_of_range);
  EXPECT_THROW(net.phase_seconds({{-1, 0, 1.0}}), std::out_of_range);
  EXPECT_THROW(net.hops(0, 4), std::out_of_range);
  EXPECT_THROW(net.phase_seconds({{0, 1, -1.0}}), std::invalid_argument);
}

TopologySpec ring(int64_t chips) {
  TopologySpec t = switched(chips);
  t.kind = TopologyKind::kRing;
  t.switch_latency_s = 0.2e-6;  // forwarding at each intermediate chip
  return t;
}

TEST(NetworkRing, ShorterWayRoundAndSharedLinks) {
  const Network net(ring(8));
  EXPECT_EQ(net.hops(0, 1), 1);
  EXPECT_EQ(net.hops(0, 7), 1);
  EXPECT_EQ(net.hops(1, 6), 3);
  EXPECT_EQ(net.hops(0, 4), 4);
  // 1 -> 6 goes backward: 3 links, 3 link latencies and 2 forwarding chips.
  expect_close(net.phase_seconds({{1, 6, 1e6}}), 1e6 / kB + 3 * 0.5e-6 + 2 * 0.2e-6 + 1e-6);
  // 0 -> 4 is a tie: half the bytes each way.
  expect_close(net.phase_seconds({{0, 4, 1e6}}), 0.5e6 / kB + 4 * 0.5e-6 + 3 * 0.2e-6 + 1e-6);
  // 0 -> 2 and 1 -> 3 share the link 1 -> 2.
  expect_close(net.phase_seconds({{0, 2, 1e6}, {1, 3, 1e6}}),
               2e6 / kB + 2 * 0.5e-6 + 0.2e-6 + 1e-6);
}

TEST(CollectiveOnRing, NeighbouringRanksBeatAScatteredLayout) {
  const Network net(ring(8));
  const CollectiveModel model(net);
  const double S = 64e6;
  const double n = 8;
  const double neighbours =
      model.seconds(Collective::kAllReduce, Algorithm::kRing, {0, 1, 2, 3, 4, 5, 6, 7}, S);
  // Every phase: S/n over one link, one hop.
  expect_close(neighbours, 2 * (n - 1) * (S / n / kB + 0.5e-6 + 1e-6) + kLaunch);
  const double scattered =
      model.seconds(Collective::kAllReduce, Algorithm::kRing, {0, 2, 4, 6, 1, 3, 5, 7}, S);
  EXPECT_GT(scattered, 1.5 * neighbours);
  // Large all-reduces on a ring pick the ring algorithm.
  EXPECT_EQ(model.best(Collective::kAllReduce, iota_group(8), 1e9).algorithm, Algorithm::kRing);
}

TopologySpec torus444() {
  TopologySpec t = switched(64);
  t.kind = TopologyKind::kTorus;
  t.dims = {4, 4, 4};
  t.switch_latency_s = 0.2e-6;
  return t;
}

TEST(NetworkTorus, DimensionOrderHopsWithWraparound) {
  const Network net(torus444());
  // Chip index = x + 4y + 16z.
  EXPECT_EQ(net.hops(0, 3), 1);   // x: 0 -> 3 wraps round
  EXPECT_EQ(net.hops(0, 21), 3);  // (1, 1, 1)
  EXPECT_EQ(net.hops(0, 42), 6);  // (2, 2, 2): the far corner
  EXPECT_EQ(net.hops(5, 63), 5);  // (1, 1, 0) -> (3, 3, 3): 2 + 2 + 1 (z wraps)
  EXPECT_EQ(net.hops(63, 0), 3);  // (3, 3, 3) -> (0, 0, 0): one wrap in each
  const CollectiveModel model(net);
  const double S = 1e6;
  // Three hops, no tie: S over each link, 3 latencies and 2 forwarding chips.
  expect_close(model.seconds(Collective::kSendRecv, Algorithm::kDirect, {0, 21}, S),
               S / kB + 3 * 0.5e-6 + 2 * 0.2e-6 + 1e-6 + kLaunch);
  // Two hops each way round in x: the bytes split.
  expect_close(net.phase_seconds({{0, 2, S}}), S / 2 / kB + 2 * 0.5e-6 + 0.2e-6 + 1e-6);
  // A flow along x then y shares no link with one along y alone from elsewhere.
  expect_close(net.phase_seconds({{0, 5, S}, {2, 6, S}}), S / kB + 2 * 0.5e-6 + 0.2e-6 + 1e-6);
}

TopologySpec leaf_spine(double uplink_Bps) {
  TopologySpec t = switched(8);
  t.kind = TopologyKind::kLeafSpine;
  t.chips_per_leaf = 4;
  t.uplink = {uplink_Bps, 0.7e-6};
  return t;
}

TEST(NetworkLeafSpine, OversubscribedUplinksSlowCrossLeafPhases) {
  // Four chips per leaf at 100 GB/s share a 100 GB/s uplink: 4:1.
  const Network net(leaf_spine(100e9));
  EXPECT_EQ(net.hops(0, 3), 2);
  EXPECT_EQ(net.hops(0, 4), 4);
  const double S = 1e6;
  const double within = net.phase_seconds({{0, 1, S}, {1, 2, S}, {2, 3, S}, {3, 0, S}});
  expect_close(within, S / kB + kAlpha);
  const double across = net.phase_seconds({{0, 4, S}, {1, 5, S}, {2, 6, S}, {3, 7, S}});
  expect_close(across, 4 * S / 100e9 + 2 * 0.5e-6 + 2 * 0.7e-6 + 3 * 0.5e-6 + 1e-6);
  EXPECT_GT(across, 3 * within);
  // The same all-to-all on a non-blocking fabric (uplink 400 GB/s) is faster.
  const Network full(leaf_spine(400e9));
  const CollectiveModel over(net);
  const CollectiveModel non_blocking(full);
  const double big = 256e6;
  EXPECT_GT(over.best(Collective::kAllToAll, iota_group(8), big).seconds,
            1.5 * non_blocking.best(Collective::kAllToAll, iota_group(8), big).seconds);
  // A group within one leaf never touches the uplinks.
  expect_close(over.seconds(Collective::kAllReduce, Algorithm::kRing, {0, 1, 2, 3}, big),
               non_blocking.seconds(Collective::kAllReduce, Algorithm::kRing, {0, 1, 2, 3}, big));
}

TEST(NetworkTopologies, InconsistentOnesAreConfigErrors) {
  TopologySpec none = switched(0);
  EXPECT_THAT(config_error([&] { Network n(none); }), HasSubstr("at least one chip"));
  TopologySpec no_bandwidth = switched(8);
  no_bandwidth.link.Bps = 0;
  EXPECT_THAT(config_error([&] { Network n(no_bandwidth); }), HasSubstr("bandwidth"));
  TopologySpec dims = torus444();
  dims.dims = {4, 4, 3};
  EXPECT_THAT(config_error([&] { Network n(dims); }), HasSubstr("unreachable"));
  TopologySpec no_dims = torus444();
  no_dims.dims.clear();
  EXPECT_THAT(config_error([&] { Network n(no_dims); }), HasSubstr("dims"));
  TopologySpec leaves = leaf_spine(100e9);
  leaves.chips_per_leaf = 3;
  EXPECT_THAT(config_error([&] { Network n(leaves); }), HasSubstr("chips_per_leaf"));
  TopologySpec no_uplink = leaf_spine(0);
  EXPECT_THAT(config_error([&] { Network n(no_uplink); }), HasSubstr("uplink"));
  TopologySpec ring_dims = ring(8);
  ring_dims.dims = {4};
  EXPECT_THAT(config_error([&] { Network n(ring_dims); }), HasSubstr("ring"));
  TopologySpec ring_sharp = ring(8);
  ring_sharp.in_network_reduction = true;
  EXPECT_THAT(config_error([&] { Network n(ring_sharp); }), HasSubstr("switch"));
  TopologySpec negative = switched(8);
  negative.message_overhead_s = -1e-6;
  EXPECT_THAT(config_error([&] { Network n(negative); }), HasSubstr("zero or more"));
}

// --- algorithm choice and the presets ------------------------------------------------

TEST(CollectiveBest, SmallMessagesGoDirectLargeOnesToTheSwitchOrTheRing) {
  const SystemSpec a100 = load_system("hgx-a100");
  const Network a100_net(a100.topology);
  const CollectiveModel a100_model(a100_net);
  const auto g = iota_group(8);
  EXPECT_EQ(a100_model.best(Collective::kAllReduce, g, 16e3).algorithm, Algorithm::kOneShot);
  EXPECT_EQ(a100_model.best(Collective::kAllReduce, g, 4e6).algorithm, Algorithm::kTwoShot);

  const SystemSpec h100 = load_system("hgx-h100");
  const Network h100_net(h100.topology);
  const CollectiveModel h100_model(h100_net);
  EXPECT_EQ(h100_model.best(Collective::kAllReduce, g, 256e6).algorithm, Algorithm::kInNetwork);

  // best() is the minimum over the algorithms that apply.
  for (double S : {1e3, 1e5, 1e7, 1e9}) {
    const CollectiveTime best = h100_model.best(Collective::kAllReduce, g, S);
    for (Algorithm alg : {Algorithm::kRing, Algorithm::kDoubleBinaryTree, Algorithm::kOneShot,
                          Algorithm::kTwoShot, Algorithm::kInNetwork}) {
      EXPECT_LE(best.seconds, h100_model.seconds(Collective::kAllReduce, alg, g, S));
    }
  }
}

// NCCL all-reduce on a DGX H100 as Microsoft's Vidur profiled it
// (microsoft/vidur, data/profiling/network/h100_dgx/all_reduce.csv at commit
// e26eb8f79fa9a6a7c38eac0f5291302402b20364, 8 workers, column
// time_stats.all_reduce.median in ms). The `size` column is bytes: Vidur's
// vidur/profiling/collectives/collectives_wrapper.py records "size": size * 2
// for its fp16 buffer, and its predictor divides size by 2 x hidden size to
// get tokens. Rows (the file's index column): 2, 18,432 B -> 0.029 ms;
// 128, 1,048,576 B -> 0.034 ms; 993, 67,108,864 B -> 0.322 ms.
// collective_launch in the preset is set from this profile's small-message
// floor, so the first point checks consistency; the other two test the
// bandwidth model. The profile's 64 MiB point runs at 208 GB/s of algorithm
// bandwidth, which is NCCL's ring without NVLink SHARP (~211 GB/s); the
// preset models SHARP (275 GB/s), so it predicts that point ~16% fast.
TEST(CollectiveNccl, AllReduceOnHgxH100MatchesVidursProfileWithin20Percent) {
  const SystemSpec h100 = load_system("hgx-h100");
  const Network net(h100.topology);
  const CollectiveModel model(net);
  struct Point {
    double bytes;
    double measured_s;
  };
  for (const Point& p : {Point{18432, 29e-6}, Point{1048576, 34e-6}, Point{67108864, 322e-6}}) {
    const CollectiveTime t = model.best(Collective::kAllReduce, iota_group(8), p.bytes);
    const double error = t.seconds / p.measured_s - 1;
    EXPECT_LT(std::abs(error), 0.20)
        << p.bytes << " B: predicted " << t.seconds * 1e6 << " us (" << to_string(t.algorithm)
        << "), measured " << p.measured_s * 1e6 << " us";
    std::cout << "[ nccl     ] all-reduce " << p.bytes << " B: predicted " << t.seconds * 1e6
              << " us (" << to_string(t.algorithm) << "), measured " << p.measured_s * 1e6
              << " us, " << (error >= 0 ? "+" : "") << error * 100 << "%\n";
  }
}

TEST(CollectiveCost, A72ChipCallIsCheap) {
  const SystemSpec nvl72 = load_system("gb200-nvl72");
  const Network net(nvl72.topology);
  const CollectiveModel model(net);
  const auto start = std::chrono::steady_clock::now();
  const CollectiveTime t = model.best(Collective::kAllReduce, iota_group(72), 64e6);
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GT(t.seconds, 0);
  EXPECT_LT(elapsed, 0.05);  // five algorithms, at most 72 x 71 flows per phase
}

TEST(SystemPresets, EveryPresetLoadsBuildsItsNetworkAndNamesAChip) {
  const std::vector<std::string> names = system_preset_names();
  for (const char* expected : {"hgx-a100", "hgx-h100", "hgx-h200", "gb200-nvl72",
                               "ethernet-rack-64", "torus-4x4x4", "ib-leaf-spine-256"}) {
    EXPECT_THAT(names, ::testing::Contains(std::string(expected)));
  }
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const SystemSpec system = load_system(name);
    EXPECT_EQ(system.name, name);
    EXPECT_FALSE(system.source.empty());
    EXPECT_NO_THROW(Network{system.topology});
    EXPECT_NO_THROW(load_chip(system.chip));
  }
  const SystemSpec h100 = load_system("hgx-h100");
  EXPECT_EQ(h100.chip, "h100-sxm");
  EXPECT_EQ(h100.topology.chips, 8);
  expect_close(h100.topology.link.Bps, 450e9 * 0.82);
  EXPECT_TRUE(h100.topology.in_network_reduction);
  const SystemSpec nvl72 = load_system("gb200-nvl72");
  EXPECT_EQ(nvl72.chip, "b200");
  EXPECT_EQ(nvl72.topology.chips, 72);
}

TEST(SystemPresets, UnknownNamesListThePresets) {
  const std::string msg = config_error([] { load_system("hgx-z100"); });
  EXPECT_THAT(msg, HasSubstr("hgx-z100"));
  EXPECT_THAT(msg, HasSubstr("hgx-h100"));
}

// --- system files: every mistake is a ConfigError naming the file and key -----

class SystemFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("jalapeno_system_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& topology, const std::string& chip = "h100-sxm") {
    const fs::path path = dir_ / "system.yaml";
    std::ofstream(path) << "name: test\nsource: a test\nchip: " << chip << "\ntopology:\n"
                        << topology;
    return path.string();
  }

  static constexpr const char* kGood =
      "  kind: switched\n"
      "  chips: 8\n"
      "  link: {bandwidth: 100GB/s, latency: 0.5us}\n"
      "  switch_latency: 0.5us\n"
      "  message_overhead: 1us\n"
      "  collective_launch: 25us\n";

  fs::path dir_;
};

TEST_F(SystemFiles, ReadsAMinimalSwitchedSystem) {
  const SystemSpec s = read_system_spec(write(kGood));
  EXPECT_EQ(s.topology.kind, TopologyKind::kSwitched);
  EXPECT_EQ(s.topology.chips, 8);
  EXPECT_DOUBLE_EQ(s.topology.link.Bps, 100e9);  // efficiency defaults to 1
  EXPECT_DOUBLE_EQ(s.topology.collective_launch_s, 25e-6);
  EXPECT_FALSE(s.topology.in_network_reduction);
}

TEST_F(SystemFiles, ReadsTorusAndLeafSpine) {
  const SystemSpec torus =
      read_system_spec(write("  kind: torus\n  chips: 8\n  dims: [2, 4]\n"
                             "  link: {bandwidth: 50GB/s, efficiency: 0.5, latency: 1us}\n"
                             "  message_overhead: 1us\n  collective_launch: 0us\n"));
  EXPECT_EQ(torus.topology.dims, (std::vector<int64_t>{2, 4}));
  EXPECT_DOUBLE_EQ(torus.topology.link.Bps, 25e9);
  const SystemSpec ls = read_system_spec(
      write("  kind: leaf_spine\n  chips: 8\n  chips_per_leaf: 4\n"
            "  link: {bandwidth: 50GB/s, latency: 1us}\n"
            "  uplink: {bandwidth: 100GB/s, latency: 1us}\n"
            "  switch_latency: 0.5us\n  message_overhead: 1us\n  collective_launch: 0us\n"));
  EXPECT_EQ(ls.topology.chips_per_leaf, 4);
  EXPECT_DOUBLE_EQ(ls.topology.uplink.Bps, 100e9);
}

TEST_F(SystemFiles, MistakesNameTheFileAndKey) {
  struct Case {
    std::string topology;
    std::string key;
  };
  const std::vector<Case> cases = {
      {"  kind: mesh\n  chips: 8\n", "topology.kind"},
      {std::string(kGood) + "  dims: [2, 4]\n", "topology.dims"},
      {std::string(kGood) + "  chips_per_leaf: 4\n", "topology.chips_per_leaf"},
      {std::string(kGood) + "  in_network_bandwidth: 100GB/s\n", "topology.in_network_bandwidth"},
      {std::string(kGood) + "  bandwith: 1GB/s\n", "topology.bandwith"},
      {"  kind: switched\n  chips: 0\n", "topology.chips"},
      {"  kind: switched\n  chips: 8\n  link: {bandwidth: 0GB/s, latency: 1us}\n",
       "topology.link.bandwidth"},
      {"  kind: switched\n  chips: 8\n  link: {bandwidth: 1GB/s, latency: -1us}\n",
       "topology.link.latency"},
      {"  kind: switched\n  chips: 8\n  link: {bandwidth: 1GB/s, efficiency: 1.5, latency: 1us}\n",
       "topology.link.efficiency"},
      {"  kind: torus\n  chips: 8\n  dims: [2, 2]\n"
       "  link: {bandwidth: 1GB/s, latency: 1us}\n  message_overhead: 1us\n"
       "  collective_launch: 0us\n",
       "topology.dims"},
      {"  kind: torus\n  chips: 8\n  dims: [2, x]\n"
       "  link: {bandwidth: 1GB/s, latency: 1us}\n  message_overhead: 1us\n"
       "  collective_launch: 0us\n",
       "topology.dims"},
      {"  kind: ring\n  chips: 8\n  link: {bandwidth: 1GB/s, latency: 1us}\n"
       "  message_overhead: 1us\n  collective_launch: 0us\n  in_network_reduction: true\n",
       "topology.in_network_reduction"},
      {"  kind: leaf_spine\n  chips: 8\n  chips_per_leaf: 3\n"
       "  link: {bandwidth: 1GB/s, latency: 1us}\n  switch_latency: 0.5us\n"
       "  message_overhead: 1us\n  collective_launch: 0us\n",
       "topology.chips_per_leaf"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.topology);
    const std::string path = write(c.topology);
    const std::string msg = config_error([&] { read_system_spec(path); });
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr(c.key));
  }
}

TEST_F(SystemFiles, UnknownChipsAreConfigErrors) {
  const std::string path = write(kGood, "h900-sxm");
  const std::string msg = config_error([&] { read_system_spec(path); });
  EXPECT_THAT(msg, HasSubstr("chip"));
  EXPECT_THAT(msg, HasSubstr("h900-sxm"));
  EXPECT_THAT(msg, HasSubstr("h100-sxm"));  // the presets are listed
}

}  // namespace
}  // namespace jalapeno
