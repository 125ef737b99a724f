// The CSB register file through the real CSB socket of an Accelerator inside
// a Testbench: identity registers, TLM error responses (read-only, address,
// burst, byte enables), DESC_PTR and IRQ_MASK read-back, START while busy,
// and STATUS / IRQ_STATUS / interrupt line after runs, masked and unmasked.
#include <cstring>
#include <functional>
#include <string>

#include <gtest/gtest.h>
#include <systemc>
#include <tlm>

#include "sdla/regs.hpp"
#include "seed.hpp"
#include "testbench.hpp"
#include "workload.hpp"

namespace sdla {
namespace {

using sc_core::sc_time;
using sc_core::SC_NS;

/// A host thread inside the simulation: runs `body`, then stops the simulation.
class Host : public sc_core::sc_module {
 public:
  Host(const sc_core::sc_module_name& name, Testbench& tb, std::function<void(Host&)> body)
      : sc_module(name), tb(tb), body_(std::move(body)) {
    SC_THREAD(main);
    SC_THREAD(count_irq_rises);
  }

  Testbench& tb;
  bool finished = false;
  unsigned irq_rises = 0;

  /// A raw CSB transaction through the accelerator's CSB target socket.
  tlm::tlm_response_status access(tlm::tlm_command cmd, std::uint64_t addr, unsigned char* data, unsigned len,
                                  unsigned streaming_width, unsigned char* byte_enables = nullptr,
                                  unsigned byte_enable_len = 0) {
    tlm::tlm_generic_payload gp;
    gp.set_command(cmd);
    gp.set_address(addr);
    gp.set_data_ptr(data);
    gp.set_data_length(len);
    gp.set_streaming_width(streaming_width);
    gp.set_byte_enable_ptr(byte_enables);
    gp.set_byte_enable_length(byte_enable_len);
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_time delay = sc_core::SC_ZERO_TIME;
    sc_core::sc_export<tlm::tlm_fw_transport_if<>>& fw = tb.accelerator().csb_tsock;
    fw->b_transport(gp, delay);
    wait(delay);
    return gp.get_response_status();
  }
  tlm::tlm_response_status raw_read(std::uint64_t addr, std::uint32_t& value) {
    return access(tlm::TLM_READ_COMMAND, addr, reinterpret_cast<unsigned char*>(&value), 4, 4);
  }
  tlm::tlm_response_status raw_write(std::uint64_t addr, std::uint32_t value) {
    return access(tlm::TLM_WRITE_COMMAND, addr, reinterpret_cast<unsigned char*>(&value), 4, 4);
  }

  /// A register read that must succeed.
  std::uint32_t rd(std::uint32_t addr) {
    std::uint32_t v = 0xDEADBEEF;
    const auto st = tb.csb_read(addr, v);
    EXPECT_EQ(st, tlm::TLM_OK_RESPONSE) << "read of register " << std::hex << addr;
    return v;
  }
  void wr(std::uint32_t addr, std::uint32_t v) {
    EXPECT_EQ(tb.csb_write(addr, v), tlm::TLM_OK_RESPONSE) << "write of register " << std::hex << addr;
  }
  bool irq() { return tb.accelerator().irq.read(); }

  /// Waits for the interrupt line to be high; false after `timeout` of simulated time.
  bool wait_irq(sc_time timeout = sc_time(1, sc_core::SC_MS)) {
    if (irq()) return true;
    wait(timeout, tb.accelerator().irq.posedge_event());
    return irq();
  }
  /// Polls STATUS until BUSY clears, checking the line stays low meanwhile.
  bool wait_not_busy_line_low(sc_time timeout = sc_time(1, sc_core::SC_MS)) {
    const sc_time end = sc_core::sc_time_stamp() + timeout;
    while (sc_core::sc_time_stamp() < end) {
      EXPECT_FALSE(irq()) << "interrupt line high at " << sc_core::sc_time_stamp();
      if (!(rd(regs::STATUS) & regs::STATUS_BUSY)) return true;
      sc_core::wait(sc_time(100, SC_NS));
    }
    return false;
  }

  void load(const Program& prog) {
    for (const auto& seg : prog.segments) tb.dram().load(seg.addr, seg.bytes.data(), seg.bytes.size());
    wr(regs::DESC_PTR_LO, std::uint32_t(prog.entry));
    wr(regs::DESC_PTR_HI, std::uint32_t(prog.entry >> 32));
  }
  Tensor<std::int64_t> output(const CompiledLayer& cl) {
    std::vector<std::uint8_t> bytes(cl.output_bytes);
    tb.dram().dump(cl.output, bytes.data(), bytes.size());
    return unpack_output(cl, bytes);
  }

 private:
  SC_HAS_PROCESS(Host);
  void main() {
    body_(*this);
    finished = true;
    sc_core::sc_stop();
  }
  void count_irq_rises() {
    for (;;) {
      wait(tb.accelerator().irq.posedge_event());
      ++irq_rises;
    }
  }
  std::function<void(Host&)> body_;
};

/// A small post-processed conv layer and its program.
struct Job {
  Workload work;
  Program prog;
  std::vector<Tensor<std::int64_t>> golden;
};

Job small_job(const AcceleratorConfig& cfg, std::uint64_t seed) {
  Layer l;
  l.name = "csb_conv";
  l.in_channels = 12;
  l.in_height = l.in_width = 6;
  l.out_channels = 10;
  l.kernel_h = l.kernel_w = 3;
  l.pad = {1, 1, 1, 1};
  l.post.enabled = true;
  l.post.multiplier = {3};
  l.post.shift = {9};
  Job j;
  j.work = generate_workload({l}, seed);
  j.prog = compile_network(cfg, j.work.layers, j.work.input, j.work.operands);
  j.golden = golden_outputs(j.work);
  return j;
}

/// Builds a testbench for `preset`, runs `body` in a host thread, checks it finished.
void simulate(const std::string& preset, const std::function<void(Host&, const AcceleratorConfig&)>& body,
              std::uint64_t dram_bytes = 1 << 20) {
  const auto cfg = AcceleratorConfig::preset(preset);
  Testbench tb("tb", {cfg, "model", dram_bytes, ""});
  Host host("host", tb, [&](Host& h) { body(h, cfg); });
  sc_core::sc_start();
  EXPECT_TRUE(host.finished) << "the host thread did not finish (waiting for an interrupt that never came?)";
}

const std::uint32_t kReadOnly[] = {regs::ID,          regs::VERSION,   regs::HW_CONFIG, regs::STATUS,
                                   regs::ERROR_CODE,  regs::ERROR_LAYER, regs::LAYERS_DONE, regs::CYCLES_LO,
                                   regs::CYCLES_HI};

class CsbPreset : public ::testing::TestWithParam<std::string> {};

TEST_P(CsbPreset, IdentityAndResetValues) {
  simulate(GetParam(), [](Host& h, const AcceleratorConfig& cfg) {
    EXPECT_EQ(h.rd(regs::ID), 0x53444C41u);
    EXPECT_EQ(h.rd(regs::VERSION), 0x00010000u);
    const std::uint32_t hw = h.rd(regs::HW_CONFIG);
    EXPECT_EQ(hw, cfg.atomic_c | cfg.atomic_k << 16);
    EXPECT_EQ(hw & 0xFFFF, cfg.atomic_c);
    EXPECT_EQ(hw >> 16, cfg.atomic_k);
    // Reset state: idle, no error, interrupts enabled, nothing pending.
    EXPECT_EQ(h.rd(regs::CTRL), 0u);
    EXPECT_EQ(h.rd(regs::STATUS), 0u);
    EXPECT_EQ(h.rd(regs::ERROR_CODE), 0u);
    EXPECT_EQ(h.rd(regs::ERROR_LAYER), 0u);
    EXPECT_EQ(h.rd(regs::IRQ_STATUS), 0u);
    EXPECT_EQ(h.rd(regs::IRQ_MASK), 3u);
    EXPECT_EQ(h.rd(regs::DESC_PTR_LO), 0u);
    EXPECT_EQ(h.rd(regs::DESC_PTR_HI), 0u);
    EXPECT_EQ(h.rd(regs::LAYERS_DONE), 0u);
    EXPECT_EQ(h.rd(regs::CYCLES_LO), 0u);
    EXPECT_EQ(h.rd(regs::CYCLES_HI), 0u);
    EXPECT_FALSE(h.irq());
  });
}

INSTANTIATE_TEST_SUITE_P(Presets, CsbPreset, ::testing::Values("small", "full"));

TEST(Csb, HwConfigDiffersBetweenPresets) {
  const auto s = AcceleratorConfig::preset("small"), f = AcceleratorConfig::preset("full");
  EXPECT_NE(s.atomic_c | s.atomic_k << 16, f.atomic_c | f.atomic_k << 16);
  // The checked value is the full preset's 64 x 32 (NVDLA nv_full).
  simulate("full", [](Host& h, const AcceleratorConfig&) { EXPECT_EQ(h.rd(regs::HW_CONFIG), 64u | 32u << 16); });
}

TEST(Csb, WriteToReadOnlyRegisterIsCommandError) {
  simulate("small", [](Host& h, const AcceleratorConfig&) {
    for (std::uint32_t addr : kReadOnly) {
      const std::uint32_t before = h.rd(addr);
      EXPECT_EQ(h.tb.csb_write(addr, ~before), tlm::TLM_COMMAND_ERROR_RESPONSE) << "register " << std::hex << addr;
      EXPECT_EQ(h.rd(addr), before) << "register " << std::hex << addr << " changed by a rejected write";
    }
    // The rejected writes left the writable state alone and started nothing.
    EXPECT_EQ(h.rd(regs::STATUS), 0u);
    EXPECT_FALSE(h.irq());
  });
}

TEST(Csb, UnalignedAndUnmappedAddressesAreAddressErrors) {
  simulate("small", [](Host& h, const AcceleratorConfig&) {
    h.wr(regs::DESC_PTR_LO, 0x1000);
    const std::uint64_t bad[] = {0x001, 0x002, 0x003, 0x011, 0x026, 0x02B,      // unaligned
                                 0x00C,                                          // hole inside the map
                                 regs::LAST + 4, 0x040, 0x100, 0xFFC, 0xFFFFFFFC,  // past the end
                                 0x100000028ull};                                // DESC_PTR_LO + 4 GiB
    for (std::uint64_t addr : bad) {
      std::uint32_t v = 0x12345678;
      EXPECT_EQ(h.raw_read(addr, v), tlm::TLM_ADDRESS_ERROR_RESPONSE) << "read at " << std::hex << addr;
      EXPECT_EQ(v, 0x12345678u) << "a failed read wrote the data buffer";
      EXPECT_EQ(h.raw_write(addr, 0xFFFFFFFF), tlm::TLM_ADDRESS_ERROR_RESPONSE) << "write at " << std::hex << addr;
    }
    EXPECT_EQ(h.rd(regs::DESC_PTR_LO), 0x1000u) << "a rejected write reached DESC_PTR_LO";
    EXPECT_EQ(h.rd(regs::IRQ_MASK), 3u);
    EXPECT_EQ(h.rd(regs::STATUS), 0u);
    // The raw path itself works for a mapped, aligned register.
    std::uint32_t id = 0;
    EXPECT_EQ(h.raw_read(regs::ID, id), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(id, regs::ID_VALUE);
  });
}

TEST(Csb, AccessesOtherThanOneWordAreBurstErrors) {
  simulate("small", [](Host& h, const AcceleratorConfig&) {
    h.wr(regs::DESC_PTR_LO, 0xAAAA0000);
    for (unsigned len : {1u, 2u, 8u, 16u}) {
      unsigned char buf[16];
      std::memset(buf, 0xEE, sizeof buf);
      EXPECT_EQ(h.access(tlm::TLM_READ_COMMAND, regs::ID, buf, len, len), tlm::TLM_BURST_ERROR_RESPONSE)
          << len << "-byte read";
      for (unsigned char b : buf) EXPECT_EQ(b, 0xEE) << "a rejected read wrote the data buffer";
      std::memset(buf, 0x11, sizeof buf);
      EXPECT_EQ(h.access(tlm::TLM_WRITE_COMMAND, regs::DESC_PTR_LO, buf, len, len), tlm::TLM_BURST_ERROR_RESPONSE)
          << len << "-byte write";
    }
    // A 4-byte access streamed through a 2-byte window is a burst too.
    std::uint32_t v = 0;
    EXPECT_EQ(h.access(tlm::TLM_READ_COMMAND, regs::ID, reinterpret_cast<unsigned char*>(&v), 4, 2),
              tlm::TLM_BURST_ERROR_RESPONSE);
    EXPECT_EQ(h.rd(regs::DESC_PTR_LO), 0xAAAA0000u) << "a rejected burst wrote DESC_PTR_LO";
  });
}

TEST(Csb, ByteEnablesAreByteEnableErrors) {
  simulate("small", [](Host& h, const AcceleratorConfig&) {
    h.wr(regs::IRQ_MASK, 1);
    unsigned char all[4] = {0xFF, 0xFF, 0xFF, 0xFF};
    unsigned char low[4] = {0xFF, 0, 0, 0};
    std::uint32_t v = 0;
    EXPECT_EQ(h.access(tlm::TLM_READ_COMMAND, regs::ID, reinterpret_cast<unsigned char*>(&v), 4, 4, all, 4),
              tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    v = 3;
    EXPECT_EQ(h.access(tlm::TLM_WRITE_COMMAND, regs::IRQ_MASK, reinterpret_cast<unsigned char*>(&v), 4, 4, low, 4),
              tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    EXPECT_EQ(h.rd(regs::IRQ_MASK), 1u) << "a write with byte enables reached IRQ_MASK";
  });
}

TEST(Csb, DescriptorPointerReadsBack) {
  simulate("small", [](Host& h, const AcceleratorConfig&) {
    h.wr(regs::DESC_PTR_LO, 0x89ABCDE0);
    h.wr(regs::DESC_PTR_HI, 0x01234567);
    EXPECT_EQ(h.rd(regs::DESC_PTR_LO), 0x89ABCDE0u);
    EXPECT_EQ(h.rd(regs::DESC_PTR_HI), 0x01234567u);
    // Each half is written independently.
    h.wr(regs::DESC_PTR_LO, 0x00000100);
    EXPECT_EQ(h.rd(regs::DESC_PTR_HI), 0x01234567u);
    EXPECT_EQ(h.rd(regs::DESC_PTR_LO), 0x00000100u);
    h.wr(regs::DESC_PTR_HI, 0xFFFFFFFF);
    EXPECT_EQ(h.rd(regs::DESC_PTR_LO), 0x00000100u);
    EXPECT_EQ(h.rd(regs::DESC_PTR_HI), 0xFFFFFFFFu);
    h.wr(regs::DESC_PTR_HI, 0);
    EXPECT_EQ(h.rd(regs::DESC_PTR_HI), 0u);
  });
}

TEST(Csb, IrqMaskResetsToThreeAndKeepsTwoBits) {
  simulate("small", [](Host& h, const AcceleratorConfig&) {
    EXPECT_EQ(h.rd(regs::IRQ_MASK), 3u);
    h.wr(regs::IRQ_MASK, 0xFFFFFFFF);
    EXPECT_EQ(h.rd(regs::IRQ_MASK), 3u);
    h.wr(regs::IRQ_MASK, 2);
    EXPECT_EQ(h.rd(regs::IRQ_MASK), 2u);
    h.wr(regs::IRQ_MASK, 0xFFFFFFFD);
    EXPECT_EQ(h.rd(regs::IRQ_MASK), 1u);
    h.wr(regs::IRQ_MASK, 0xFFFFFFFC);
    EXPECT_EQ(h.rd(regs::IRQ_MASK), 0u);
    // CTRL is write-only: it reads 0 whatever was written, and writing 0 starts nothing.
    h.wr(regs::CTRL, 0);
    EXPECT_EQ(h.rd(regs::CTRL), 0u);
    EXPECT_EQ(h.rd(regs::STATUS), 0u);
  });
}

TEST(Csb, SuccessfulRunSetsDoneAndRaisesTheInterruptUntilCleared) {
  const std::uint64_t seed = sdla::test::seed(101);
  simulate("small", [seed](Host& h, const AcceleratorConfig& cfg) {
    const Job job = small_job(cfg, seed);
    h.load(job.prog);
    const sc_time t0 = sc_core::sc_time_stamp();
    h.wr(regs::CTRL, regs::CTRL_START);
    EXPECT_EQ(h.rd(regs::STATUS), regs::STATUS_BUSY);
    EXPECT_EQ(h.rd(regs::CTRL), 0u);
    ASSERT_TRUE(h.wait_irq()) << "no interrupt after START";
    const sc_time t1 = sc_core::sc_time_stamp();
    EXPECT_TRUE(h.irq());
    EXPECT_EQ(h.rd(regs::STATUS), regs::STATUS_DONE);
    EXPECT_EQ(h.rd(regs::IRQ_STATUS), regs::IRQ_DONE);
    EXPECT_EQ(h.rd(regs::ERROR_CODE), 0u);
    EXPECT_EQ(h.rd(regs::LAYERS_DONE), 1u);
    // CYCLES covers START to the interrupt.
    const std::uint64_t cycles = std::uint64_t(h.rd(regs::CYCLES_HI)) << 32 | h.rd(regs::CYCLES_LO);
    const double elapsed = (t1 - t0) / sc_time(cfg.clock_period_ns(), SC_NS);
    EXPECT_GT(cycles, 0u);
    EXPECT_LE(double(cycles), elapsed + 1);
    EXPECT_GE(double(cycles), elapsed - 8);
    EXPECT_TRUE(h.output(job.prog.layers[0]) == job.golden[0]) << "wrong output";

    // IRQ_STATUS is write-1-to-clear: 0s and the other bit leave DONE pending.
    h.wr(regs::IRQ_STATUS, 0);
    EXPECT_EQ(h.rd(regs::IRQ_STATUS), regs::IRQ_DONE);
    h.wr(regs::IRQ_STATUS, regs::IRQ_ERROR);
    EXPECT_EQ(h.rd(regs::IRQ_STATUS), regs::IRQ_DONE);
    EXPECT_TRUE(h.irq());
    h.wr(regs::IRQ_STATUS, regs::IRQ_DONE);
    EXPECT_EQ(h.rd(regs::IRQ_STATUS), 0u);
    EXPECT_FALSE(h.irq()) << "the interrupt line stayed high after IRQ_STATUS was cleared";
    // Clearing the interrupt does not clear STATUS.
    EXPECT_EQ(h.rd(regs::STATUS), regs::STATUS_DONE);
    EXPECT_EQ(h.irq_rises, 1u);
  });
}

TEST(Csb, StartWhileBusyIsCommandErrorAndStartsNothing) {
  const std::uint64_t seed = sdla::test::seed(102);
  simulate("small", [seed](Host& h, const AcceleratorConfig& cfg) {
    const Job job = small_job(cfg, seed);
    h.load(job.prog);
    h.wr(regs::CTRL, regs::CTRL_START);
    EXPECT_EQ(h.tb.csb_write(regs::CTRL, regs::CTRL_START), tlm::TLM_COMMAND_ERROR_RESPONSE);
    sc_core::wait(sc_time(50, SC_NS));
    EXPECT_EQ(h.tb.csb_write(regs::CTRL, regs::CTRL_START), tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(h.rd(regs::STATUS), regs::STATUS_BUSY);
    // Writes without START are not commands and are accepted while busy.
    EXPECT_EQ(h.tb.csb_write(regs::CTRL, 0), tlm::TLM_OK_RESPONSE);
    ASSERT_TRUE(h.wait_irq());
    EXPECT_EQ(h.rd(regs::STATUS), regs::STATUS_DONE);
    EXPECT_EQ(h.rd(regs::LAYERS_DONE), 1u);
    EXPECT_TRUE(h.output(job.prog.layers[0]) == job.golden[0]);
    h.wr(regs::IRQ_STATUS, regs::IRQ_DONE | regs::IRQ_ERROR);
    // No queued second run: one descriptor was fetched and the line stays low.
    sc_core::wait(sc_time(20, sc_core::SC_US));
    EXPECT_FALSE(h.irq());
    EXPECT_EQ(h.rd(regs::STATUS), regs::STATUS_DONE);
    EXPECT_EQ(h.tb.accelerator().activity().at("controller").at("descriptors"), 1u);

    // Once idle, START is accepted again; STATUS goes back to BUSY alone (DONE cleared).
    h.wr(regs::CTRL, regs::CTRL_START);
    EXPECT_EQ(h.rd(regs::STATUS), regs::STATUS_BUSY);
    ASSERT_TRUE(h.wait_irq());
    EXPECT_EQ(h.rd(regs::STATUS), regs::STATUS_DONE);
    EXPECT_EQ(h.tb.accelerator().activity().at("controller").at("descriptors"), 2u);
    EXPECT_EQ(h.irq_rises, 2u);
  });
}

TEST(Csb, MaskedInterruptKeepsLineLowButRecordsDone) {
  const std::uint64_t seed = sdla::test::seed(103);
  simulate("small", [seed](Host& h, const AcceleratorConfig& cfg) {
    const Job job = small_job(cfg, seed);
    h.load(job.prog);
    h.wr(regs::IRQ_MASK, 0);
    h.wr(regs::CTRL, regs::CTRL_START);
    ASSERT_TRUE(h.wait_not_busy_line_low()) << "the run did not finish";
    sc_core::wait(sc_time(100, SC_NS));
    EXPECT_FALSE(h.irq());
    EXPECT_EQ(h.irq_rises, 0u);
    EXPECT_EQ(h.rd(regs::STATUS), regs::STATUS_DONE);
    EXPECT_EQ(h.rd(regs::IRQ_STATUS), regs::IRQ_DONE);
    EXPECT_TRUE(h.output(job.prog.layers[0]) == job.golden[0]);
    // Unmasking a pending DONE raises the line; masking only ERROR keeps it low.
    h.wr(regs::IRQ_MASK, regs::IRQ_ERROR);
    EXPECT_FALSE(h.irq());
    h.wr(regs::IRQ_MASK, regs::IRQ_DONE);
    EXPECT_TRUE(h.irq()) << "unmasking a pending DONE did not raise the line";
    h.wr(regs::IRQ_MASK, 0);
    EXPECT_FALSE(h.irq());
    h.wr(regs::IRQ_STATUS, regs::IRQ_DONE);
    h.wr(regs::IRQ_MASK, 3);
    EXPECT_FALSE(h.irq());
    EXPECT_EQ(h.irq_rises, 1u);
  });
}

TEST(Csb, ErrorRunSetsErrorBitsAndErrorInterrupt) {
  simulate("small", [](Host& h, const AcceleratorConfig&) {
    // DESC_PTR = 0 is a bad descriptor; only DONE enabled: the ERROR interrupt stays masked.
    h.wr(regs::IRQ_MASK, regs::IRQ_DONE);
    h.wr(regs::CTRL, regs::CTRL_START);
    ASSERT_TRUE(h.wait_not_busy_line_low());
    EXPECT_EQ(h.rd(regs::STATUS), regs::STATUS_DONE | regs::STATUS_ERROR);
    EXPECT_EQ(h.rd(regs::IRQ_STATUS), regs::IRQ_ERROR);
    EXPECT_EQ(h.rd(regs::ERROR_CODE), std::uint32_t(regs::ErrorCode::bad_descriptor));
    EXPECT_EQ(h.rd(regs::ERROR_LAYER), 0u);
    EXPECT_EQ(h.rd(regs::LAYERS_DONE), 0u);
    EXPECT_FALSE(h.irq());
    h.wr(regs::IRQ_MASK, regs::IRQ_ERROR);
    EXPECT_TRUE(h.irq());
    h.wr(regs::IRQ_STATUS, regs::IRQ_ERROR);
    EXPECT_FALSE(h.irq());
    EXPECT_EQ(h.rd(regs::IRQ_STATUS), 0u);
  });
}

}  // namespace
}  // namespace sdla
