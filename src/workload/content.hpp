#pragma once
// The identity of a request's KV-cache blocks, from what its tokens are
// (Request::content): what a prefix cache looks blocks up by. vLLM and SGLang
// hash each full block's tokens together with the hash of the block before
// it; jalapeno's workloads do not carry tokens, so a block is named by who
// wrote its last position and where it sits. That name stands for the whole
// prefix too: a writer's own positions start where its context ended, and
// that context is fixed by the writer (a call's earlier context, a shared
// system prompt, a Mooncake block hash, which already names its prefix).
#include <cstdint>
#include <vector>

#include "workload/request.hpp"

namespace jalapeno {

// What a request writes itself: the rest of its prompt, and its output.
uint64_t own_writer(uint64_t request_id);
// Content shared under a key of a kind (a system prompt's index, a trace's
// block hash, salted by the pass of a looped trace): one 64-bit name.
uint64_t shared_writer(uint64_t kind, uint64_t key);
enum : uint64_t { kSystemPromptContent = 1, kTraceBlockContent = 2 };

// The id of block `block` (positions block * block_size to the next block)
// of `request`'s tokens, prompt then output.
uint64_t block_id(const Request& request, int64_t block, int64_t block_size);
// Blocks first .. last - 1 appended to `out`, with one search of the
// segments rather than one per block.
void append_block_ids(const Request& request, int64_t first, int64_t last, int64_t block_size,
                      std::vector<uint64_t>& out);

// The segments of a call that shares its first `prefix_tokens` positions with
// `context` (what an earlier call left: its segments, then its own
// positions up to `context_tokens`, written by `context_writer`) and writes
// the rest itself.
ContentSegments shared_prefix(const ContentSegments& context, uint64_t context_writer,
                              int64_t context_tokens, int64_t prefix_tokens);

}  // namespace jalapeno
