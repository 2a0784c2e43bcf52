// The rack and its network (issue 13, item 3): switch presets, a tier built
// from one, scale-up domains joined by a scale-out fabric, copper and optics,
// and the system's price part by part.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cost/collective.hpp"
#include "dse/plan_search.hpp"
#include "dse/sweep.hpp"
#include "hw/chip_spec.hpp"
#include "hw/die_model.hpp"
#include "hw/switch_spec.hpp"
#include "hw/topology.hpp"
#include "plan/hardware.hpp"
#include "serve/scenario.hpp"
#include "test_support.hpp"

namespace jalapeno {
namespace {

using ::testing::HasSubstr;
using testing_support::config_error;

const std::string kFixtures = std::string(JALAPENO_SOURCE_DIR) + "/tests/data/params/systems/";
const std::string kSwitched = kFixtures + "switched-from-presets.yaml";
const std::string kScaleUpOut = kFixtures + "scale-up-out.yaml";

// A system file: `body` laid over `base` (extends), or whole when base is empty.
std::string write_system(const std::string& name, const std::string& base,
                         const std::string& body) {
  const auto dir = std::filesystem::temp_directory_path() / "jalapeno_rack_network_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / (name + ".yaml")).string();
  std::ofstream out(path);
  if (!base.empty()) out << "extends: " << base << "\n";
  out << body;
  return path;
}

TEST(SwitchPresets, EveryOneLoadsWithItsCapacity) {
  const auto names = switch_preset_names();
  for (const char* name :
       {"tomahawk5", "tomahawk6", "tomahawk-ultra", "nvswitch5", "quantum-x800"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
  for (const std::string& name : names) {
    const SwitchSpec s = load_switch(name);
    EXPECT_EQ(s.name, name);
    EXPECT_GT(s.ports, 0) << name;
    EXPECT_DOUBLE_EQ(s.capacity_Bps(), static_cast<double>(s.ports) * s.port_Bps) << name;
  }
  // Tomahawk 5 and Ultra: 51.2 Tb/s; Tomahawk 6 twice that (Broadcom).
  EXPECT_DOUBLE_EQ(load_switch("tomahawk5").capacity_Bps(), 51.2e12 / 8);
  EXPECT_DOUBLE_EQ(load_switch("tomahawk-ultra").capacity_Bps(), 51.2e12 / 8);
  EXPECT_DOUBLE_EQ(load_switch("tomahawk6").capacity_Bps(), 102.4e12 / 8);
  EXPECT_TRUE(load_switch("tomahawk-ultra").in_network_collectives);
  EXPECT_FALSE(load_switch("tomahawk5").in_network_collectives);
}

TEST(SwitchTiers, ASwitchedTierTakesLatencyPowerAndOpticsFromItsPreset) {
  const SystemSpec system = load_system(kSwitched);
  const SwitchSpec tomahawk5 = load_switch("tomahawk5");
  const TopologySpec& t = system.topology;
  EXPECT_DOUBLE_EQ(t.switch_latency_s, tomahawk5.latency_s);
  EXPECT_FALSE(t.in_network_reduction);
  ASSERT_EQ(t.tiers.size(), 1u);
  const SwitchTier& tier = t.tiers[0];
  EXPECT_EQ(tier.switch_model, "tomahawk5");
  EXPECT_EQ(tier.switches, 8);
  EXPECT_EQ(tier.medium, LinkMedium::kOptics);
  // 64 chips x 8 links, a transceiver at each end.
  EXPECT_EQ(tier.transceivers, 2 * 64 * 8);
  ASSERT_TRUE(system.power.has_value());
  EXPECT_DOUBLE_EQ(system.power->tiers_W, 8 * tomahawk5.idle_W + 1024 * 15.0);
  EXPECT_DOUBLE_EQ(t.switch_byte_J, tomahawk5.byte_J);
  // The rack's draw counts the switches and optics: 32 chips of 64.
  const ChipSpec chip = load_chip(system.chip);
  ASSERT_TRUE(system.rack.has_value());
  EXPECT_NEAR(system.rack->draw_W, 32 * (chip.tdp_W + system.power->total_W() / 64), 1e-6);
}

TEST(SwitchTiers, InNetworkReductionComesFromAPresetThatHasIt) {
  const std::string ultra =
      write_system("ultra", kSwitched, "topology: {switch: {model: tomahawk-ultra}}\n");
  EXPECT_TRUE(load_system(ultra).topology.in_network_reduction);
  const std::string off =
      write_system("ultra-off", kSwitched,
                   "topology: {switch: {model: tomahawk-ultra}, in_network_reduction: false}\n");
  EXPECT_FALSE(load_system(off).topology.in_network_reduction);
}

TEST(SwitchTiers, BadTiersAreRefusedNamingTheKey) {
  struct Case {
    const char* name;
    std::string body;
    const char* key;
  };
  const std::vector<Case> cases = {
      {"few-switches", "topology: {switch: {count: 7}}\n", "topology.switch.count"},
      {"link-over-port", "topology: {link: {bandwidth: 200GB/s, count: 4}}\n",
       "topology.link.bandwidth"},
      {"latency-twice", "topology: {switch_latency: 1us}\n", "topology.switch_latency"},
      {"no-inc", "topology: {in_network_reduction: true}\n", "topology.in_network_reduction"},
      {"unknown-switch", "topology: {switch: {model: tomahawk9}}\n", "topology.switch.model"},
      {"bad-medium", "topology: {medium: carrier-pigeon}\n", "topology.medium"},
      {"copper-transceiver", "topology: {medium: copper}\n", "topology.transceiver"},
      {"switches-twice", "power: {switches: {count: 8, ports: 64, per_port: 5W, per_byte: 1pJ}}\n",
       "power.switches"},
      {"bad-host-price", "cost: {host: 30000EUR}\n", "cost.host"},
  };
  for (const Case& c : cases) {
    const std::string path = write_system(c.name, kSwitched, c.body);
    const std::string message = config_error([&] { load_system(path); });
    EXPECT_THAT(message, HasSubstr(c.key)) << c.name;
    EXPECT_THAT(message, HasSubstr(path)) << c.name;
  }
}

TEST(SwitchTiers, CopperStaysInsideARack) {
  // The fixture's optics tier spans two racks of 32; on copper it cannot.
  const std::string path = write_system("copper-two-racks", kSwitched,
                                        "topology: {medium: copper, transceiver: null}\n");
  const std::string message = config_error([&] { load_system(path); });
  EXPECT_THAT(message, HasSubstr("topology.medium"));
  EXPECT_THAT(message, HasSubstr("optics"));
  // One rack of 64 holds it.
  const std::string one_rack = write_system(
      "copper-one-rack", kSwitched,
      "topology: {medium: copper, transceiver: null}\nrack: {chips_per_rack: 64, power_budget: "
      "120kW}\n");
  EXPECT_EQ(load_system(one_rack).topology.tiers[0].transceivers, 0);
}

TEST(SwitchTiers, PresetSwitchesNeedTheRestOfThePowerStated) {
  const std::string path = write_system("no-power", "", R"(name: no-power
source: test
chip: h200-sxm
topology:
  kind: switched
  chips: 8
  link: {bandwidth: 100GB/s, count: 8, latency: 0.5us}
  switch: {model: tomahawk5, count: 1}
  medium: copper
  message_overhead: 1us
  collective_launch: 10us
)");
  EXPECT_THAT(config_error([&] { load_system(path); }), HasSubstr("power"));
}

TEST(ScaleUpOut, DomainsAndTheFabricAreSizedFromThePresets) {
  const SystemSpec system = load_system(kScaleUpOut);
  const TopologySpec& t = system.topology;
  EXPECT_EQ(t.kind, TopologyKind::kScaleUpOut);
  EXPECT_EQ(t.chips_per_domain, 32);
  ASSERT_EQ(t.tiers.size(), 2u);
  const SwitchTier& up = t.tiers[0];
  const SwitchTier& out = t.tiers[1];
  EXPECT_EQ(up.name, "scale_up");
  EXPECT_EQ(up.switches, 4 * 8);  // 4 per domain, 8 domains
  EXPECT_EQ(up.transceivers, 0);  // copper
  EXPECT_EQ(out.name, "scale_out");
  // 256 chip ports on radix-64 switches: beyond one switch, within 64^2/2,
  // so a leaf-spine of 512/64 = 8 leaves and 256/64 = 4 spines.
  EXPECT_EQ(out.levels, 2);
  EXPECT_EQ(t.out_levels, 2);
  EXPECT_EQ(out.switches, 12);
  EXPECT_EQ(out.transceivers, 2 * 256 * 2);  // both ends of both levels' links
  EXPECT_TRUE(t.in_network_reduction);       // Tomahawk Ultra reduces in the network
}

TEST(ScaleUpOut, MessagesInsideADomainUseScaleUpAndAcrossUseTheFabric) {
  const SystemSpec system = load_system(kScaleUpOut);
  const TopologySpec& t = system.topology;
  const Network network(t);
  EXPECT_EQ(network.hops(0, 31), 2);
  EXPECT_EQ(network.hops(0, 32), 4);
  EXPECT_TRUE(network.same_domain(0, 31));
  EXPECT_FALSE(network.same_domain(0, 32));
  const double bytes = 1e9;
  const double inside = network.phase_seconds({{0, 1, bytes}});
  EXPECT_NEAR(inside,
              bytes / t.link.Bps + 2 * t.link.latency_s + t.switch_latency_s + t.message_overhead_s,
              1e-12);
  const double across = network.phase_seconds({{0, 32, bytes}});
  EXPECT_NEAR(across,
              bytes / t.out_link.Bps + 2 * t.out_link.latency_s + 3 * t.out_switch_latency_s +
                  t.message_overhead_s,
              1e-12);
  // Scale-up carries 720 GB/s, scale-out 180: crossing domains is slower.
  EXPECT_GT(across, 3 * inside);
}

TEST(ScaleUpOut, InNetworkReductionOnlyInsideADomain) {
  const Network network(load_system(kScaleUpOut).topology);
  const CollectiveModel collectives(network);
  std::vector<int64_t> inside, across;
  for (int64_t i = 0; i < 8; ++i) inside.push_back(i);
  for (int64_t i = 0; i < 8; ++i) across.push_back(i * 32);
  const double bytes = 64e6;
  EXPECT_EQ(collectives.best(Collective::kAllReduce, inside, bytes).algorithm,
            Algorithm::kInNetwork);
  EXPECT_NE(collectives.best(Collective::kAllReduce, across, bytes).algorithm,
            Algorithm::kInNetwork);
}

TEST(ScaleUpOut, BadTiersAreRefusedNamingTheKey) {
  struct Case {
    const char* name;
    std::string body;
    const char* key;
  };
  const std::vector<Case> cases = {
      {"domain-not-dividing", "topology: {scale_up: {chips: 48}}\n", "topology.scale_up.chips"},
      {"out-count", "topology: {scale_out: {switch: {count: 4}}}\n",
       "topology.scale_out.switch.count"},
      {"out-latency-twice", "topology: {scale_out: {switch_latency: 1us}}\n",
       "topology.scale_out.switch_latency"},
      {"out-over-port", "topology: {scale_out: {link: {bandwidth: 400GB/s}}}\n",
       "topology.scale_out.link.bandwidth"},
      {"domain-switches", "topology: {scale_up: {switch: {count: 3}}}\n",
       "topology.scale_up.switch.count"},
      {"out-copper", "topology: {scale_out: {medium: copper, transceiver: null}}\n",
       "topology.scale_out.medium"},
      {"big-domain-copper", "topology: {scale_up: {chips: 64, switch: {count: 8}}}\n",
       "topology.scale_up.medium"},
  };
  for (const Case& c : cases) {
    const std::string path = write_system(c.name, kScaleUpOut, c.body);
    const std::string message = config_error([&] { load_system(path); });
    EXPECT_THAT(message, HasSubstr(c.key)) << c.name << ": " << message;
  }
  // scale_up and scale_out belong to scale_up_out only.
  const std::string stray = write_system("stray", kSwitched, "topology: {scale_up: {chips: 8}}\n");
  EXPECT_THAT(config_error([&] { load_system(stray); }), HasSubstr("topology.scale_up"));
  // A fabric beyond three levels of the radix.
  const std::string huge =
      write_system("huge", kScaleUpOut,
                   "topology: {chips: 131072}\nrack: {chips_per_rack: 32, power_budget: 40kW}\n");
  EXPECT_THAT(config_error([&] { load_system(huge); }),
              HasSubstr("topology.scale_out.switch.model"));
}

TEST(SystemBill, TheSystemCostsTheSumOfItsParts) {
  for (const std::string& file : {kSwitched, kScaleUpOut}) {
    const SystemSpec system = load_system(file);
    const ChipSpec chip = load_chip(system.chip);
    const auto bill = system_bill(system, chip);
    ASSERT_TRUE(bill.has_value()) << file;
    double switches = 0, optics = 0;
    for (const SwitchTier& tier : system.topology.tiers) {
      switches += static_cast<double>(tier.switches) * load_switch(tier.switch_model).price_usd;
      optics += static_cast<double>(tier.transceivers) * tier.transceiver_usd;
    }
    EXPECT_DOUBLE_EQ(bill->switches_usd, switches) << file;
    EXPECT_DOUBLE_EQ(bill->optics_usd, optics) << file;
    EXPECT_DOUBLE_EQ(bill->chips_usd,
                     static_cast<double>(system.topology.chips) * chip.cost->price_usd);
    EXPECT_DOUBLE_EQ(bill->hosts_usd, static_cast<double>(system.power->hosts) * 30000);
    EXPECT_DOUBLE_EQ(bill->racks_usd, static_cast<double>(bill->racks) * 50000);
    const double parts =
        bill->chips_usd + bill->switches_usd + bill->optics_usd + bill->hosts_usd + bill->racks_usd;
    EXPECT_DOUBLE_EQ(bill->total_usd(), parts);
    // Per chip and per rack the shares add back to the whole.
    const double chips = static_cast<double>(system.topology.chips);
    EXPECT_NEAR(chips * (chip.cost->price_usd + bill->system_share_usd()), parts, 1e-6 * parts);
    EXPECT_NEAR(static_cast<double>(bill->racks) * bill->per_rack_usd(), parts, 1e-6 * parts);
  }
  // No `cost:`, no bill (the chip file's system_share stands).
  EXPECT_FALSE(system_bill(load_system("hgx-h200"), load_chip("h200-sxm")).has_value());
}

TEST(SystemBill, PlanSearchChargesTheSystemsOwnShare) {
  // The same chips and network, the switches and optics priced twice as high:
  // the same throughput at a higher $/Mtok and a lower tokens/s/MW.
  const std::string dear = write_system("dear-optics", kSwitched,
                                        "topology: {transceiver: {power: 30W, price: 2000USD}}\n");
  PlanSearchSpec spec;
  spec.model = "llama-3.1-70b";
  spec.max_sequences = 64;
  spec.hw = kSwitched;
  const auto cheap_plans = search_plans(spec).plans;
  spec.hw = dear;
  const auto dear_plans = search_plans(spec).plans;
  ASSERT_FALSE(cheap_plans.empty());
  ASSERT_FALSE(dear_plans.empty());
  const PlanResult& a = cheap_plans.front();
  const PlanResult& b = dear_plans.front();
  EXPECT_EQ(a.plan.describe(), b.plan.describe());
  EXPECT_DOUBLE_EQ(a.tokens_per_s, b.tokens_per_s);
  ASSERT_TRUE(a.usd_per_million_output_tokens && b.usd_per_million_output_tokens);
  EXPECT_GT(*b.usd_per_million_output_tokens, *a.usd_per_million_output_tokens);
  ASSERT_TRUE(a.tokens_per_s_per_MW && b.tokens_per_s_per_MW);
  EXPECT_LT(*b.tokens_per_s_per_MW, *a.tokens_per_s_per_MW);
}

TEST(SwitchTiers, FoundInReview) {
  // Switches counted under power.switches are priced by cost.switch.
  const std::string plain = kFixtures + "scale-up-out-plain.yaml";
  const SystemSpec system = load_system(plain);
  const auto bill = system_bill(system, load_chip(system.chip));
  ASSERT_TRUE(bill.has_value());
  EXPECT_DOUBLE_EQ(bill->switches_usd, 12 * 20000.0);
  const std::string unpriced = write_system("unpriced-switches", plain, "cost: {switch: null}\n");
  EXPECT_THAT(config_error([&] { load_system(unpriced); }), HasSubstr("cost.switch"));
  const std::string twice = write_system("priced-twice", kSwitched, "cost: {switch: 1USD}\n");
  EXPECT_THAT(config_error([&] { load_system(twice); }), HasSubstr("cost.switch"));
  // One tier from a preset and the other not would count the switches half.
  const std::string mixed = write_system(
      "mixed-tiers", kScaleUpOut, "topology: {scale_up: {switch: null, switch_latency: 300ns}}\n");
  EXPECT_THAT(config_error([&] { load_system(mixed); }), HasSubstr("topology.scale_up.switch"));
  // Media are counted on switched tiers only.
  const std::string torus =
      write_system("torus-optics", "torus-4x4x4",
                   "topology: {medium: optics, transceiver: {power: 15W, price: 1USD}}\n");
  EXPECT_THAT(config_error([&] { load_system(torus); }), HasSubstr("topology.medium"));
  // A switch file beside the system file.
  const auto dir = std::filesystem::temp_directory_path() / "jalapeno_rack_network_test";
  std::ofstream(dir / "local-switch.yaml")
      << "name: local\nsource: test\nports: 128\nport_speed: 800Gb/s\nlatency: 300ns\n"
         "in_network_collectives: false\npower: {idle: 500W, per_byte: 10pJ}\nprice: 1USD\n";
  const std::string beside =
      write_system("beside", kSwitched, "topology: {switch: {model: local-switch.yaml}}\n");
  EXPECT_EQ(load_system(beside).topology.tiers[0].switch_model, "local");
  // A hot chip on a system without `power:` is held to the chip's own
  // cost.system_power, as the system file would hold it.
  const std::string no_power = write_system("no-power-gb200", "gb200-nvl72", "power: null\n");
  std::ofstream(dir / "hot-b200.yaml") << "extends: b200\nname: hot b200\ntdp: 1500W\n";
  EXPECT_THAT(config_error([&] { load_hardware((dir / "hot-b200.yaml").string(), no_power); }),
              HasSubstr("rack.power_budget"));
}

TEST(JalapenoRef, TheReferenceChipAndRackAreWhatTheModelsAccept) {
  const ChipSpec chip = load_chip("jalapeno-ref");
  const DieEstimate die = estimate_die(chip);
  ASSERT_TRUE(chip.die.has_value());
  EXPECT_LT(die.area_m2, chip.die->process.reticle_m2);
  ASSERT_TRUE(chip.cost.has_value());
  // cost.margin prices the chip from what it costs to build.
  EXPECT_GT(chip.cost->price_usd, die.build_usd);
  const SystemSpec rack = load_system("jalapeno-ref-rack");
  ASSERT_TRUE(rack.rack.has_value());
  EXPECT_LE(rack.rack->draw_W, rack.rack->power_budget_W);
  EXPECT_TRUE(rack.topology.in_network_reduction);  // Tomahawk Ultra
  const auto bill = system_bill(rack, chip);
  ASSERT_TRUE(bill.has_value());
  EXPECT_EQ(bill->racks, 1);
  EXPECT_DOUBLE_EQ(bill->per_rack_usd(), bill->total_usd());
  // The pod: eight such racks on a two-level Tomahawk 6 fabric over optics.
  const SystemSpec pod = load_system("jalapeno-ref-pod");
  EXPECT_EQ(pod.topology.chips_per_domain, 64);
  EXPECT_EQ(pod.topology.out_levels, 2);
  const auto pod_bill = system_bill(pod, chip);
  ASSERT_TRUE(pod_bill.has_value());
  EXPECT_EQ(pod_bill->racks, 8);
  EXPECT_GT(pod_bill->optics_usd, 0);
}

TEST(RackSystemFiles, AFileThatExtendsASystemAndNamesItsChipIsASystem) {
  // Found by a helper: it was taken for a chip file ("unknown chip").
  const std::string path =
      write_system("restates-chip", "", "extends: hgx-h200\nname: restated\nchip: h200-sxm\n");
  const Hardware hw = load_hardware(path, std::nullopt);
  EXPECT_EQ(hw.chips, 8);
  EXPECT_EQ(hw.system_name, "restated");
  const std::string bare = write_system("extends-only", "", "extends: hgx-h200\nname: bare\n");
  EXPECT_EQ(load_hardware(bare, std::nullopt).chips, 8);
}

TEST(RackSystemFiles, AChipOnAnotherSystemsNetworkStaysWithinItsRackBudget) {
  // The rack feeds 64 chips; one of 3 kW would draw over its 120 kW.
  const auto dir = std::filesystem::temp_directory_path() / "jalapeno_rack_network_test";
  std::filesystem::create_directories(dir);
  const std::string hot = (dir / "hot-chip.yaml").string();
  std::ofstream(hot) << "extends: jalapeno-ref\nname: hot\ntdp: 3000W\n";
  const std::string message =
      config_error([&] { load_hardware(hot, std::string("jalapeno-ref-rack")); });
  EXPECT_THAT(message, HasSubstr("rack.power_budget"));
  EXPECT_NO_THROW(load_hardware("jalapeno-ref", std::string("jalapeno-ref-rack")));
}

TEST(SweepAxes, AMappingValueSetsItsFieldsTogether) {
  const SweepSpec spec = parse_sweep(R"(mode: analytical
scenario:
  model: llama-3.1-8b
  system: {hw: h200-sxm}
  workload: {arrivals: {poisson: 1/s}, input_tokens: 128, output_tokens: 16, requests: 1}
axes:
  system.hw:
    - {hbm: {bandwidth: 6TB/s}, tdp: 800W}
    - {hbm: {bandwidth: 8TB/s}, tdp: 900W}
)",
                                     "mapping-axis.yaml");
  ASSERT_EQ(spec.points(), 2u);
  const Scenario second = sweep_point_scenario(spec, 1);
  ASSERT_TRUE(second.inline_chip);
  EXPECT_DOUBLE_EQ(second.inline_chip->tdp_W, 900);
  EXPECT_DOUBLE_EQ(second.inline_chip->hbm_Bps, 8e12);
  // The fields it does not set keep the preset's (h200-sxm's 141 GB).
  EXPECT_DOUBLE_EQ(second.inline_chip->hbm_bytes, load_chip("h200-sxm").hbm_bytes);
}

}  // namespace
}  // namespace jalapeno
