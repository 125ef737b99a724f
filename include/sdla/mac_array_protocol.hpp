/// \file
/// The MAC-array link: a TLM-2.0 protocol whose payload is a MacPass
/// (mac_pass.hpp), spoken by the Winograd input transform, the last unit
/// before the array (initiator), and by every MAC-array implementation (the
/// C++ datapath model, the RTL transactor).
#pragma once

#include <tlm>

#include "sdla/mac_pass.hpp"

namespace sdla {

/// TLM-2.0 protocol traits: the sockets carry MacPass, never a cast.
struct MacArrayProtocol {
  using tlm_payload_type = MacPass;
  using tlm_phase_type = tlm::tlm_phase;
};

using MacArrayInitiatorSocket = tlm::tlm_initiator_socket<32, MacArrayProtocol>;
using MacArrayTargetSocket = tlm::tlm_target_socket<32, MacArrayProtocol>;
using MacArrayFwIf = tlm::tlm_fw_transport_if<MacArrayProtocol>;
using MacArrayBwIf = tlm::tlm_bw_transport_if<MacArrayProtocol>;

}  // namespace sdla
