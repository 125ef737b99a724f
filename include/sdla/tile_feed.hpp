/// \file
/// The feeder -> Winograd input transform link: one MAC pass, plus for
/// Winograd layers the raw 4x4 input tiles it is computed from. The input
/// transform forwards the pass to the MAC-array socket (mac_array_protocol.hpp)
/// unchanged for direct convolution; for Winograd it fills the activation
/// vectors with component `component` of V = B^T d B of every tile.
///
/// Zero lines of V: lane l of component (xi, nu) is zero-lined when all four
/// inputs d[i][j] that B^T's rows xi and nu combine (two rows times two
/// columns) are zero-lined, so V is exactly zero there: lines still derive
/// from the compression masks, never from re-detected values.
#pragma once

#include <cstdint>
#include <vector>

#include <systemc>

#include "sdla/mac_pass.hpp"

namespace sdla {

struct TileFeed {
  MacPass pass;                ///< weights always, activations too for direct convolution
  bool winograd = false;
  // ---- Winograd only
  unsigned component = 0;      ///< xi * 4 + nu: which of the 16 transformed vectors this pass uses
  bool new_tiles = false;      ///< the tiles below are new: transform them before this pass
  unsigned tiles = 0;          ///< 4x4 input tiles (the pass's vectors)
  unsigned tile_lanes = 0;     ///< stride of one tile element in tile_values
  unsigned lane_offset = 0;    ///< first lane of tile_values this pass uses (pass.lanes_valid of them)
  std::vector<std::int16_t> tile_values;  ///< [tile][i * 4 + j][tile_lanes] raw inputs d
  std::vector<std::uint8_t> tile_zero;    ///< same shape, 1 = zero line set
  /// nvdla mode: V is rounded half away from zero by `input_shift` bits and
  /// saturated to the pass precision's range; exact mode passes V as is.
  bool quantize = false;
  unsigned input_shift = 0;
  sc_core::sc_time data_ready;  ///< absolute time the tiles' data is in the buffer
};

}  // namespace sdla
