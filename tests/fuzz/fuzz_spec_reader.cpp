// The spec reader on YAML and on JSON: parse_document, then a walk over every
// mapping that asks each key for each kind of value a spec can hold. The
// accessors may refuse a value (ConfigError), never crash or throw anything
// else (YAML::Exception included).
#include <yaml-cpp/yaml.h>

#include <string>

#include "core/spec_reader.hpp"
#include "fuzz_common.hpp"

using namespace jalapeno;

namespace {

// The harness's own bounds: aliases can make a small document a large tree.
constexpr int kMaxWalkDepth = 32;
constexpr int kMaxWalkKeys = 2000;
int walked_keys = 0;

void walk(SpecReader& reader, const YAML::Node& node, int depth);

template <typename F>
void quietly(F&& action) {
  fuzz::expect_config_error_only(action);
}

void walk_key(SpecReader& reader, const std::string& key, int depth) {
  quietly([&] { reader.has(key); });
  for (const Dimension dim :
       {Dimension::kBytes, Dimension::kBandwidth, Dimension::kFlopRate, Dimension::kTime,
        Dimension::kPower, Dimension::kEnergy, Dimension::kFrequency, Dimension::kRate}) {
    quietly([&] { fuzz::check_finite(reader.quantity(key, dim), "quantity " + key); });
  }
  // One dimension per key for the positive forms (each refusal costs a throw).
  const auto dim = static_cast<Dimension>(key.size() % 8);
  quietly([&] {
    const double v = reader.positive_quantity(key, dim);
    fuzz::check(v > 0 && std::isfinite(v), "positive_quantity " + key);
  });
  quietly([&] {
    const double v = reader.positive_quantity_or(key, dim, 1);
    fuzz::check(v > 0 && std::isfinite(v), "positive_quantity_or " + key);
  });
  quietly([&] { reader.string(key); });
  quietly([&] { reader.string_or(key, "x"); });
  quietly([&] { reader.integer(key); });
  quietly([&] { fuzz::check(reader.integer(key, 1) >= 1, "integer(min 1) " + key); });
  quietly([&] { reader.integer_or(key, 7, 0); });
  quietly([&] { fuzz::check_finite(reader.number(key), "number " + key); });
  quietly([&] { fuzz::check_finite(reader.number_or(key, 1), "number_or " + key); });
  quietly([&] {
    const double f = reader.fraction(key);
    fuzz::check(f > 0 && f <= 1, "fraction " + key);
  });
  quietly([&] { reader.boolean(key); });
  quietly([&] { reader.boolean_or(key, false); });
  quietly([&] { reader.child_keys(key); });
  quietly([&] { reader.where(key); });
  quietly([&] {
    const YAML::Node raw = reader.raw(key);
    if (raw.IsSequence() && depth < kMaxWalkDepth) {
      for (const auto& item : raw) {
        if (!item.IsMap()) continue;
        SpecReader inner(item, reader.file(), reader.key_path(key));
        walk(inner, item, depth + 1);
      }
    }
  });
  quietly([&] {
    SpecReader inner = reader.child(key);
    if (depth < kMaxWalkDepth) {
      // The child's node, as the reader sees it.
      const YAML::Node raw = reader.raw(key);
      walk(inner, raw, depth + 1);
    }
    inner.finish();
  });
}

void walk(SpecReader& reader, const YAML::Node& node, int depth) {
  if (!node.IsMap()) return;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) continue;  // the harness's guard, not the library's
    if (++walked_keys > kMaxWalkKeys) return;
    walk_key(reader, entry.first.Scalar(), depth);
  }
  quietly([&] { reader.finish(); });
  quietly([&] { reader.fail("no-such-key", "anything"); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::SpecInput in = fuzz::split_spec_input(data, size);
  fuzz::expect_config_error_only([&] {
    const Document doc =
        parse_document(std::string(in.text), in.json ? "fuzz.json" : "fuzz.yaml", in.json);
    SpecReader reader = SpecReader::mapping(doc);
    walked_keys = 0;
    walk(reader, doc.root, 0);
    reader.finish();
  });
  return 0;
}
