/// \file
/// The C++ datapath model of the MAC array: executes MacPass requests by the
/// rules of sdla/mac_pass.hpp, keeping operand-register state across passes
/// so toggle counts match the RTL's. Plain C++ (no SystemC): the TLM target
/// MacArrayModel wraps it, RTL tests compare against it directly.
///
///     sdla::MacDatapath dp(cfg);
///     dp.execute(pass);   // fills pass.psums, pass.activity, pass.status
#pragma once

#include <cstdint>
#include <vector>

#include "sdla/config.hpp"
#include "sdla/mac_pass.hpp"
#include "stream_kernels.hpp"

namespace sdla {

/// fastest: the SIMD stream kernel where the CPU and the pass's shape allow
/// it; portable: plain loops only. Both compute the same integers.
enum class DatapathKernels { fastest, portable };

class MacDatapath {
 public:
  explicit MacDatapath(const AcceleratorConfig& cfg, DatapathKernels kernels = DatapathKernels::fastest);

  void execute(MacPass& pass);
  /// Clears operand registers to zero, as the RTL's reset does.
  void reset();

 private:
  /// Both return the pass's status and, only when it is ok, change state.
  MacStatus execute_simd(MacPass& p);
  MacStatus execute_portable(MacPass& p);
  bool metadata_valid(const MacPass& p) const;
  void load_weights(MacPass& p);
  template <class Acc>
  void stream(MacPass& p);

  unsigned atomic_c_, atomic_k_;
  bool simd_;
  std::vector<std::uint8_t> act_reg_;     // activation bus registers, 2 * atomic_c bytes
  std::vector<std::uint8_t> weight_reg_;  // [atomic_k][atomic_c] bytes
  std::vector<std::uint8_t> next_weight_reg_;  // SIMD: the bank being loaded, swapped in once the pass is accepted
  StreamPlan plan_;
  // Portable per-pass scratch: live operand values (zero when gated), activation lane per multiplier.
  std::vector<std::int16_t> live_w16_, live_a16_;  // [atomic_k][lanes] weights; one vector's activations
  std::vector<std::uint8_t> keep_, diff_;          // int8 lanes: 0xFF where zero-lined; toggled bits
  std::vector<std::uint16_t> select_;
  std::vector<std::uint32_t> live_w_per_lane_;
};

/// Bit toggles when a register of `bytes` bytes at `reg` loads `value`.
unsigned load_register(std::uint8_t* reg, std::int16_t value, unsigned bytes);

}  // namespace sdla
