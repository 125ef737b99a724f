#include "mac_datapath.hpp"

#include <algorithm>
#include <array>
#include <cstring>


namespace sdla {

namespace {

// Set bits of every byte: a table, because baseline x86-64 has no popcount
// instruction and libgcc's software one cost 6% of a run.
constexpr std::array<std::uint8_t, 256> kBitsSet = [] {
  std::array<std::uint8_t, 256> t{};
  for (unsigned i = 0; i < 256; ++i) t[i] = std::uint8_t((i & 1) + t[i / 2]);
  return t;
}();

/// Set bits of n bytes, eight at a time (SWAR: no popcount instruction needed).
std::uint64_t bits_set(const std::uint8_t* bytes, unsigned n) {
  std::uint64_t total = 0;
  unsigned i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x;
    std::memcpy(&x, bytes + i, 8);
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
    total += (x * 0x0101010101010101ull) >> 56;
  }
  for (; i < n; ++i) total += kBitsSet[bytes[i]];
  return total;
}

}  // namespace

unsigned load_register(std::uint8_t* reg, std::int16_t value, unsigned bytes) {
  unsigned toggles = 0;
  const auto bits = std::uint16_t(value);
  for (unsigned b = 0; b < bytes; ++b) {
    const auto byte = std::uint8_t(bits >> (8 * b));
    toggles += kBitsSet[std::uint8_t(reg[b] ^ byte)];
    reg[b] = byte;
  }
  return toggles;
}

MacDatapath::MacDatapath(const AcceleratorConfig& cfg, DatapathKernels kernels)
    : atomic_c_(cfg.atomic_c), atomic_k_(cfg.atomic_k),
      simd_(kernels == DatapathKernels::fastest && stream_avx2_available()) {
  reset();
}

void MacDatapath::reset() {
  act_reg_.assign(2 * atomic_c_, 0);
  weight_reg_.assign(std::size_t(atomic_k_) * atomic_c_, 0);
}

bool MacDatapath::metadata_valid(const MacPass& p) const {
  if (p.format != WeightFormat::sparse_2_4) return true;
  // Two kept weights of a group must pick different activations, in order.
  for (unsigned k = 0; k < p.columns; ++k)
    for (unsigned i = 0; i + 1 < p.lanes; i += 2) {
      const auto* idx = &p.weight_index[std::size_t(k) * p.lanes + i];
      if (idx[0] > 3 || idx[1] > 3 || idx[0] >= idx[1]) return false;
    }
  return true;
}

namespace {

// Branch-free loops over pointers that never overlap, which the compiler
// vectorizes once told so. A zero-lined register holds; toggles are the set
// bits of old ^ new.
void gate(const std::int16_t* __restrict w, const std::uint8_t* __restrict z, std::size_t n,
          std::int16_t* __restrict live) {
  for (std::size_t i = 0; i < n; ++i) live[i] = std::int16_t(w[i] & -std::int16_t(z[i] == 0));
}

void load_bytes(const std::int16_t* __restrict w, const std::uint8_t* __restrict z, std::size_t n,
                std::uint8_t* __restrict reg, std::uint8_t* __restrict diff) {
  for (std::size_t i = 0; i < n; ++i) {
    const auto hold = std::uint8_t(-std::uint8_t(z[i] != 0));  // 0xFF: the register holds
    const std::uint8_t old = reg[i], now = std::uint8_t((old & hold) | (std::uint8_t(w[i]) & ~hold));
    diff[i] = old ^ now;
    reg[i] = now;
  }
}

// int16 lanes: bytes 2i, 2i+1 of the bank, little-endian.
void load_pairs(const std::int16_t* __restrict w, const std::uint8_t* __restrict z, std::size_t n,
                std::uint8_t* __restrict reg, std::uint8_t* __restrict diff) {
  for (std::size_t i = 0; i < n; ++i) {
    const auto bits = std::uint16_t(w[i]);
    const auto hold = std::uint8_t(-std::uint8_t(z[i] != 0));
    const auto lo = std::uint8_t((reg[2 * i] & hold) | (std::uint8_t(bits) & ~hold));
    const auto hi = std::uint8_t((reg[2 * i + 1] & hold) | (std::uint8_t(bits >> 8) & ~hold));
    diff[2 * i] = reg[2 * i] ^ lo;
    diff[2 * i + 1] = reg[2 * i + 1] ^ hi;
    reg[2 * i] = lo;
    reg[2 * i + 1] = hi;
  }
}

}  // namespace

void MacDatapath::load_weights(MacPass& p) {
  // The valid columns' weights are contiguous, and so are their registers
  // (a bank row is a column's lanes).
  const std::size_t n = std::size_t(p.columns) * p.lanes;
  live_w16_.assign(std::size_t(p.atomic_k) * p.lanes, 0);
  gate(p.weights.data(), p.weight_zero.data(), n, live_w16_.data());
  const bool int8 = p.precision == Precision::int8;
  diff_.resize(int8 ? n : 2 * n);
  (int8 ? load_bytes : load_pairs)(p.weights.data(), p.weight_zero.data(), n, weight_reg_.data(), diff_.data());
  p.activity.weight_toggles += bits_set(diff_.data(), diff_.size());
  // 2:4: the activation lane each multiplier reads (dense: its own lane).
  if (p.format == WeightFormat::sparse_2_4) {
    select_.resize(live_w16_.size());
    for (std::size_t i = 0; i < n; ++i) select_[i] = std::uint16_t(4 * (i % p.lanes / 2) + p.weight_index[i]);
  }
}

template <class Acc>
void MacDatapath::stream(MacPass& p) {
  const unsigned bytes = element_bytes(p.precision);
  const std::uint64_t units = std::uint64_t(p.atomic_k) * p.lanes;
  const bool dense = p.format == WeightFormat::dense;

  // Issued multipliers are the same for every vector of the pass; so is the
  // number of live weights each activation lane feeds.
  std::uint64_t issued = 0;
  live_w_per_lane_.assign(p.act_lanes, 0);
  if (dense) {
    const unsigned valid = std::min(p.lanes_valid, p.lanes);
    issued = std::uint64_t(p.columns) * valid;
    for (unsigned k = 0; k < p.columns; ++k) {
      const std::uint8_t* z = &p.weight_zero[std::size_t(k) * p.lanes];
      for (unsigned l = 0; l < valid; ++l) live_w_per_lane_[l] += z[l] == 0;
    }
  } else {
    for (unsigned k = 0; k < p.columns; ++k)
      for (unsigned i = 0; i < p.lanes; ++i) {
        const std::size_t at = std::size_t(k) * p.lanes + i;
        if (select_[at] >= p.lanes_valid) continue;
        ++issued;
        if (!p.weight_zero[at]) ++live_w_per_lane_[select_[at]];
      }
  }

  live_a16_.assign(p.act_lanes, 0);
  keep_.resize(p.act_lanes);
  diff_.resize(p.act_lanes);
  for (unsigned v = 0; v < p.vectors; ++v) {
    const std::int16_t* a = &p.acts[std::size_t(v) * p.act_lanes];
    const std::uint8_t* az = &p.act_zero[std::size_t(v) * p.act_lanes];
    std::uint64_t random = 0;
    if (bytes == 1) {
      // int8, in loops the compiler vectorizes: a zero-lined register keeps
      // its byte (no toggles); the toggles are the set bits of old ^ new.
      const unsigned n = p.lanes_valid;
      for (unsigned l = 0; l < n; ++l) {
        const bool live = az[l] == 0;
        keep_[l] = live ? 0 : 0xFF;
        live_a16_[l] = live ? a[l] : 0;
        random += live ? live_w_per_lane_[l] : 0;
      }
      for (unsigned l = 0; l < n; ++l) {
        const std::uint8_t byte = std::uint8_t(live_a16_[l]), old = act_reg_[l];
        diff_[l] = std::uint8_t((old ^ byte) & ~keep_[l]);
        act_reg_[l] = std::uint8_t((old & keep_[l]) | (byte & ~keep_[l]));
      }
      p.activity.act_toggles += bits_set(diff_.data(), n);
    } else {
      for (unsigned l = 0; l < p.lanes_valid; ++l) {
        if (az[l]) { live_a16_[l] = 0; continue; }
        p.activity.act_toggles += load_register(&act_reg_[l * bytes], a[l], bytes);
        live_a16_[l] = a[l];
        random += live_w_per_lane_[l];
      }
    }
    p.activity.mac_random += random;
    p.activity.mac_gated += issued - random;
    p.activity.mac_idle += units - issued;

    std::int64_t* out = &p.psums[std::size_t(v) * p.atomic_k];
    for (unsigned k = 0; k < p.atomic_k; ++k) {
      const std::int16_t* w = &live_w16_[std::size_t(k) * p.lanes];
      Acc sum = 0;
      if (dense) {
        for (unsigned i = 0; i < p.lanes; ++i) sum += Acc(w[i]) * live_a16_[i];
      } else {
        const std::uint16_t* sel = &select_[std::size_t(k) * p.lanes];
        for (unsigned i = 0; i < p.lanes; ++i) sum += Acc(w[i]) * live_a16_[sel[i]];
      }
      out[k] = sum;
    }
  }
}

void MacDatapath::execute(MacPass& p) {
  p.activity = MacActivity{};
  if (!p.well_shaped() || p.atomic_k != atomic_k_ || p.lanes * element_bytes(p.precision) != atomic_c_) {
    p.status = MacStatus::bad_request;
    return;
  }
  p.status = simd_ && stream_kernel_fits(p) ? execute_simd(p) : execute_portable(p);
}

MacStatus MacDatapath::execute_portable(MacPass& p) {
  if (!p.values_fit()) return MacStatus::bad_request;
  if (!metadata_valid(p)) return MacStatus::bad_metadata;
  // Lanes beyond lanes_valid are not issued; their live values must read as zero.
  load_weights(p);
  const std::uint64_t units = std::uint64_t(p.atomic_k) * p.lanes;
  p.activity.cycles = p.columns + p.vectors;
  p.activity.mac_idle += std::uint64_t(p.columns) * units;  // weight-load cycles issue nothing
  if (p.precision == Precision::int8)
    stream<std::int32_t>(p);
  else
    stream<std::int64_t>(p);
  return MacStatus::ok;
}

MacStatus MacDatapath::execute_simd(MacPass& p) {
  // Every check comes before any register changes: the activations first,
  // then the weights' in the sweep that loads them into a second bank.
  if (!acts_fit_avx2(p)) return MacStatus::bad_request;
  next_weight_reg_.resize(weight_reg_.size());
  const WeightLoad w = load_weights_avx2(p, weight_reg_.data(), next_weight_reg_.data(), plan_);
  if (!w.fit) return MacStatus::bad_request;
  if (!w.metadata_valid) return MacStatus::bad_metadata;
  // Accepted: the columns past `columns` hold their registers.
  const auto loaded = std::ptrdiff_t(p.columns) * atomic_c_;
  std::copy(weight_reg_.begin() + loaded, weight_reg_.end(), next_weight_reg_.begin() + loaded);
  weight_reg_.swap(next_weight_reg_);

  StreamTotals t;
  stream_avx2(p, plan_, act_reg_.data(), t);
  const std::uint64_t units = std::uint64_t(p.atomic_k) * p.lanes;
  MacActivity& a = p.activity;
  a.cycles = p.columns + p.vectors;
  a.weight_toggles = w.toggles;
  a.act_toggles = t.act_toggles;
  a.mac_random = t.random;
  a.mac_gated = std::uint64_t(p.vectors) * w.issued - t.random;
  // Weight-load cycles issue nothing.
  a.mac_idle = std::uint64_t(p.columns) * units + std::uint64_t(p.vectors) * (units - w.issued);
  return MacStatus::ok;
}

}  // namespace sdla
