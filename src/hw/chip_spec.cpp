#include "hw/chip_spec.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "core/error.hpp"
#include "core/params.hpp"
#include "core/presets.hpp"
#include "core/spec_reader.hpp"

namespace jalapeno {

double ChipSpec::matrix_flops_for(const std::string& dtype, const std::string& purpose) const {
  const std::string key = dtype == "bfloat16"  ? "bf16"
                          : dtype == "float16" ? "fp16"
                          : dtype == "float32" ? "tf32"
                                               : dtype;
  auto it = matrix_flops.find(key);
  if (it == matrix_flops.end()) {
    std::string listed;
    for (const auto& [name, rate] : matrix_flops) listed += (listed.empty() ? "" : ", ") + name;
    // Refused, not emulated: a chip without the unit does not run the GEMM
    // at another rate silently. Weight-only formats (narrow weights, wider
    // activations) run at the activations' rate and need no such unit.
    throw ConfigError(fmt::format(
        "chip '{}' has no {} matrix rate (key 'matrix.{}' in {}; it lists {}){}", name, key, key,
        source_file.empty() ? "its file" : source_file, listed,
        purpose.empty() ? ""
                        : fmt::format(": {} needs it; narrower weights run weight-only with "
                                      "--activations bf16 or another listed format",
                                      purpose)));
  }
  return it->second;
}

ChipSpec read_chip_spec(const std::string& path) {
  return read_chip_spec(load_document(path));
}

ChipSpec read_chip_spec(const Document& document, const std::string& key_prefix) {
  const Document doc = resolve_extends(document, "chips", ".yaml", "chip", {"calibration"});
  SpecReader reader = SpecReader::mapping(doc, key_prefix, &chip_param_kind());
  const std::string path = doc.file;
  ChipSpec chip;
  chip.name = reader.string("name");
  chip.source_file = path;
  chip.source = reader.string("source");
  {
    SpecReader matrix = reader.child("matrix");
    for (const auto& dtype : reader.child_keys("matrix")) {
      chip.matrix_flops[dtype] = matrix.positive_quantity(dtype, Dimension::kFlopRate);
    }
    matrix.finish();
  }
  chip.vector_flops = reader.positive_quantity("vector", Dimension::kFlopRate);
  chip.compute_units = reader.integer("compute_units", 1);
  if (chip.compute_units > 1000000) reader.fail("compute_units", "1 to 1000000 compute units");
  {
    SpecReader hbm = reader.child("hbm");
    chip.hbm_bytes = hbm.positive_quantity("capacity", Dimension::kBytes);
    chip.hbm_Bps = hbm.positive_quantity("bandwidth", Dimension::kBandwidth);
    hbm.finish();
  }
  {
    SpecReader sram = reader.child("sram");
    chip.sram_bytes = sram.positive_quantity("capacity", Dimension::kBytes);
    sram.finish();
  }
  chip.tdp_W = reader.positive_quantity("tdp", Dimension::kPower);
  if (reader.has("power")) {
    SpecReader power = reader.child("power");
    chip.power = read_power_spec(power, chip.tdp_W, chip.matrix_flops);
    power.finish();
  } else {
    reader.ignore("power");
  }
  if (reader.has("cost")) {
    SpecReader cost = reader.child("cost");
    chip.cost = read_chip_cost(cost);
    cost.finish();
  } else {
    reader.ignore("cost");
  }
  {
    SpecReader eff = reader.child("efficiency");
    chip.matrix_efficiency = eff.fraction("matrix");
    if (eff.has("matrix_by_format")) {
      SpecReader by_format = eff.child("matrix_by_format");
      for (const auto& key : eff.child_keys("matrix_by_format")) {
        if (chip.matrix_flops.count(key) == 0) {
          by_format.fail(key, "a format this chip has a matrix rate for (key matrix)");
        }
        chip.matrix_efficiency_by_format[key] = by_format.fraction(key);
      }
      by_format.finish();
    }
    chip.read_efficiency = eff.fraction("hbm_read");
    chip.copy_efficiency = eff.fraction("hbm_copy");
    chip.unit_Bps = eff.positive_quantity("unit_bandwidth", Dimension::kBandwidth);
    eff.finish();
  }
  chip.kernel_fixed_s = reader.positive_quantity("kernel_fixed_cost", Dimension::kTime);
  chip.gemm_fixed_s = reader.positive_quantity("gemm_fixed_cost", Dimension::kTime);
  {
    YAML::Node tiles = reader.raw("gemm_tiles");
    if (!tiles.IsSequence() || tiles.size() == 0) {
      reader.fail("gemm_tiles", "a list of tiles such as {m: 128, n: 256, efficiency: 1.0}");
    }
    for (size_t i = 0; i < tiles.size(); ++i) {
      SpecReader tile = reader.element(tiles, "gemm_tiles", i);
      if (!tiles[i].IsMap()) reader.fail("gemm_tiles", "each tile a mapping {m, n, efficiency}");
      const int64_t m = tile.integer("m", 1), n = tile.integer("n", 1);
      if (m > 65536 || n > 65536) tile.fail(m > 65536 ? "m" : "n", "a tile side of 1 to 65536");
      chip.gemm_tiles.push_back({m, n, tile.fraction("efficiency")});
      tile.finish();
    }
  }
  // The GEMM model tries every split-K factor up to this; libraries use a few.
  chip.max_split_k = reader.has("max_split_k") ? reader.integer_in("max_split_k", 1, 256) : 1;
  reader.ignore("max_split_k");
  if (reader.has("calibration")) {
    // Relative to the chip file, as presets ship them.
    std::filesystem::path file = reader.string("calibration");
    if (file.is_relative()) file = std::filesystem::path(path).parent_path() / file;
    chip.calibration_file = file.lexically_normal().string();
    chip.calibration = read_calibration(chip.calibration_file);
  } else {
    reader.ignore("calibration");
  }
  reader.finish();
  return chip;
}

ChipSpec load_chip(const std::string& name_or_path) {
  return read_chip_spec(resolve_preset("chips", name_or_path, ".yaml", "chip"));
}

std::vector<std::string> chip_preset_names() {
  return preset_names("chips", ".yaml");
}

}  // namespace jalapeno
