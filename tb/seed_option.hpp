/// \file
/// --seed as every testbench program takes it: a plain decimal integer in
/// [0, 2^64 - 1]. CLI11 alone would wrap "-1" and saturate 2^64 to 2^64 - 1
/// without a word.
///
///     app.add_option("--seed", seed, "...")->check(sdla::seed_validator());
#pragma once

#include <cerrno>
#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>

namespace sdla {

inline CLI::Validator seed_validator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
          return "'" + s + "' is not a seed: expected an integer in 0..18446744073709551615 (no sign)";
        errno = 0;
        std::strtoull(s.c_str(), nullptr, 10);
        if (errno == ERANGE) return "'" + s + "' exceeds the largest seed, 18446744073709551615 (2^64 - 1)";
        return "";
      },
      "UINT64");
}

}  // namespace sdla
