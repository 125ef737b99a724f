/// \file
/// Loosely timed TLM-2.0 sockets for a typed payload: how the units of the
/// convolution pipeline talk to each other. Each link has its own payload
/// type (named in include/sdla/), its own protocol traits, and so its own
/// socket type: a socket of one link cannot be bound to another by mistake,
/// and nothing casts a generic payload's data pointer.
///
/// A transaction is one whole tile, pass or step, never one element. The
/// initiator passes the time it is ahead of simulated time in `delay`; the
/// target adds what the transaction costs.
///
///     struct Job { int n = 0; };
///     sdla::LtInitiatorSocket<Job> job_isock{"job_isock"};        // in the sender
///     sdla::LtTargetSocket<Job> job_tsock{"job_tsock"};           // in the receiver
///     job_tsock.on_transport([this](Job& j, sc_core::sc_time& d) { run(j, d); });
///     job_isock.bind(job_tsock);
///     job_isock->b_transport(job, delay);
#pragma once

#include <functional>
#include <utility>

#include <systemc>
#include <tlm>

namespace sdla {

/// Protocol traits of a link whose transactions are `Payload`.
template <class Payload>
struct LtProtocol {
  using tlm_payload_type = Payload;
  using tlm_phase_type = tlm::tlm_phase;
};

/// The initiator side: b_transport only, nothing comes back on the backward path.
template <class Payload>
class LtInitiatorSocket : public tlm::tlm_initiator_socket<32, LtProtocol<Payload>>,
                          private tlm::tlm_bw_transport_if<LtProtocol<Payload>> {
 public:
  explicit LtInitiatorSocket(const char* name) : tlm::tlm_initiator_socket<32, LtProtocol<Payload>>(name) {
    this->bind(static_cast<tlm::tlm_bw_transport_if<LtProtocol<Payload>>&>(*this));
  }
  using tlm::tlm_initiator_socket<32, LtProtocol<Payload>>::bind;

 private:
  tlm::tlm_sync_enum nb_transport_bw(Payload&, tlm::tlm_phase&, sc_core::sc_time&) override {
    return tlm::TLM_COMPLETED;
  }
  void invalidate_direct_mem_ptr(sc_dt::uint64, sc_dt::uint64) override {}
};

/// The target side: the owner registers what b_transport does.
template <class Payload>
class LtTargetSocket : public tlm::tlm_target_socket<32, LtProtocol<Payload>>,
                       private tlm::tlm_fw_transport_if<LtProtocol<Payload>> {
 public:
  using Handler = std::function<void(Payload&, sc_core::sc_time&)>;

  explicit LtTargetSocket(const char* name) : tlm::tlm_target_socket<32, LtProtocol<Payload>>(name) {
    this->bind(static_cast<tlm::tlm_fw_transport_if<LtProtocol<Payload>>&>(*this));
  }
  using tlm::tlm_target_socket<32, LtProtocol<Payload>>::bind;
  void on_transport(Handler h) { handler_ = std::move(h); }

 private:
  void b_transport(Payload& p, sc_core::sc_time& delay) override {
    if (!handler_) SC_REPORT_FATAL("sdla/lt_socket", "b_transport on a target socket with no handler");
    handler_(p, delay);
  }
  // Loosely timed only: the pipeline's links never use the AT phases.
  tlm::tlm_sync_enum nb_transport_fw(Payload&, tlm::tlm_phase&, sc_core::sc_time&) override {
    SC_REPORT_ERROR("sdla/lt_socket", "nb_transport_fw on a loosely timed link");
    return tlm::TLM_COMPLETED;
  }
  bool get_direct_mem_ptr(Payload&, tlm::tlm_dmi&) override { return false; }
  unsigned int transport_dbg(Payload&) override { return 0; }

  Handler handler_;
};

}  // namespace sdla
