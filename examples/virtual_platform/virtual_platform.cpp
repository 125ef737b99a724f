// A virtual platform around the sdla accelerator, built outside the sdla tree
// from an installed package (find_package(sdla)): a CPU, a router, a memory
// of its own and the accelerator.
//
//   cpu.isock ------------+                +--> memory      [0x0000'0000, 64 MiB)
//                         +--> router ---->+
//   sdla.mem_isock (DMA) -+                +--> sdla.csb_tsock  [0x4000'0000, 4 KiB)
//   sdla.irq ----------------------------------> cpu.irq
//
// The CPU compiles one sparse conv layer with sdla's host compiler, writes the
// program into memory, programs the accelerator's registers (sdla/regs.hpp),
// sleeps until the interrupt, reads the output back from memory and compares
// it bit for bit with the golden reference.
//
//   vp_example [model|rtl]   MAC array: the C++ datapath (default) or the verilated RTL
//   exit status: 0 PASS (bit-exact), 1 FAIL, 2 bad arguments
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "accelerator.hpp"    // sdla::model
#include "host_compiler.hpp"  // sdla::host
#include "rtl_mac_array.hpp"  // sdla::rtl
#include "sdla/regs.hpp"
#include "workload.hpp"  // sdla::tb: random tensors, golden outputs

using namespace sc_core;

constexpr std::uint64_t kMemBase = 0x0000'0000, kMemSize = 64 << 20;
constexpr std::uint64_t kCsbBase = 0x4000'0000, kCsbSize = 0x1000;

// Memory: any length, 10 ns per access; outside it, an address error.
struct Memory : sc_module {
  tlm_utils::simple_target_socket<Memory> tsock{"tsock"};
  std::vector<unsigned char> bytes;

  Memory(sc_module_name name, std::size_t size) : sc_module(name), bytes(size) {
    tsock.register_b_transport(this, &Memory::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& gp, sc_time& delay) {
    const std::uint64_t addr = gp.get_address() - kMemBase, len = gp.get_data_length();
    if (addr > bytes.size() || len > bytes.size() - addr || gp.get_byte_enable_ptr()) {
      gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    if (gp.is_read()) std::memcpy(gp.get_data_ptr(), &bytes[addr], len);
    if (gp.is_write()) std::memcpy(&bytes[addr], gp.get_data_ptr(), len);
    delay += sc_time(10, SC_NS);
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

// Router: the CSB window goes to the accelerator's registers (offset from
// its base), everything else to memory. Both the CPU and the DMA bind here.
struct Router : sc_module {
  tlm_utils::multi_passthrough_target_socket<Router> tsock{"tsock"};
  tlm_utils::simple_initiator_socket<Router> mem_isock{"mem_isock"}, csb_isock{"csb_isock"};

  explicit Router(sc_module_name name) : sc_module(name) {
    tsock.register_b_transport(this, &Router::b_transport);
  }
  void b_transport(int /*initiator*/, tlm::tlm_generic_payload& gp, sc_time& delay) {
    const std::uint64_t addr = gp.get_address();
    if (addr >= kCsbBase && addr < kCsbBase + kCsbSize) {
      gp.set_address(addr - kCsbBase);
      csb_isock->b_transport(gp, delay);
      gp.set_address(addr);
    } else {
      mem_isock->b_transport(gp, delay);
    }
  }
};

// CPU: runs the driver as one thread, issuing loosely-timed reads and writes.
struct Cpu : sc_module {
  tlm_utils::simple_initiator_socket<Cpu> isock{"isock"};
  sc_in<bool> irq{"irq"};
  bool passed = false;

  Cpu(sc_module_name name, const sdla::AcceleratorConfig& cfg) : sc_module(name), cfg_(cfg) { SC_THREAD(main); }

 private:
  SC_HAS_PROCESS(Cpu);
  sdla::AcceleratorConfig cfg_;

  void access(tlm::tlm_command cmd, std::uint64_t addr, void* data, std::size_t len) {
    tlm::tlm_generic_payload gp;
    sc_time delay = SC_ZERO_TIME;
    gp.set_command(cmd);
    gp.set_address(addr);
    gp.set_data_ptr(static_cast<unsigned char*>(data));
    gp.set_data_length(unsigned(len));
    gp.set_streaming_width(unsigned(len));
    isock->b_transport(gp, delay);
    wait(delay);
    if (!gp.is_response_ok()) throw std::runtime_error("bus error at " + std::to_string(addr));
  }
  void write(std::uint64_t addr, const void* data, std::size_t len) {
    access(tlm::TLM_WRITE_COMMAND, addr, const_cast<void*>(data), len);
  }
  std::vector<std::uint8_t> read(std::uint64_t addr, std::size_t len) {
    std::vector<std::uint8_t> bytes(len);
    if (len) access(tlm::TLM_READ_COMMAND, addr, bytes.data(), len);
    return bytes;
  }
  void reg_write(std::uint32_t reg, std::uint32_t value) { write(kCsbBase + reg, &value, 4); }
  std::uint32_t reg_read(std::uint32_t reg) {
    std::uint32_t value = 0;
    access(tlm::TLM_READ_COMMAND, kCsbBase + reg, &value, 4);
    return value;
  }

  void main() {
    try {
      passed = run();
    } catch (const std::exception& e) {
      std::printf("error: %s\n", e.what());
    }
    std::printf("%s\n", passed ? "PASS: output is bit-exact with the golden reference"
                               : "FAIL: output differs from the golden reference");
    sc_stop();
  }

  bool run() {
    // 1. The workload: a 3x3 conv, 16 -> 16 channels on 12x12, ZVC-compressed
    //    weights at half density, ReLU, requantised to int8; random tensors.
    sdla::Layer layer;
    layer.name = "conv";
    layer.in_channels = layer.out_channels = 16;
    layer.in_height = layer.in_width = 12;
    layer.kernel_h = layer.kernel_w = 3;
    layer.pad = {1, 1, 1, 1};
    layer.weight_format = sdla::TensorFormat::zvc;
    layer.weight_density = 0.5;
    layer.post.enabled = layer.post.relu = true;
    layer.post.multiplier = {1};
    layer.post.shift = {7};
    const sdla::Workload work = sdla::generate_workload({layer}, /*seed=*/1);

    // 2. The host compiler turns it into a DRAM image and a descriptor chain;
    //    the CPU writes the image into memory.
    const sdla::Program prog = sdla::compile_network(cfg_, work.layers, work.input, work.operands);
    for (const sdla::Segment& seg : prog.segments) write(kMemBase + seg.addr, seg.bytes.data(), seg.bytes.size());

    // 3. Drive the accelerator: check its ID, point it at the first descriptor, start.
    if (reg_read(sdla::regs::ID) != sdla::regs::ID_VALUE) throw std::runtime_error("no sdla at the CSB base");
    reg_write(sdla::regs::DESC_PTR_LO, std::uint32_t(prog.entry));
    reg_write(sdla::regs::DESC_PTR_HI, std::uint32_t(prog.entry >> 32));
    reg_write(sdla::regs::CTRL, sdla::regs::CTRL_START);

    // 4. Sleep until the interrupt, read the status, clear the interrupt.
    if (!irq.read()) wait(irq.posedge_event());
    const std::uint32_t status = reg_read(sdla::regs::STATUS);
    reg_write(sdla::regs::IRQ_STATUS, reg_read(sdla::regs::IRQ_STATUS));
    if (status & sdla::regs::STATUS_ERROR) {
      const auto code = sdla::regs::ErrorCode(reg_read(sdla::regs::ERROR_CODE));
      std::printf("accelerator error: %s (layer %u)\n", sdla::regs::to_string(code),
                  reg_read(sdla::regs::ERROR_LAYER));
      return false;
    }
    const std::uint64_t cycles =
        std::uint64_t(reg_read(sdla::regs::CYCLES_HI)) << 32 | reg_read(sdla::regs::CYCLES_LO);
    std::printf("layer '%s' done: %llu cycles, interrupt at %s\n", layer.name.c_str(),
                static_cast<unsigned long long>(cycles), sc_time_stamp().to_string().c_str());

    // 5. Read the output back from memory and compare with the golden reference.
    const sdla::CompiledLayer& out = prog.layers.back();
    const sdla::Tensor<std::int64_t> y = sdla::unpack_output(
        out, read(kMemBase + out.output, out.output_bytes), read(kMemBase + out.output_mask, out.output_mask_bytes));
    const sdla::Tensor<std::int64_t> expected = sdla::golden_outputs(work).back();
    if (y.shape() != expected.shape()) throw std::runtime_error("output shape " + sdla::to_string(y.shape()));
    std::size_t diffs = 0;
    for (std::size_t i = 0; i < y.size(); ++i) diffs += y.values()[i] != expected.values()[i];
    std::printf("output %s: %zu of %zu elements differ\n", sdla::to_string(y.shape()).c_str(), diffs, y.size());
    return diffs == 0;
  }
};

int sc_main(int argc, char* argv[]) {
  const std::string mac = argc > 1 ? argv[1] : "model";
  if (argc > 2 || (mac != "model" && mac != "rtl")) {
    std::fprintf(stderr, "usage: %s [model|rtl]\n", argv[0]);
    return 2;
  }
  sc_report_handler::set_actions("/OSCI/SystemC", SC_INFO, SC_DO_NOTHING);  // no "stopped by user" note

  const sdla::AcceleratorConfig cfg = sdla::AcceleratorConfig::preset("small");
  Memory memory("memory", kMemSize);
  Router router("router");
  Cpu cpu("cpu", cfg);
  sdla::Accelerator accel("sdla", cfg,
                          mac == "rtl" ? sdla::MacArrayBinding::external : sdla::MacArrayBinding::internal_model);
  std::unique_ptr<sdla::MacArrayTarget> rtl_array;
  if (mac == "rtl") {  // the verilated MAC array behind the same TLM socket
    rtl_array = sdla::make_rtl_mac_array("rtl_mac_array", cfg);
    accel.mac_isock().bind(rtl_array->mac_tsock);
  }
  sc_signal<bool> irq("irq");

  cpu.isock.bind(router.tsock);
  accel.mem_isock.bind(router.tsock);
  router.mem_isock.bind(memory.tsock);
  router.csb_isock.bind(accel.csb_tsock);
  accel.irq(irq);
  cpu.irq(irq);

  std::printf("sdla virtual platform: preset small, MAC array %s\n", mac.c_str());
  sc_start();
  return cpu.passed ? 0 : 1;
}
