// Skipping RTL tests of a preset whose MAC array this build did not verilate
// (SDLA_RTL_PRESETS, e.g. the small-only sanitizer and pin-model builds).
#pragma once

#include <gtest/gtest.h>

#include "rtl_mac_core.hpp"

#define SKIP_UNLESS_VERILATED(name)                                            \
  if (!::sdla::RtlMacCore::has_model(::sdla::AcceleratorConfig::preset(name))) \
  GTEST_SKIP() << "no verilated " << (name) << " array in this build (SDLA_RTL_PRESETS)"
