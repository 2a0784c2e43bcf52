#pragma once
// `jalapeno chip`: a chip as its file describes it — rates, memory levels,
// matrix arrays, I/O — and, with a die block, its area by block, yield and
// built cost (hw/die_model.hpp).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "hw/chip_spec.hpp"
#include "hw/die_model.hpp"

namespace jalapeno {

nlohmann::ordered_json chip_json(const ChipSpec& chip, const std::optional<DieEstimate>& die);
std::string format_chip_table(const ChipSpec& chip, const std::optional<DieEstimate>& die);

}  // namespace jalapeno
