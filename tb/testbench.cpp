#include "testbench.hpp"

#include <stdexcept>

#include "mac_array_model.hpp"
#include "sdla/regs.hpp"

namespace sdla {

std::unique_ptr<MacArrayTarget> make_mac_array(const TestbenchOptions& o) {
  if (o.mac == "model") return std::make_unique<MacArrayModel>("mac_array", o.cfg);
  if (o.mac == "rtl" || o.mac == "rtl-pins")
    throw std::invalid_argument("MAC array '" + o.mac + "': this program was built without the RTL (link sdla_tb_rtl "
                                "and set TestbenchOptions::make_mac = sdla::make_any_mac_array)");
  throw std::invalid_argument("unknown MAC array '" + o.mac + "' (known: model, rtl, rtl-pins)");
}

Testbench::Testbench(const sc_core::sc_module_name& name, const TestbenchOptions& options)
    : sc_module(name),
      options_(options),
      mac_(options.make_mac ? options.make_mac(options) : make_mac_array(options)),
      dram_("dram", options.dram_bytes, options.cfg),
      accel_("sdla", options.cfg, MacArrayBinding::external),
      irq_("irq"),
      csb_isock_("csb_isock") {
  accel_.mac_isock().bind(mac_->mac_tsock);
  accel_.mem_isock.bind(dram_.tsock);
  accel_.irq(irq_);
  accel_.set_layer_overlap(options.layer_overlap);
  csb_isock_.bind(accel_.csb_tsock);
  SC_THREAD(host);
}

Testbench::~Testbench() = default;

std::vector<RunOutcome> Testbench::run(const std::vector<Program>& programs, Between between) {
  for (const auto& p : programs)
    if (p.end > dram_.size())
      throw std::invalid_argument("program needs " + std::to_string(p.end) + " bytes of DRAM, testbench has " +
                                  std::to_string(dram_.size()));
  programs_ = &programs;
  between_ = std::move(between);
  outcomes_.clear();
  // The host ends the simulation when its programs are done; that is no news.
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  sc_core::sc_start();
  return std::move(outcomes_);
}

tlm::tlm_response_status Testbench::csb_write(std::uint32_t addr, std::uint32_t value) {
  tlm::tlm_generic_payload gp;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  gp.set_command(tlm::TLM_WRITE_COMMAND);
  gp.set_address(addr);
  gp.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
  gp.set_data_length(4);
  gp.set_streaming_width(4);
  csb_isock_->b_transport(gp, delay);
  wait(delay);
  return gp.get_response_status();
}

tlm::tlm_response_status Testbench::csb_read(std::uint32_t addr, std::uint32_t& value) {
  tlm::tlm_generic_payload gp;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  gp.set_command(tlm::TLM_READ_COMMAND);
  gp.set_address(addr);
  gp.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
  gp.set_data_length(4);
  gp.set_streaming_width(4);
  csb_isock_->b_transport(gp, delay);
  wait(delay);
  return gp.get_response_status();
}

RunOutcome Testbench::run_one(const Program& prog, std::size_t index) {
  for (const auto& seg : prog.segments) dram_.load(seg.addr, seg.bytes.data(), seg.bytes.size());
  if (between_) between_(index);
  csb_write(regs::DESC_PTR_LO, std::uint32_t(prog.entry));
  csb_write(regs::DESC_PTR_HI, std::uint32_t(prog.entry >> 32));
  csb_write(regs::CTRL, regs::CTRL_START);
  if (!irq_.read()) wait(irq_.posedge_event());

  RunOutcome out;
  std::uint32_t status = 0, code = 0, lo = 0, hi = 0, irq_status = 0;
  csb_read(regs::STATUS, status);
  csb_read(regs::ERROR_CODE, code);
  csb_read(regs::ERROR_LAYER, out.error_layer);
  csb_read(regs::CYCLES_LO, lo);
  csb_read(regs::CYCLES_HI, hi);
  csb_read(regs::IRQ_STATUS, irq_status);
  csb_write(regs::IRQ_STATUS, irq_status);
  out.ok = (status & regs::STATUS_DONE) && !(status & regs::STATUS_ERROR);
  out.error = regs::ErrorCode(code);
  out.cycles = std::uint64_t(hi) << 32 | lo;
  out.message = accel_.error_message();
  out.layers = accel_.layer_records();
  // The accelerator knows layers only from descriptors; names and densities are the host's.
  for (std::size_t i = 0; i < out.layers.size() && i < prog.layers.size(); ++i) out.layers[i].layer = prog.layers[i].layer;
  for (std::size_t i = 0; i < out.layers.size() && i < prog.layers.size(); ++i) {
    const CompiledLayer& cl = prog.layers[i];
    // What a program left in memory may be inconsistent (ZVC masks that do
    // not match their values, regions outside DRAM): that fails this run, with
    // the layer named, not the simulation and the programs after it.
    try {
      std::vector<std::uint8_t> bytes(cl.output_bytes), masks(cl.output_mask_bytes);
      dram_.dump(cl.output, bytes.data(), bytes.size());
      if (cl.output_mask) dram_.dump(cl.output_mask, masks.data(), masks.size());
      out.outputs.push_back(unpack_output(cl, bytes, masks));
    } catch (const std::exception& e) {
      out.ok = false;
      if (out.error == regs::ErrorCode::none) out.error_layer = std::uint32_t(i);
      const std::string what = e.what();
      const std::string named = "layer '" + cl.layer.name + "'";
      out.message += (out.message.empty() ? "" : "; ") + std::string("cannot read back the output of ") +
                     (what.find(named) == std::string::npos ? named + ": " : "") + what;
      break;  // outputs[i] is layer i's: later layers' outputs are left out
    }
  }
  return out;
}

void Testbench::host() {
  if (!programs_) return;
  for (std::size_t i = 0; i < programs_->size(); ++i) {
    // An exception escaping a SystemC process would end the whole simulation
    // (SystemC error E549) and every program after this one: record it instead.
    try {
      outcomes_.push_back(run_one((*programs_)[i], i));
    } catch (const sc_core::sc_unwind_exception&) {
      throw;  // SystemC's own process control: never swallowed
    } catch (const std::exception& e) {
      RunOutcome failed;
      failed.message = std::string("testbench: ") + e.what();
      outcomes_.push_back(std::move(failed));
    }
  }
  if (between_ && !programs_->empty()) {
    try {
      between_(programs_->size());
    } catch (const sc_core::sc_unwind_exception&) {
      throw;
    } catch (const std::exception& e) {
      outcomes_.back().ok = false;
      outcomes_.back().message += std::string(outcomes_.back().message.empty() ? "" : "; ") + "testbench: " + e.what();
    }
  }
  sc_core::sc_stop();
}

}  // namespace sdla
