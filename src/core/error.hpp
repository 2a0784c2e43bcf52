#pragma once
// Errors the library throws. Library code never exits; the CLI maps
// ConfigError (bad input) to exit code 2.
#include <stdexcept>
#include <string>

namespace jalapeno {

// Bad input: a file, a key or a value that does not make sense. The message
// names the file, the key path (and the line where one is known) and what was
// expected.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A request the model cannot satisfy: a batch that does not fit in memory, a
// plan that does not divide the model. Also bad input from the user's side.
class InfeasibleError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

}  // namespace jalapeno
