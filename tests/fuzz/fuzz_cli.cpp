// The command-line flag parser: jalapeno::cli::run in check-only mode (every
// flag and every file it names checked, nothing simulated or written). The
// input is split into arguments on '\n' and '\0', after "jalapeno". Exit 0
// and 2 are fine; 1 is an internal error and a failure. Standard output goes
// to /dev/null and the command's std::cerr into a buffer (printed on failure),
// so libFuzzer's and the sanitizers' reports on stderr stay visible.
#include <fcntl.h>
#include <unistd.h>

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.hpp"
#include "fuzz_common.hpp"

namespace {
std::ostringstream captured;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const int null_fd = open("/dev/null", O_WRONLY);
  if (null_fd >= 0) dup2(null_fd, STDOUT_FILENO);
  std::cerr.rdbuf(captured.rdbuf());
  std::clog.rdbuf(captured.rdbuf());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args{"jalapeno"};
  std::string arg;
  for (size_t i = 0; i < size; ++i) {
    const char c = static_cast<char>(data[i]);
    if (c == '\n' || c == '\0') {
      args.push_back(arg);
      arg.clear();
    } else {
      arg += c;
    }
  }
  if (!arg.empty()) args.push_back(arg);
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  captured.str("");
  captured.clear();
  int code = 0;
  jalapeno::fuzz::expect_config_error_only([&] {
    code = jalapeno::cli::run(static_cast<int>(args.size()), argv.data(),
                              jalapeno::cli::Mode::kCheckOnly);
  });
  if (code != 0 && code != 2) {
    jalapeno::fuzz::fail("jalapeno::cli::run returned " + std::to_string(code) +
                         "; its stderr: " + captured.str());
  }
  return 0;
}
