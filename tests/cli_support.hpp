#pragma once
// Running the jalapeno binary from tests: arguments quoted for the shell,
// stdout and stderr captured, optional environment variables, and a wall-clock
// limit (under coreutils' timeout, so that a hang is a failure, not a stuck
// test run).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace jalapeno::cli_support {

namespace fs = std::filesystem;

struct CliResult {
  int code = -1;   // the exit code, or -1 when the process died of a signal
  int signal = 0;  // the signal that ended it, if any
  bool timed_out = false;
  std::string out;  // stdout, at most kMaxCapture bytes
  std::string err;  // stderr, at most kMaxCapture bytes
};

// Output beyond this is not kept (a runaway writer must not exhaust memory).
inline constexpr size_t kMaxCapture = 1 << 20;

// Reads in chunks, so that the limit costs nothing for a small file (a
// 64 MiB buffer per call made every test process start slowly).
inline std::string read_file(const fs::path& path, size_t max_bytes = kMaxCapture) {
  std::ifstream in(path, std::ios::binary);
  std::string text;
  char chunk[1 << 16];
  while (in && text.size() < max_bytes) {
    const size_t want = std::min(sizeof chunk, max_bytes - text.size());
    in.read(chunk, static_cast<std::streamsize>(want));
    text.append(chunk, static_cast<size_t>(in.gcount()));
  }
  return text;
}

inline void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// A file of the checkout, by its path relative to the repository root.
inline std::string source_file(const std::string& relative) {
  return read_file(fs::path(JALAPENO_SOURCE_DIR) / relative, 64 << 20);
}

// Appends arg single-quoted for the shell (a quote inside becomes '\'').
inline void append_quoted(std::string& command, const std::string& arg) {
  command.append(" '");
  for (const char c : arg) {
    if (c == '\'') {
      command.append("'\\''");
    } else {
      command.push_back(c);
    }
  }
  command.push_back('\'');
}

struct RunOptions {
  std::vector<std::string> env;  // NAME=VALUE pairs set for the command only
  int timeout_s = 0;             // > 0: killed after this long (exit 124 = timed out)
};

// Runs the jalapeno binary with args; stderr goes through a file in dir.
inline CliResult run_jalapeno(const std::vector<std::string>& args, const fs::path& dir,
                              const RunOptions& options = {}) {
  const fs::path err_file = dir / "stderr.txt";
  std::string command = "env";
  for (const auto& pair : options.env) append_quoted(command, pair);
  if (options.timeout_s > 0) {
    command += " timeout -k 2 " + std::to_string(options.timeout_s);
  }
  append_quoted(command, JALAPENO_BINARY);
  for (const auto& arg : args) append_quoted(command, arg);
  command.append(" 2>");
  append_quoted(command, err_file.string());
  CliResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "popen failed for: " << command;
    return result;
  }
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    if (result.out.size() < kMaxCapture) result.out.append(buffer, n);
  }
  const int status = pclose(pipe);
  if (WIFEXITED(status)) {
    result.code = WEXITSTATUS(status);
    // timeout exits 124 when it stopped the command, 137 when it had to kill
    // it, and 128 + N when the command died of signal N.
    result.timed_out = options.timeout_s > 0 && (result.code == 124 || result.code == 137);
    if (options.timeout_s > 0 && result.code > 128 && !result.timed_out) {
      result.signal = result.code - 128;
    }
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  result.err = read_file(err_file);
  return result;
}

// A fresh directory for one test's input files and captured stderr, removed
// afterwards. Its name is the prefix, the process id and a counter: never the
// test's name, which a message naming the directory would otherwise echo
// (and so seem to contain the words a test looks for).
class TestDir {
 public:
  explicit TestDir(const std::string& prefix) {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            (prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TestDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;

  const fs::path& path() const { return path_; }
  // A file in this directory with the given content; returns its path.
  std::string file(const std::string& name, const std::string& text) const {
    const fs::path file = path_ / name;
    fs::create_directories(file.parent_path());
    write_file(file, text);
    return file.string();
  }

 private:
  fs::path path_;
};

}  // namespace jalapeno::cli_support
