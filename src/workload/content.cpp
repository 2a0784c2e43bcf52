#include "workload/content.hpp"

#include <algorithm>

namespace jalapeno {
namespace {

// SplitMix64's finaliser (Steele, Lea and Flood 2014): a bijection on 64-bit
// words that spreads every input bit, so nearby ids do not collide.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t id_of(uint64_t writer, int64_t block) {
  return mix(writer ^ mix(static_cast<uint64_t>(block)));
}

}  // namespace

uint64_t own_writer(uint64_t request_id) {
  return mix(request_id ^ 0x6f776e0000000000ULL);
}

uint64_t shared_writer(uint64_t kind, uint64_t key) {
  return mix(mix(kind) ^ key);
}

void append_block_ids(const Request& request, int64_t first, int64_t last, int64_t block_size,
                      std::vector<uint64_t>& out) {
  if (last <= first) return;
  const uint64_t own = own_writer(request.id);
  if (!request.content || request.content->empty()) {
    for (int64_t b = first; b < last; ++b) out.push_back(id_of(own, b));
    return;
  }
  const ContentSegments& segments = *request.content;
  // The segment holding block `first`'s last position, then forward.
  auto seg =
      std::upper_bound(segments.begin(), segments.end(), (first + 1) * block_size - 1,
                       [](int64_t position, const ContentSegment& s) { return position < s.end; });
  for (int64_t b = first; b < last; ++b) {
    const int64_t last_position = (b + 1) * block_size - 1;
    while (seg != segments.end() && seg->end <= last_position) ++seg;
    out.push_back(id_of(seg == segments.end() ? own : seg->writer, b));
  }
}

uint64_t block_id(const Request& request, int64_t block, int64_t block_size) {
  std::vector<uint64_t> one;
  append_block_ids(request, block, block + 1, block_size, one);
  return one.front();
}

ContentSegments shared_prefix(const ContentSegments& context, uint64_t context_writer,
                              int64_t context_tokens, int64_t prefix_tokens) {
  ContentSegments out;
  if (prefix_tokens <= 0) return out;
  for (const ContentSegment& s : context) {
    if (s.end >= prefix_tokens) {
      out.push_back({s.writer, prefix_tokens});
      return out;
    }
    out.push_back(s);
  }
  out.push_back({context_writer, std::min(prefix_tokens, context_tokens)});
  return out;
}

}  // namespace jalapeno
