// The jalapeno command (src/cli/app.cpp).
#include "cli/app.hpp"

int main(int argc, char** argv) {
  return jalapeno::cli::run(argc, argv);
}
