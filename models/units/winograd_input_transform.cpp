#include "winograd_input_transform.hpp"

#include <algorithm>

#include "sdla/rounding.hpp"

namespace sdla {
WinogradInputTransform::WinogradInputTransform(const sc_core::sc_module_name& name)
    : sc_module(name), feed_tsock("feed_tsock"), mac_isock("mac_isock") {
  mac_isock.bind(*this);
  feed_tsock.on_transport([this](TileFeed& f, sc_core::sc_time& d) { transport(f, d); });
}

void WinogradInputTransform::transport(TileFeed& f, sc_core::sc_time& delay) {
  if (f.winograd) transform(f);
  mac_isock->b_transport(f.pass, delay);
}

void WinogradInputTransform::transform(TileFeed& f) {
  MacPass& p = f.pass;
  const unsigned x = f.component / 4, y = f.component % 4, lanes = p.lanes_valid, stride = f.tile_lanes;
  // The signs of the four inputs: row sign of B^T's row x times column sign of its row y.
  const int sign[4] = {kWinogradInputSigns[x][0] * kWinogradInputSigns[y][0],
                       kWinogradInputSigns[x][0] * kWinogradInputSigns[y][1],
                       kWinogradInputSigns[x][1] * kWinogradInputSigns[y][0],
                       kWinogradInputSigns[x][1] * kWinogradInputSigns[y][1]};
  const PrecisionTraits& range = traits(p.precision);
  for (unsigned t = 0; t < p.vectors; ++t) {
    const std::int16_t* d = &f.inputs[std::size_t(t) * 4 * stride + f.lane_offset];
    const std::uint8_t* dz = &f.input_zero[std::size_t(t) * 4 * stride + f.lane_offset];
    std::int16_t* acts = &p.acts[std::size_t(t) * p.act_lanes];
    std::uint8_t* zero = &p.act_zero[std::size_t(t) * p.act_lanes];
    for (unsigned l = 0; l < lanes; ++l) {
      std::int32_t v = 0;
      std::uint8_t z = 1;
      for (unsigned c = 0; c < 4; ++c) {
        // A zero-lined input is zero whatever its value lines carry.
        const std::uint8_t zc = dz[c * stride + l];
        v += zc ? 0 : sign[c] * d[c * stride + l];
        z &= zc;
      }
      if (f.quantize) v = std::int32_t(std::clamp<std::int64_t>(round_shift_away(v, f.input_shift), range.min, range.max));
      acts[l] = std::int16_t(z ? 0 : v);
      zero[l] = z;
    }
    std::fill(zero + lanes, zero + p.act_lanes, 1);
  }
  vectors_ += p.vectors;
  adds_ += std::uint64_t(3) * p.vectors * lanes;
  inputs_ += std::uint64_t(4) * p.vectors * lanes;
}

}  // namespace sdla
