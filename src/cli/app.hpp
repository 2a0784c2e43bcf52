#pragma once
// The jalapeno command as a function, so that the binary's main() and the
// flag-parser fuzzer run the same code.

namespace jalapeno::cli {

enum class Mode {
  kRun,        // do what the command says
  kCheckOnly,  // parse and check the flags and every file they name; simulate nothing
};

// Runs the command line; returns its exit code: 0 on success, 2 for bad input
// (with a message on stderr), 1 for an internal error.
int run(int argc, const char* const* argv, Mode mode = Mode::kRun);

}  // namespace jalapeno::cli
