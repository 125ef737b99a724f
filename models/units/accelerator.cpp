#include "accelerator.hpp"

namespace sdla {

Accelerator::Accelerator(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg, MacArrayBinding mac)
    : sc_module(name),
      csb_tsock("csb_tsock"),
      mem_isock("mem_isock"),
      irq("irq"),
      cfg_((cfg.validate(), cfg)),
      dma_("dma", cfg),
      buffer_("unified_buffer", cfg),
      accumulator_("accumulator", cfg),
      post_("post_processor"),
      sequencer_("conv_sequencer", cfg, dma_, buffer_, accumulator_, post_),
      controller_("controller", cfg, dma_, sequencer_, post_, [this] { return activity(); }) {
  csb_tsock.bind(controller_.csb_tsock);
  dma_.mem_isock.bind(mem_isock);
  controller_.irq.bind(irq);
  if (mac == MacArrayBinding::internal_model) {
    mac_model_ = std::make_unique<MacArrayModel>("mac_array", cfg);
    sequencer_.mac_isock.bind(mac_model_->mac_tsock);
  }
}

Activity Accelerator::activity() const {
  Activity a;
  a["controller"] = controller_.activity();
  a["dram"] = dma_.activity();  // bytes the DMA moved to and from memory
  a["unified_buffer"] = buffer_.activity();
  a["mac_array"] = sequencer_.mac_activity();
  // Not a unit of its own: the C++ model's count of the passes the array ran.
  if (Counters model = sequencer_.mac_reference_activity(); !model.empty()) a[kMacModelComponent] = std::move(model);
  a["accumulator"] = accumulator_.activity();
  a["post_processor"] = post_.activity();
  return a;
}

}  // namespace sdla
