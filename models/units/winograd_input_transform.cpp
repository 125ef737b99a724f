#include "winograd_input_transform.hpp"

#include <algorithm>

namespace sdla {
namespace {

// Rows of B^T (facts.md): each has two non-zeros, at these columns and signs.
constexpr unsigned kCol[4][2] = {{0, 2}, {1, 2}, {2, 1}, {1, 3}};
constexpr int kSign[4][2] = {{1, -1}, {1, 1}, {1, -1}, {1, -1}};

std::int32_t round_shift_away(std::int32_t v, unsigned s) {
  if (s == 0) return v;
  const std::int32_t half = 1 << (s - 1), mag = v < 0 ? -v : v;
  const std::int32_t q = (mag + half) >> s;
  return v < 0 ? -q : q;
}

}  // namespace

WinogradInputTransform::WinogradInputTransform(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg)
    : sc_module(name), feed_tsock("feed_tsock"), mac_isock("mac_isock"), cycle_(cfg.clock_period_ns(), sc_core::SC_NS) {
  mac_isock.bind(*this);
  feed_tsock.on_transport([this](TileFeed& f, sc_core::sc_time& d) { transport(f, d); });
}

void WinogradInputTransform::transport(TileFeed& f, sc_core::sc_time& delay) {
  if (f.winograd) {
    if (f.new_tiles) {
      transform(f);
      // Overlapped with the previous batch's passes: the first pass waits only for what is left.
      const sc_core::sc_time start = std::max(f.data_ready, busy_until_);
      busy_until_ = start + double(16 * f.tiles) * cycle_;
      cycles_ += 16 * std::uint64_t(f.tiles);
    }
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    if (busy_until_ > now + delay) delay = busy_until_ - now;
    select(f);
  }
  mac_isock->b_transport(f.pass, delay);
}

void WinogradInputTransform::transform(const TileFeed& f) {
  const unsigned lanes = f.pass.lanes_valid, stride = f.tile_lanes;
  v_.resize(std::size_t(f.tiles) * 16 * lanes);
  v_zero_.resize(v_.size());
  std::int32_t tmp[16];
  std::uint8_t tmp_zero[16];
  for (unsigned t = 0; t < f.tiles; ++t)
    for (unsigned l = 0; l < lanes; ++l) {
      const std::size_t in = std::size_t(t) * 16 * stride + f.lane_offset + l;
      auto d = [&](unsigned i, unsigned j) { return std::int32_t(f.tile_values[in + (i * 4 + j) * stride]); };
      auto dz = [&](unsigned i, unsigned j) { return f.tile_zero[in + (i * 4 + j) * stride]; };
      // B^T d, then (B^T d) B = B^T (B^T d)^T by rows: two adds per element each way.
      for (unsigned x = 0; x < 4; ++x)
        for (unsigned j = 0; j < 4; ++j) {
          tmp[x * 4 + j] = kSign[x][0] * d(kCol[x][0], j) + kSign[x][1] * d(kCol[x][1], j);
          tmp_zero[x * 4 + j] = dz(kCol[x][0], j) & dz(kCol[x][1], j);
        }
      for (unsigned x = 0; x < 4; ++x)
        for (unsigned y = 0; y < 4; ++y) {
          std::int32_t v = kSign[y][0] * tmp[x * 4 + kCol[y][0]] + kSign[y][1] * tmp[x * 4 + kCol[y][1]];
          const std::uint8_t z = tmp_zero[x * 4 + kCol[y][0]] & tmp_zero[x * 4 + kCol[y][1]];
          if (f.quantize) {
            const PrecisionTraits& p = traits(f.pass.precision);
            v = std::int32_t(std::clamp<std::int64_t>(round_shift_away(v, f.input_shift), p.min, p.max));
          }
          const std::size_t at = (std::size_t(t) * 16 + x * 4 + y) * lanes + l;
          v_[at] = z ? 0 : v;
          v_zero_[at] = z;
        }
    }
  const std::uint64_t elements = std::uint64_t(f.tiles) * 16 * lanes;
  tiles_ += f.tiles;
  adds_ += 2 * elements;  // 16 + 16 two-input adds per tile and lane
  reg_writes_ += elements;
}

void WinogradInputTransform::select(TileFeed& f) {
  MacPass& p = f.pass;
  const unsigned lanes = p.lanes_valid;
  for (unsigned t = 0; t < f.tiles; ++t) {
    std::int16_t* acts = &p.acts[std::size_t(t) * p.act_lanes];
    std::uint8_t* zero = &p.act_zero[std::size_t(t) * p.act_lanes];
    const std::size_t from = (std::size_t(t) * 16 + f.component) * lanes;
    for (unsigned l = 0; l < lanes; ++l) {
      acts[l] = std::int16_t(v_[from + l]);
      zero[l] = v_zero_[from + l];
    }
    std::fill(zero + lanes, zero + p.act_lanes, 1);
  }
  reg_reads_ += std::uint64_t(f.tiles) * lanes;
}

}  // namespace sdla
