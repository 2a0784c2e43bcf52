#pragma once
// Helpers shared by the test suites.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "core/error.hpp"

namespace jalapeno::testing_support {

// The message of the ConfigError that action throws; fails the test when it
// throws nothing or something else.
inline std::string config_error(const std::function<void()>& action) {
  try {
    action();
  } catch (const ConfigError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected a ConfigError, got another exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected a ConfigError, nothing was thrown";
  return "";
}

}  // namespace jalapeno::testing_support
