#include <gtest/gtest.h>

#include "core/units.hpp"

TEST(Smoke, Parses) {
  EXPECT_EQ(*jalapeno::parse_quantity("2us", jalapeno::Dimension::kTime), 2e-6);
}
