#pragma once
// Declared parameters: every key a spec file may hold, declared once with its
// type, unit, default and a one-line description (as Ramulator 2 and SST
// declare theirs). A SpecReader given a kind checks each key it reads against
// that kind's declarations (an undeclared read, a type that does not match or
// a default that differs from the declared one is a bug, caught by the tests
// that read every preset and fixture); its error messages quote the
// description; `jalapeno params` and the README's reference table print them;
// a sweep's axes are checked against them before anything runs.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/units.hpp"

namespace jalapeno {

enum class ParamType {
  kQuantity,       // a number with a unit of `dim` ("4.8TB/s")
  kInteger,        // a whole number
  kNumber,         // a plain number
  kFraction,       // a number in (0, 1]
  kBoolean,        // true or false
  kString,         // a name, a choice or a file path
  kList,           // a list: of scalars, or of mappings declared as path[].key
  kMapping,        // a mapping whose keys are declared as path.key
  kNames,          // a mapping keyed by names (dtypes, ops): entries declared as path.*
  kNameOrMapping,  // a preset name, or a mapping read as `kind` (inline spec)
  kIgnored,        // a key a third-party format holds that jalapeno knows and does not use
};

struct ParamDecl {
  // Dotted, from the root of its kind; `*` stands for any name, `[]` for
  // every element of a list ("matrix.*", "gemm_tiles[].m").
  std::string path;
  ParamType type = ParamType::kString;
  std::optional<Dimension> dim;  // kQuantity only
  // Absent: required. Text: the value taken when the key is absent; checked
  // against the reader's own default unless it is written in parentheses
  // (a default that depends on other values, e.g. "(the chip's tdp)").
  std::optional<std::string> default_value;
  std::string description;
  // kMapping or kNameOrMapping read by another kind's declarations.
  std::string kind = {};
};

struct ParamKind {
  std::string name;     // "chip", "engine", ...
  std::string summary;  // one line: what such a file describes
  std::vector<ParamDecl> params;
};

// Every kind, in the order `jalapeno params` lists them.
const std::vector<const ParamKind*>& param_kinds();
// Nothing for an unknown name.
const ParamKind* find_param_kind(std::string_view name);
// The declaration of a path (segments matched literally, `*` matching any
// one name); nothing when undeclared.
const ParamDecl* find_param(const ParamKind& kind, std::string_view path);
// The same, for a path already split into keys ("[]" for a list element):
// how a reader asks, since a key may itself hold a dot.
const ParamDecl* find_param(const ParamKind& kind, const std::vector<std::string>& segments);
// The declaration of `key` inside the mapping at `parent` (a reader's question).
const ParamDecl* find_param(const ParamKind& kind, const std::vector<std::string>& parent,
                            std::string_view key);
// The declared keys directly under a path ("" for the root), for messages.
std::vector<std::string> declared_keys_under(const ParamKind& kind, std::string_view path);
std::vector<std::string> declared_keys_under(const ParamKind& kind,
                                             const std::vector<std::string>& segments);

// The keys declared as ignored (kIgnored) directly under a path, with their
// declarations: what a third-party format holds that jalapeno does not use.
std::vector<std::pair<std::string, const ParamDecl*>> ignored_keys_under(
    const ParamKind& kind, const std::vector<std::string>& segments);

// "a bandwidth (TB/s, GB/s...)": the type column of the listing.
std::string describe_param_type(const ParamDecl& decl);
// The listing of one kind, or of all (`name` empty), as text, Markdown or JSON.
enum class ParamFormat { kText, kMarkdown, kJson };
std::string format_params(const std::vector<const ParamKind*>& kinds, ParamFormat format);

// Resolves a dotted path through a kind and the kinds its mappings are read
// as (a scenario's system.hw is a chip): the declaration it names, or
// nothing; `near` receives close declared paths for a "did you mean".
const ParamDecl* resolve_param_path(const ParamKind& kind, std::string_view path,
                                    std::vector<std::string>* near = nullptr);

// While recording is on, each declaration a reader consults is remembered:
// the test that reads every preset and fixture checks that none is dead.
void set_param_recording(bool on);
void record_param(const ParamKind& kind, const ParamDecl& decl);
std::vector<std::string> recorded_params();  // "kind:path", sorted
void clear_recorded_params();

// The kinds themselves, each declared beside its reader.
const ParamKind& chip_param_kind();
const ParamKind& chip_power_param_kind();
const ParamKind& power_override_param_kind();
const ParamKind& chip_cost_param_kind();
const ParamKind& cost_override_param_kind();
const ParamKind& facility_param_kind();
const ParamKind& system_param_kind();
const ParamKind& engine_param_kind();
const ParamKind& scenario_param_kind();
const ParamKind& sweep_param_kind();
const ParamKind& model_param_kind();
const ParamKind& quantization_param_kind();
const ParamKind& process_param_kind();
const ParamKind& switch_param_kind();
const ParamKind& die_model_param_kind();

}  // namespace jalapeno
