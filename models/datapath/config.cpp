#include <algorithm>
#include <stdexcept>

#include "sdla/config.hpp"

namespace sdla {

AcceleratorConfig AcceleratorConfig::preset(const std::string& name) {
#define SDLA_PRESET(n, ac, ak, banks, bank_kib, dram_bpc, dram_lat, acc_kib, mhz) \
  if (name == #n)                                                                \
    return AcceleratorConfig{#n, ac, ak, banks, std::size_t(bank_kib) * 1024, dram_bpc, dram_lat, std::size_t(acc_kib) * 1024, mhz};
#include "sdla/presets.def"
#undef SDLA_PRESET
  std::string known;
  for (const auto& p : preset_names()) known += (known.empty() ? "" : ", ") + p;
  throw std::invalid_argument("unknown preset '" + name + "' (known: " + known + ")");
}

std::vector<std::string> AcceleratorConfig::preset_names() {
  return {
#define SDLA_PRESET(n, ...) #n,
#include "sdla/presets.def"
#undef SDLA_PRESET
  };
}

void AcceleratorConfig::validate() const {
  auto fail = [&](const std::string& what) {
    throw std::invalid_argument("config '" + name + "': " + what);
  };
  // int16 lanes (atomic_c / 2) hold whole 2:4 groups and whole ZVC granules of min(8, lanes).
  if (atomic_c < 8 || atomic_c % 8 || (atomic_c > 16 && atomic_c % 16))
    fail("atomic_c must be a multiple of 8 (of 16 above 16)");
  // Output-channel groups must not split a ZVC granule (min(8, lanes) channels, lanes up to atomic_c).
  if (atomic_k < 1 || atomic_k % std::min(8u, atomic_c)) fail("atomic_k must be a multiple of min(8, atomic_c)");
  if (buffer_banks < 1 || bank_bytes < atomic_c) fail("buffer needs at least one bank of atomic_c bytes");
  if (dram_bytes_per_cycle < 1) fail("dram_bytes_per_cycle must be at least 1");
  if (accumulator_bytes < std::size_t(8) * atomic_k) fail("accumulator must hold one int64 per column");
  if (clock_mhz < 1) fail("clock_mhz must be at least 1");
}

}  // namespace sdla
