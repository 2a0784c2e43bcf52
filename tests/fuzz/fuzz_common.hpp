#pragma once
// Shared by the libFuzzer harnesses (see tests/fuzz/README.md). Every input
// must end in a normal return or a thrown jalapeno::ConfigError: anything
// else (another exception, a crash, a sanitizer report, a broken invariant)
// is reported here and aborts, which libFuzzer records as a failure.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "core/error.hpp"

namespace jalapeno::fuzz {

// Stops the run: libFuzzer saves the input as crash-<sha1>.
[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "\n==jalapeno-fuzz== FAILURE: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// An invariant every accepted input must satisfy ("a wrong number with exit
// 0" is a failure too).
inline void check(bool ok, const std::string& what) {
  if (!ok) fail("invariant broken: " + what);
}

inline void check_finite(double value, const std::string& what) {
  check(std::isfinite(value), what + " is not finite (" + std::to_string(value) + ")");
}

// Runs action; a ConfigError is the expected way to refuse an input, any
// other exception is a failure naming its type and message.
template <typename F>
bool expect_config_error_only(F&& action) {
  try {
    action();
    return true;
  } catch (const ConfigError&) {
    return false;
  } catch (const std::exception& e) {
    fail(std::string("unexpected exception ") + typeid(e).name() + ": " + e.what());
  } catch (...) {
    fail("unexpected exception of a type not derived from std::exception");
  }
}

// A shipped preset the harness runs its input beside ("llama-3.1-8b"):
// failing to load one is a broken checkout, not a finding.
template <typename F>
auto context(const std::string& what, F&& load) -> decltype(load()) {
  try {
    return load();
  } catch (const std::exception& e) {
    fail("cannot load the harness's context (" + what + "): " + e.what());
  }
}

// A private scratch directory for the input files of path-taking loaders,
// in memory (/dev/shm) where there is one: jalapeno-fuzz-<pid>, removed at
// exit. libFuzzer ends some runs with _Exit (timeouts, crashes, fork-mode
// jobs), so directories of processes no longer alive are removed on start.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    namespace fs = std::filesystem;
    const fs::path base = fs::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    const std::string prefix = "jalapeno-fuzz-";
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(base, ec)) {
      const std::string name = entry.path().filename().string();
      if (!name.starts_with(prefix) || name.size() == prefix.size() ||
          name.size() > prefix.size() + 9 ||
          name.find_first_not_of("0123456789", prefix.size()) != std::string::npos) {
        continue;
      }
      const long pid = std::stol(name.substr(prefix.size()));
      if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) fs::remove_all(entry.path(), ec);
    }
    const fs::path mine = base / (prefix + std::to_string(getpid()));
    fs::remove_all(mine, ec);  // a reused pid's
    fs::create_directories(mine, ec);
    if (ec) fail("cannot create " + mine.string() + ": " + ec.message());
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(scratch_dir(), ignored);
    });
    return mine;
  }();
  return dir;
}

// Writes bytes to scratch_dir()/name (replacing it) and returns the path.
inline std::string write_file(const std::string& name, std::string_view bytes) {
  const std::filesystem::path path = scratch_dir() / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) fail("cannot write " + path.string());
  return path.string();
}

// The spec harnesses take a first byte choosing the format and the rest as
// the file: even bytes ('J', 0x4A) mean JSON, odd ones ('Y', 0x59) YAML.
struct SpecInput {
  bool json = false;
  std::string_view text;
};

inline SpecInput split_spec_input(const uint8_t* data, size_t size) {
  if (size == 0) return {false, {}};
  return {(data[0] & 1) == 0, std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1)};
}

// Writes a spec input as scratch_dir()/stem.json or .yaml.
inline std::string write_spec(const std::string& stem, const SpecInput& in) {
  return write_file(stem + (in.json ? ".json" : ".yaml"), in.text);
}

}  // namespace jalapeno::fuzz
