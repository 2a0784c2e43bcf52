#pragma once
#include <cstdint>
#include <memory>
#include <vector>

namespace jalapeno {

// Who wrote a run of a prompt's leading positions (README "Prefix caching
// and sessions"): the positions from the previous segment's end (0 for the
// first) to `end` are `writer`'s: a shared system prompt, an earlier call of
// the same session, a trace's block hash. A prefix cache can share them with
// every request that names the same writer at the same positions.
struct ContentSegment {
  uint64_t writer = 0;
  int64_t end = 0;
};
using ContentSegments = std::vector<ContentSegment>;

// One inference request as the workload produces it.
struct Request {
  uint64_t id = 0;
  double arrival_s = 0;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  // Its class under a priority policy: lower is served first (vLLM's
  // convention); 0 unless the workload gives classes.
  int32_t priority = 0;
  // The session (an agentic task's calls, a conversation's turns) it is a
  // call of; -1: none.
  int64_t session = -1;
  // Its prompt's leading positions as others wrote them; null or empty: the
  // whole prompt is its own. Shared, never modified: copying a request
  // copies a pointer.
  std::shared_ptr<const ContentSegments> content;
};

}  // namespace jalapeno
