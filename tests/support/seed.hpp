// Seeds of randomised tests: SDLA_SEED in the environment replays a run;
// otherwise a fixed default keeps CI reproducible. Every test prints its seed.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

namespace sdla::test {

inline std::uint64_t seed(std::uint64_t fallback) {
  std::uint64_t s = fallback;
  if (const char* env = std::getenv("SDLA_SEED")) s = std::stoull(env);
  std::cout << "seed " << s << " (replay with SDLA_SEED=" << s << ")\n";
  return s;
}

}  // namespace sdla::test
