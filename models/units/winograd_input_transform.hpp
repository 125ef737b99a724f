/// \file
/// The Winograd input transform (NVDLA's PRA): between the feeder and the
/// MAC-array socket. For a Winograd layer it makes each activation vector of
/// a pass from four raw input vectors, V = B^T d B one component at a time
/// (three adds per lane), one vector per cycle in step with the array. nvdla
/// mode rounds V half away from zero by the input shift and saturates it to
/// the lane width; exact mode keeps V whole (it runs on the int16 lanes).
/// For direct convolution it passes the pass through untouched.
#pragma once

#include <cstdint>

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

  explicit WinogradInputTransform(const sc_core::sc_module_name& name);

  /// Counters: "vectors" transformed (one per cycle), "adds" (lane additions),
  /// "inputs" (raw lane values read).
  Counters activity() const { return {{"vectors", vectors_}, {"adds", adds_}, {"inputs", inputs_}}; }

 private:
  void transport(TileFeed& f, sc_core::sc_time& delay);
  void transform(TileFeed& f);
  tlm::tlm_sync_enum nb_transport_bw(MacPass&, tlm::tlm_phase&, sc_core::sc_time&) override {
    return tlm::TLM_COMPLETED;
  }
  void invalidate_direct_mem_ptr(sc_dt::uint64, sc_dt::uint64) override {}

  std::uint64_t vectors_ = 0, adds_ = 0, inputs_ = 0;
};

}  // namespace sdla
