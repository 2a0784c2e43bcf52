#include "core/input_file.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <sstream>

#include "core/error.hpp"

namespace jalapeno {
namespace fs = std::filesystem;

void require_regular_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    throw ConfigError(fmt::format("{}: cannot open {}: no such file", path, what));
  }
  if (!fs::is_regular_file(status)) {
    throw ConfigError(fmt::format("{}: cannot read {}: not a regular file{}", path, what,
                                  fs::is_directory(status) ? " (a directory)" : ""));
  }
}

std::ifstream open_regular_file(const std::string& path, const std::string& what) {
  require_regular_file(path, what);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{}: cannot open {}: permission denied?", path, what));
  return in;
}

std::string read_regular_file(const std::string& path, const std::string& what, int64_t max_bytes) {
  require_regular_file(path, what);
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) throw ConfigError(fmt::format("{}: cannot read {}: {}", path, what, ec.message()));
  if (size > static_cast<uintmax_t>(max_bytes)) {
    throw ConfigError(fmt::format("{}: {} of {} bytes is larger than the {} bytes accepted", path,
                                  what, size, max_bytes));
  }
  std::ifstream in = open_regular_file(path, what);
  std::string text(static_cast<size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  // The file may have shrunk between the size and the read.
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

}  // namespace jalapeno
