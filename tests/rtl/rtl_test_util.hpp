/// \file
/// Stimulus and reference helpers for the RTL tests: replayable random
/// MacPass requests and the golden partial sums of a pass (a dense dot product
/// over the decompressed weights, independent of both implementations).
#pragma once

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "sdla/config.hpp"
#include "sdla/mac_pass.hpp"

namespace sdla::test {

/// The seed of this test process: $SDLA_SEED if set, else a fixed default
/// (tests/support/seed.hpp). Printed once as "seed N"; SDLA_SEED=N replays.
std::uint64_t test_seed();

/// Partial sums by definition: for each vector and column, the dot product of
/// the activation vector (valid lanes, zero lines read as 0) with the column's
/// weights decompressed to dense (2:4: kept weight i sits at lane
/// 4*(i/2) + index; zero-lined weights read as 0; columns >= `columns` are 0).
std::vector<std::int64_t> golden_psums(const MacPass& p);

/// Human-readable activity, for failure messages.
std::string to_string(const MacActivity& a);

/// Random passes with mixed value distributions (uniform, extremes, exact
/// zeros), random zero-line densities, valid lanes and columns.
class PassGen {
 public:
  explicit PassGen(std::uint64_t seed) : rng_(seed) {}

  /// Fills `p` (configured for cfg/precision/format) with a random pass of
  /// at most max_vectors vectors; 2:4 metadata is always legal.
  void random_pass(MacPass& p, const AcceleratorConfig& cfg, Precision precision, WeightFormat format,
                   unsigned max_vectors);
  /// Replaces int8 values outside [-128, 127] (random_pass puts some where
  /// they are ignored) by in-range ones, for tests that then change which
  /// values are live.
  void sanitize(MacPass& p);
  /// A value of the precision: uniform, an extreme, zero or small.
  std::int16_t value(Precision precision);
  /// One of the six legal 2:4 index pairs (idx0 < idx1).
  void legal_pair(std::uint8_t& idx0, std::uint8_t& idx1);
  std::mt19937_64& rng() { return rng_; }
  unsigned uniform(unsigned lo, unsigned hi) { return std::uniform_int_distribution<unsigned>(lo, hi)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }

 private:
  std::mt19937_64 rng_;
};

/// Sets the request fields of `p` that configure() leaves alone.
void set_shape(MacPass& p, unsigned columns, unsigned lanes_valid, unsigned vectors);

/// What a VCD file holds: signal names as GTKWave shows them
/// ("TOP.sdla_mac_array.u_view.lane[0].act[7:0]"), the timescale and every
/// timestamp in file order. Throws std::runtime_error on a malformed file.
struct Vcd {
  std::string timescale;
  std::set<std::string> signals;
  std::vector<std::uint64_t> times;
  std::size_t bytes = 0;
};
Vcd read_vcd(const std::string& path);

/// What an FST file holds, read with the FST reader Verilator ships
/// (gtkwave/fstapi.h), as read_vcd gives it for a VCD: signal names as
/// GTKWave shows them, the timescale ("1ps") and every time at which a value
/// changed, in order; `bytes` is the file size. Throws std::runtime_error
/// when the file is not an FST. Needs the FST models (SDLA_TEST_FST).
Vcd read_fst(const std::string& path);

/// Signal lines of a GTKWave save file.
std::vector<std::string> gtkw_signals(const std::string& path);
/// Group titles ("-title" lines after a group-begin flag) of a GTKWave save file.
std::vector<std::string> gtkw_groups(const std::string& path);

}  // namespace sdla::test
