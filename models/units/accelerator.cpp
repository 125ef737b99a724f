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
      pipeline_("conv", cfg),
      pool_("pooling_unit", cfg),
      controller_("controller", cfg, [this](UnitSide side) { return activity(side); }) {
  csb_tsock.bind(controller_.csb_tsock);
  dma_.mem_isock.bind(mem_isock);
  controller_.irq.bind(irq);
  controller_.dma_isock.bind(dma_.ctrl_tsock);
  controller_.conv_isock.bind(pipeline_.job_tsock);
  controller_.pool_isock.bind(pool_.job_tsock);
  pool_.dma_isock.bind(dma_.pool_tsock);
  pipeline_.post_dma().bind(dma_.post_tsock);
  pipeline_.loader_dma().bind(dma_.load_tsock);
  pipeline_.writer_dma().bind(dma_.write_tsock);
  pipeline_.buffer_write().bind(buffer_.write_tsock);
  pipeline_.buffer_read().bind(buffer_.read_tsock);
  if (mac == MacArrayBinding::internal_model) {
    mac_model_ = std::make_unique<MacArrayModel>("mac_array", cfg);
    pipeline_.mac_isock().bind(mac_model_->mac_tsock);
  }
}

Activity Accelerator::activity() const {
  Activity a;
  a["controller"] = controller_.activity();
  a["dram"] = dma_.activity();  // bytes the DMA moved to and from memory
  a["unified_buffer"] = buffer_.activity();
  pipeline_.activity(a);
  // The pooling unit appears once it has worked, so reports of convolutions alone stay as they were.
  if (Counters c = pool_.activity(); c.at("atoms_read")) a["pooling"] = std::move(c);
  return a;
}

Activity Accelerator::activity(UnitSide side) const {
  const Counters buffer = buffer_.activity();
  switch (side) {
    case UnitSide::control:
      return {{"controller", controller_.activity()}, {"dram", dma_.activity(side)}};
    case UnitSide::load:
      return {{"dram", dma_.activity(side)}, {"unified_buffer", {{"write_bytes", buffer.at("write_bytes")}}}};
    case UnitSide::compute:
      break;
  }
  Activity a = activity();
  a.erase("controller");
  a["dram"] = dma_.activity(side);
  a["unified_buffer"].erase("write_bytes");
  return a;
}

}  // namespace sdla
