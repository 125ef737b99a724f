/// \file
/// The accelerator top: what a virtual platform instantiates. Three external
/// interfaces: a CSB target socket (registers, sdla/regs.hpp), a memory
/// initiator socket (all DMA traffic, TLM-2.0 LT) and an interrupt.
///
///     sdla::Accelerator accel("sdla", sdla::AcceleratorConfig::preset("full"));
///     cpu.csb_isock.bind(accel.csb_tsock);
///     accel.mem_isock.bind(bus_or_memory.tsock);
///     accel.irq(irq_signal);
///
/// By default the MAC array is the C++ datapath model. Construct with
/// MacArrayBinding::external and bind mac_isock() to another MacArrayTarget
/// (e.g. sdla::RtlMacArray) to run the RTL instead.
#pragma once

#include <memory>

#include <systemc>
#include <tlm>

#include "activity.hpp"
#include "controller.hpp"
#include "conv_pipeline.hpp"
#include "dma.hpp"
#include "mac_array_model.hpp"
#include "pooling_unit.hpp"
#include "unified_buffer.hpp"

namespace sdla {

enum class MacArrayBinding { internal_model, external };

class Accelerator : public sc_core::sc_module {
 public:
  tlm::tlm_target_socket<32> csb_tsock;
  tlm::tlm_initiator_socket<32> mem_isock;
  sc_core::sc_out<bool> irq;

  Accelerator(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg,
              MacArrayBinding mac = MacArrayBinding::internal_model);

  const AcceleratorConfig& config() const { return cfg_; }
  /// The MAC-array socket (after the Winograd input transform), to bind an external MacArrayTarget.
  MacArrayInitiatorSocket& mac_isock() { return pipeline_.mac_isock(); }
  /// Every unit's counters: component -> action -> count.
  Activity activity() const;
  /// The counters of one side (UnitSide); the three sides sum to activity().
  Activity activity(UnitSide side) const;
  /// See Controller::set_layer_overlap (on by default).
  void set_layer_overlap(bool on) { controller_.set_layer_overlap(on); }
  const std::vector<LayerRecord>& layer_records() const { return controller_.layer_records(); }
  /// See Controller::on_layer_done.
  void on_layer_done(std::function<void(std::size_t, const LayerRecord&)> f) { controller_.on_layer_done(std::move(f)); }
  const std::string& error_message() const { return controller_.error_message(); }

 private:
  AcceleratorConfig cfg_;
  Dma dma_;
  UnifiedBuffer buffer_;
  ConvPipeline pipeline_;
  PoolingUnit pool_;
  Controller controller_;
  std::unique_ptr<MacArrayModel> mac_model_;
};

}  // namespace sdla
