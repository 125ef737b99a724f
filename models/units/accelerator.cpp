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
      controller_("controller", cfg, [this] { return activity(); }) {
  csb_tsock.bind(controller_.csb_tsock);
  dma_.mem_isock.bind(mem_isock);
  controller_.irq.bind(irq);
  controller_.dma_isock.bind(dma_.ctrl_tsock);
  controller_.conv_isock.bind(pipeline_.job_tsock);
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
  return a;
}

}  // namespace sdla
