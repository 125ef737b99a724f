/// \file
/// The accumulator: SRAM of partial sums that adds each pass's column sums
/// into the running totals of a tile step's outputs, across channel atoms
/// and positions (and across channel blocks when a layer's channels do not
/// fit the buffer at once). A drain sends a group's finished sums on as one
/// SumTile. Sums are exact: the layer rules bound C*R*S so that they fit
/// int32 for int8 and int64 for int16.
#pragma once

#include <cstdint>
#include <vector>

#include <systemc>

#include "activity.hpp"
#include "sdla/config.hpp"
#include "sdla/lt_socket.hpp"
#include "sdla/psum_block.hpp"

namespace sdla {

class Accumulator : public sc_core::sc_module {
 public:
  LtTargetSocket<PsumBlock> tsock;      ///< from the feeder
  LtInitiatorSocket<SumTile> out_isock; ///< to the Winograd output transform

  Accumulator(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg);

  /// Partial sums the SRAM holds at precision p.
  std::size_t capacity(Precision p) const { return bytes_ / accumulator_bytes(p); }
  /// Make room for `groups` column groups of `entries` sums per column; throws if it does not fit.
  void shape(unsigned groups, std::size_t entries, Precision p);
  /// Counters: "add" (partial sums added), "read" (sums drained).
  Counters activity() const { return {{"add", adds_}, {"read", reads_}}; }

 private:
  void transport(PsumBlock& b, sc_core::sc_time& delay);
  /// Adds (first: copies) a pass's sums into a group.
  void add(unsigned group, const MacPass& pass, bool first);
  /// A cleared group's zeros, written only when it is read before a pass covers it whole.
  void materialize(unsigned group);
  /// A group's first `entries` entries as int64, for a SumTile.
  const std::int64_t* drained(unsigned group, unsigned entries);

  std::size_t bytes_;
  unsigned atomic_k_;
  std::size_t entries_ = 0;
  unsigned groups_ = 0;
  // [group][entry][column]: a pass's sums arrive [vector][column] and add in
  // place, in the SRAM's width: int32 for int8 layers (narrow_), else int64.
  bool narrow_ = false;
  std::vector<std::int64_t> sums_;
  std::vector<std::int32_t> narrow_sums_;
  std::vector<std::int64_t> wide_;  // a drained int32 group, widened
  std::vector<bool> cleared_;  // [group]: reads as zero, whatever its sums hold
  SumTile out_;
  std::uint64_t adds_ = 0, reads_ = 0;
};

}  // namespace sdla
