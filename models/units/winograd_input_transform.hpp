/// \file
/// The Winograd input transform (NVDLA's PRA): between the feeder and the
/// MAC-array socket. For a Winograd layer it computes V = B^T d B of every
/// raw 4x4 input tile when a batch of tiles arrives (adds only), keeps the 16
/// components in its tile registers, and fills each pass's activation
/// vectors with the component that pass's weights belong to. nvdla mode
/// rounds V half away from zero by the input shift and saturates it to the
/// lane width; exact mode keeps V whole (int16 lanes). For direct
/// convolution it passes the pass through untouched.
///
/// Timing: a batch takes 16 cycles per tile (one raw vector per cycle) and
/// overlaps the array's passes of the previous batch; a pass waits only
/// when the transform of its tiles has not finished.
#pragma once

#include <cstdint>
#include <vector>

#include <systemc>

#include "activity.hpp"
#include "sdla/config.hpp"
#include "sdla/lt_socket.hpp"
#include "sdla/mac_array_protocol.hpp"
#include "sdla/tile_feed.hpp"

namespace sdla {

class WinogradInputTransform : public sc_core::sc_module, private MacArrayBwIf {
 public:
  LtTargetSocket<TileFeed> feed_tsock;  ///< from the feeder
  MacArrayInitiatorSocket mac_isock;    ///< to the MAC array

  WinogradInputTransform(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg);

  /// Counters: "tiles" transformed, "adds" (lane additions of B^T d B),
  /// "reg_writes" / "reg_reads" (tile-register elements written, and read
  /// out into passes), "cycles" busy.
  Counters activity() const {
    return {{"tiles", tiles_}, {"adds", adds_}, {"reg_writes", reg_writes_}, {"reg_reads", reg_reads_},
            {"cycles", cycles_}};
  }

 private:
  void transport(TileFeed& f, sc_core::sc_time& delay);
  void transform(const TileFeed& f);
  void select(TileFeed& f);
  tlm::tlm_sync_enum nb_transport_bw(MacPass&, tlm::tlm_phase&, sc_core::sc_time&) override {
    return tlm::TLM_COMPLETED;
  }
  void invalidate_direct_mem_ptr(sc_dt::uint64, sc_dt::uint64) override {}

  sc_core::sc_time cycle_;
  sc_core::sc_time busy_until_ = sc_core::SC_ZERO_TIME;
  std::vector<std::int32_t> v_;      // [tile][component][lane] of the current batch
  std::vector<std::uint8_t> v_zero_; // same shape
  std::uint64_t tiles_ = 0, adds_ = 0, reg_writes_ = 0, reg_reads_ = 0, cycles_ = 0;
};

}  // namespace sdla
