/// \file
/// The feeder -> Winograd input transform link: one MAC pass, plus for a
/// Winograd layer the raw inputs its activation vectors are made of. The
/// input transform forwards the pass to the MAC-array socket
/// (mac_array_protocol.hpp) untouched for direct convolution; for Winograd
/// it computes component (xi, nu) of V = B^T d B of every 4x4 input tile and
/// streams those as the pass's vectors.
///
/// Each component of V combines four inputs: rows i0, i1 of B^T's row xi
/// times columns j0, j1 of its row nu (facts.md), with signs. The feeder
/// sends exactly those four per tile and lane, in the order (i0,j0), (i0,j1),
/// (i1,j0), (i1,j1). A lane of V is zero-lined when all four inputs are, so
/// V is exactly zero there: lines still derive from the compression masks.
#pragma once

#include <cstdint>
#include <vector>

#include "sdla/mac_pass.hpp"

namespace sdla {

struct TileFeed {
  MacPass pass;                ///< weights always, activations too for direct convolution
  bool winograd = false;
  // ---- Winograd only
  unsigned component = 0;      ///< xi * 4 + nu
  unsigned tile_lanes = 0;     ///< stride of one input vector in inputs
  unsigned lane_offset = 0;    ///< first lane of each input vector this pass uses (pass.lanes_valid of them)
  std::vector<std::int16_t> inputs;  ///< [tile = vector][4 contributors][tile_lanes]
  std::vector<std::uint8_t> input_zero;  ///< same shape, 1 = zero line set
  /// nvdla mode: V is rounded half away from zero by `input_shift` bits and
  /// saturated to the pass precision's range; exact mode passes V as is.
  bool quantize = false;
  unsigned input_shift = 0;
};

/// Rows of B^T for F(2x2,3x3): the two inputs each component row combines, and their signs.
inline constexpr unsigned kWinogradInputRows[4][2] = {{0, 2}, {1, 2}, {2, 1}, {1, 3}};
inline constexpr int kWinogradInputSigns[4][2] = {{1, -1}, {1, 1}, {1, -1}, {1, -1}};

}  // namespace sdla
