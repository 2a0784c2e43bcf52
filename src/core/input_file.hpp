#pragma once
// Opening the files users hand us. Only regular files are read (a path such
// as /dev/zero or a FIFO would be read forever), and whole-file reads are
// bounded, so a wrong path is a clear error and never exhausts memory.
#include <cstdint>
#include <fstream>
#include <string>

namespace jalapeno {

// Config files (chips, engines, systems, scenarios, HF config.json) are far
// smaller than this; a larger file is a wrong path.
inline constexpr int64_t kMaxConfigFileBytes = 64LL << 20;

// Throws ConfigError unless path names a readable regular file. what says
// what the file is for ("trace", "length file") for the message.
void require_regular_file(const std::string& path, const std::string& what);

// Opens a regular file for streaming (traces); throws ConfigError otherwise.
std::ifstream open_regular_file(const std::string& path, const std::string& what);

// The whole content of a regular file of at most max_bytes; throws
// ConfigError for anything else.
std::string read_regular_file(const std::string& path, const std::string& what,
                              int64_t max_bytes = kMaxConfigFileBytes);

}  // namespace jalapeno
