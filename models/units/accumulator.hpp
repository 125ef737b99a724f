/// \file
/// The accumulator: SRAM of partial sums that adds each pass's column sums
/// into the running totals of a tile's output pixels, across channel atoms
/// and kernel positions (and across channel blocks when a layer's channels
/// do not fit the buffer at once). Sums are exact: the layer rules bound
/// C*R*S so that they fit int32 for int8 and int64 for int16.
#pragma once

#include <cstdint>
#include <vector>

#include <systemc>

#include "activity.hpp"
#include "sdla/config.hpp"
#include "sdla/mac_pass.hpp"

namespace sdla {

class Accumulator : public sc_core::sc_module {
 public:
  Accumulator(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg);

  /// Partial sums the SRAM holds at precision p.
  std::size_t capacity(Precision p) const { return bytes_ / accumulator_bytes(p); }
  /// Make room for `groups` column groups of `pixels` pixels; throws if it does not fit.
  void shape(unsigned groups, unsigned pixels, Precision p);
  void clear(unsigned group);
  /// Adds the pass's partial sums of every valid column to group `group`.
  void add(unsigned group, const MacPass& pass);
  /// Sum of column `col` at pixel `pixel` of `group`.
  std::int64_t sum(unsigned group, unsigned col, unsigned pixel) const {
    return sums_[(std::size_t(group) * atomic_k_ + col) * pixels_ + pixel];
  }
  /// Records that `n` finished sums were drained to the post-processor.
  void note_reads(std::uint64_t n) { reads_ += n; }
  /// Counters: "add" (partial sums added), "read" (sums drained).
  Counters activity() const { return {{"add", adds_}, {"read", reads_}}; }

 private:
  std::size_t bytes_;
  unsigned atomic_k_;
  unsigned pixels_ = 0;
  std::vector<std::int64_t> sums_;  // [group][column][pixel]
  std::uint64_t adds_ = 0, reads_ = 0;
};

}  // namespace sdla
