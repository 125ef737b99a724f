/// \file
/// One MAC-array pass clock by clock on the ports of sdla_mac_array: the
/// sequence both drivers of the RTL run, the C++ harness of the verilated
/// model (RtlMacCore, rtl_mac_core.cpp) and the pin-level SystemC bridge
/// (MacPinBridge), so they validate, drive, measure and collect alike.
///
///   1. rtl_pass_status: bad_request (malformed, other shape) or bad_metadata
///      (2:4 indices above 3, or the RTL's own combinational meta_err for any
///      column, settled without a clock edge): nothing is clocked.
///   2. clock_rtl_pass: the pass configuration held on the ports for the
///      whole pass, `columns` weight-load cycles (w_load), one cycle per
///      vector (a_valid), then kPsumLatency drain cycles with both low until
///      the last partial sums are out. Activity is measured after every
///      counted rising edge; drain cycles go to `drain`, never to the pass.
///
/// A driver `Ports` has:
///   unsigned atomic_k() const
///   void config(const MacPass&)          mode_int16, sparse, col_valid, lane_valid
///   void idle()                          w_load and a_valid low
///   void index(const MacPass&, unsigned k)  w_idx of column k (w_load stays low)
///   bool settled_meta_err()              meta_err once the inputs have settled, no edge
///   void load(const MacPass&, unsigned k)   w_load high with column k, a_valid low
///   void stream(const MacPass&, unsigned v) a_valid high with vector v, w_load low
///   void cycle()                         one clock cycle: its rising edge captures the
///                                        inputs; that edge's outputs have settled on return
///   MacTaps taps()                       the activity taps after that edge
///   bool psum_valid(); bool err()
///   void psums(std::int64_t* dst)        atomic_k sign-extended partial sums
#pragma once

#include <stdexcept>
#include <string>

#include "mac_activity_meter.hpp"
#include "mac_array_ports.hpp"

namespace sdla {

/// bad_request, bad_metadata or ok for a pass on an array of atomic_c x
/// atomic_k; 2:4 metadata is checked by the RTL's meta_err, column by column,
/// with w_load low and no clock edge, so a rejected pass changes no state.
template <class Ports>
MacStatus rtl_pass_status(Ports& ports, const MacPass& p, unsigned atomic_c) {
  if (!rtl_ports::request_fits(p, atomic_c, ports.atomic_k())) return MacStatus::bad_request;
  if (p.format != WeightFormat::sparse_2_4) return MacStatus::ok;
  if (!rtl_ports::indices_fit(p)) return MacStatus::bad_metadata;  // does not fit the 2-bit port
  ports.idle();
  ports.config(p);  // mode_int16 and sparse select the checker's pairs
  for (unsigned k = 0; k < p.columns; ++k) {
    ports.index(p, k);
    if (ports.settled_meta_err()) return MacStatus::bad_metadata;
  }
  return MacStatus::ok;
}

namespace detail {

template <class Ports>
void collect_psums(Ports& ports, MacPass& p, unsigned& out) {
  if (!ports.psum_valid()) return;
  if (out >= p.vectors) throw std::logic_error("RTL produced a partial sum without a vector");
  ports.psums(&p.psums[std::size_t(out) * p.atomic_k]);
  ++out;
}

}  // namespace detail

/// Clocks an accepted pass (rtl_pass_status ok): fills p.psums and
/// p.activity (cycles = columns + vectors) and sets p.status = ok. Throws
/// std::logic_error when the RTL breaks its own contract (a partial sum
/// without a vector, a latency other than kPsumLatency, a refused load).
template <class Ports>
void clock_rtl_pass(Ports& ports, MacPass& p, MacActivityMeter& meter, MacActivity& drain) {
  p.activity = MacActivity{};
  p.status = MacStatus::ok;
  const std::uint64_t units = std::uint64_t(ports.atomic_k()) * p.lanes;
  ports.config(p);  // held until the pass has drained

  // Weight load: one column per cycle, straight into the operand registers.
  for (unsigned k = 0; k < p.columns; ++k) {
    ports.load(p, k);
    ports.cycle();
    meter.count(p.activity, units, ports.taps());
  }
  // One activation vector per cycle.
  unsigned out = 0;
  for (unsigned v = 0; v < p.vectors; ++v) {
    ports.stream(p, v);
    ports.cycle();
    meter.count(p.activity, units, ports.taps());
    detail::collect_psums(ports, p, out);
  }
  ports.idle();
  // Drain: the machine overlaps these cycles with the next pass's weight
  // load, so they are not counted and must show no activity.
  if (p.vectors > 0)
    for (unsigned d = 0; d < rtl_ports::kPsumLatency; ++d) {
      ports.cycle();
      meter.count_drain(drain, ports.taps());
      detail::collect_psums(ports, p, out);
    }
  if (out != p.vectors)
    throw std::logic_error("RTL returned " + std::to_string(out) + " partial-sum vectors for " +
                           std::to_string(p.vectors) + " (pipeline latency mismatch)");
  if (ports.err()) throw std::logic_error("RTL refused a weight load the driver had checked");
  p.activity.cycles = std::uint64_t(p.columns) + p.vectors;
}

}  // namespace sdla
