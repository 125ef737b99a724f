// The MAC array's pin-protocol checker (rtl/mac_protocol_checker.hpp) on
// pins driven by a script, one rule broken per test, on an sc_clock: with the
// pin-level model of the small array attached, or, for the rules only a broken
// array can break (psum latency, reset leftovers), with the script driving the
// outputs too. Each test asserts the sdla/mac_protocol errors it expects and
// no other (captured by an sc_report_handler handler), and a clean run
// reports none. SystemC elaborates once per process: one rig per test.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mac_protocol_checker.hpp"
#include "pin_clocks.hpp"
#include "sdla/log.hpp"

#if __has_include("Vsdla_mac_array_pins_small.h")
#include "Vsdla_mac_array_pins_small.h"
#define SDLA_TEST_HAS_PIN_MODEL 1
#else
#define SDLA_TEST_HAS_PIN_MODEL 0
#endif

namespace sdla {
namespace {

using sc_core::sc_time;
using sc_core::SC_NS;

constexpr unsigned C = 8, K = 8;  // the small preset
using Pins = MacArrayPins<C, K>;

// ------------------------------------------------------------- capturing
struct Captured {
  sc_core::sc_severity severity;
  std::string type, text;
};
std::vector<Captured>& captured() {
  static std::vector<Captured> c;
  return c;
}
/// Keeps the checker's reports (no throw); anything else as SystemC would.
void capture(const sc_core::sc_report& r, const sc_core::sc_actions& actions) {
  if (std::string(r.get_msg_type()) == log_id::mac_protocol) {
    captured().push_back({r.get_severity(), r.get_msg_type(), r.get_msg()});
    return;
  }
  sc_core::sc_report_handler::default_handler(r, actions);
}

// ------------------------------------------------------------------- rig
/// Pins on a 1 GHz sc_clock, the checker on them, and a script on an
/// SC_THREAD that writes the pins at the start of each cycle (clock low) and
/// calls cycle() to let the rising edge capture them. With `model`, the
/// verilated small array drives the outputs; without, nothing does but the
/// script (a fake array).
class Rig : public sc_core::sc_module {
 public:
  Pins pins{"pins"};
  TimedClock clock{"clock_gen", sc_time(1, SC_NS)};
#if SDLA_TEST_HAS_PIN_MODEL
  std::unique_ptr<Vsdla_mac_array_pins_small> model;
#endif
  MacProtocolChecker<C, K> checker{"checker"};
  unsigned psums_seen = 0;  ///< cycles that ended with psum_valid high

  SC_HAS_PROCESS(Rig);
  Rig(const sc_core::sc_module_name& name, bool with_model, std::function<void(Rig&)> script)
      : sc_module(name), script_(std::move(script)) {
#if SDLA_TEST_HAS_PIN_MODEL
    if (with_model) {
      model = std::make_unique<Vsdla_mac_array_pins_small>("rtl");
      pins.bind_model(*model, clock.signal());
    }
#else
    (void)with_model;
#endif
    checker.bind(pins, clock.signal());
    SC_THREAD(run);
  }

  /// One cycle: the next rising edge captures what was written.
  void cycle() {
    clock.cycle();
    psums_seen += pins.psum_valid.read();
  }
  void reset() {
    idle();
    pins.rst = true;
    cycle();
    pins.rst = false;
  }
  void config(bool int16, bool sparse, std::uint32_t cols, std::uint32_t lanes) {
    pins.mode_int16 = int16;
    pins.sparse = sparse;
    pins.col_valid = cols;
    pins.lane_valid = lanes;
  }
  void idle() {
    pins.w_load = false;
    pins.a_valid = false;
  }
  void load(unsigned k) {
    pins.w_load = true;
    pins.a_valid = false;
    pins.w_col = k;
    pins.w_data = 0x0102030405060708ULL * (k + 1);
    pins.w_zero = 0;
    pins.w_idx = 0x4444;  // 2:4 pairs (0, 1): legal
  }
  void stream(unsigned v) {
    pins.w_load = false;
    pins.a_valid = true;
    sc_dt::sc_bv<16 * C> data;
    for (int i = 0; i < 4; ++i) data.set_word(i, 0x11111111u * (v + 1 + i));
    pins.a_data = data;
    pins.a_zero = 0;
  }
  /// A whole pass: `columns` loads, `vectors` vectors, the 3-cycle drain.
  void pass(unsigned columns, unsigned vectors) {
    for (unsigned k = 0; k < columns; ++k) {
      load(k);
      cycle();
    }
    for (unsigned v = 0; v < vectors; ++v) {
      stream(v);
      cycle();
    }
    drain();
  }
  void drain() {
    idle();
    for (int d = 0; d < 3; ++d) cycle();
  }

 private:
  void run() {
    clock.align();
    script_(*this);
    idle();
    cycle();
    sc_core::sc_stop();
  }
  std::function<void(Rig&)> script_;
};

#define REQUIRE_MODEL()                 \
  if (!SDLA_TEST_HAS_PIN_MODEL) GTEST_SKIP() << "no pin-level small array in this build (SDLA_RTL_PINS_PRESETS)"

/// Runs `script` on a rig with the checker's reports captured.
void run(Rig& rig) {
  (void)rig;
  captured().clear();
  sc_core::sc_report_handler::set_handler(capture);
  sc_core::sc_start();
}

/// Every captured report is an SC_ERROR of `rule`; returns how many there were.
std::size_t expect_only(MacProtocolRule rule) {
  for (const Captured& c : captured()) {
    std::printf("reported: %s\n", c.text.c_str());
    EXPECT_EQ(c.severity, sc_core::SC_ERROR) << c.text;
    EXPECT_EQ(c.type, "sdla/mac_protocol") << c.text;
    EXPECT_NE(c.text.find(std::string(": ") + to_string(rule) + ": "), std::string::npos) << c.text;
  }
  return captured().size();
}

TEST(MacProtocolChecker, CleanPassesReportNothing) {
  REQUIRE_MODEL();
  Rig rig("rig", true, [](Rig& r) {
    r.reset();
    r.config(false, false, 0xff, 0x00ff);
    r.pass(8, 5);
    r.idle();
    r.cycle();
    r.config(true, true, 0x0f, 0x00ff);  // between passes: allowed
    r.pass(4, 5);
    r.config(false, false, 0x03, 0x000f);
    r.pass(2, 0);  // weights only
  });
  run(rig);
  EXPECT_EQ(captured().size(), 0u) << captured().front().text;
  EXPECT_EQ(rig.checker.violations(), 0u);
  EXPECT_EQ(rig.psums_seen, 10u);  // the array answered every vector, 3 cycles later
  EXPECT_GT(rig.checker.cycles(), 30u);
}

TEST(MacProtocolChecker, LoadAndStreamInOneCycle) {
  REQUIRE_MODEL();
  Rig rig("rig", true, [](Rig& r) {
    r.reset();
    r.config(false, false, 0xff, 0x00ff);
    for (unsigned k = 0; k < 7; ++k) {
      r.load(k);
      r.cycle();
    }
    r.load(7);
    r.pins.a_valid = true;  // the first vector with the last column
    r.cycle();
    for (unsigned v = 0; v < 3; ++v) {
      r.stream(v);
      r.cycle();
    }
    r.drain();
  });
  run(rig);
  EXPECT_EQ(expect_only(MacProtocolRule::load_and_stream), 1u);
  EXPECT_EQ(rig.checker.violations(MacProtocolRule::load_and_stream), 1u);
  EXPECT_EQ(rig.checker.violations(), 1u);
}

TEST(MacProtocolChecker, ConfigChangedWhileStreaming) {
  REQUIRE_MODEL();
  Rig rig("rig", true, [](Rig& r) {
    r.reset();
    r.config(false, false, 0xff, 0x00ff);
    for (unsigned k = 0; k < 8; ++k) {
      r.load(k);
      r.cycle();
    }
    for (unsigned v = 0; v < 6; ++v) {
      if (v == 3) r.pins.lane_valid = 0x000f;
      r.stream(v);
      r.cycle();
    }
    r.drain();
  });
  run(rig);
  ASSERT_EQ(expect_only(MacProtocolRule::config_changed), 1u);  // once per pass
  EXPECT_NE(captured().front().text.find("lane_valid changed"), std::string::npos) << captured().front().text;
  EXPECT_EQ(rig.checker.violations(), 1u);
}

// The pass lasts until the edge that produces its last psum_valid, inclusive:
// a change seen at that edge is a violation...
TEST(MacProtocolChecker, ConfigChangedAtTheLastPsum) {
  REQUIRE_MODEL();
  Rig rig("rig", true, [](Rig& r) {
    r.reset();
    r.config(false, false, 0xff, 0x00ff);
    r.pass(8, 0);
    for (unsigned v = 0; v < 4; ++v) {
      r.stream(v);
      r.cycle();  // the last vector's edge c
    }
    r.idle();
    r.cycle();  // c + 1
    r.cycle();  // c + 2
    r.pins.col_valid = 0x0f;
    r.cycle();  // c + 3: the last psum_valid
    r.cycle();
  });
  run(rig);
  ASSERT_EQ(expect_only(MacProtocolRule::config_changed), 1u);
  EXPECT_NE(captured().front().text.find("col_valid changed"), std::string::npos) << captured().front().text;
}

// ... and one edge later the array is idle and the configuration free.
TEST(MacProtocolChecker, ConfigChangeAfterTheLastPsumIsAllowed) {
  REQUIRE_MODEL();
  Rig rig("rig", true, [](Rig& r) {
    r.reset();
    r.config(false, false, 0xff, 0x00ff);
    r.pass(8, 4);  // drain: c + 1 .. c + 3
    r.config(true, false, 0x0f, 0x000f);
    r.pass(8, 4);
  });
  run(rig);
  EXPECT_EQ(captured().size(), 0u) << captured().front().text;
  EXPECT_EQ(rig.psums_seen, 8u);
}

// A fake array whose psum_valid comes one cycle early: the early one has no
// vector 3 cycles before it, and the vector's own cycle has none.
TEST(MacProtocolChecker, PsumValidOneCycleEarly) {
  Rig rig("rig", false, [](Rig& r) {
    r.reset();
    r.config(false, false, 0xff, 0x00ff);
    r.stream(0);
    r.cycle();  // edge c captures the vector
    r.idle();
    r.cycle();  // c + 1
    r.cycle();  // c + 2
    r.pins.psum_valid = true;  // as if edge c + 2 had produced it
    r.cycle();
    r.pins.psum_valid = false;  // and edge c + 3 did not
    r.cycle();
    r.cycle();
  });
  run(rig);
  EXPECT_EQ(expect_only(MacProtocolRule::psum_latency), 2u);
  EXPECT_EQ(rig.checker.violations(MacProtocolRule::psum_latency), 2u);
}

// A fake array whose weight bank keeps a byte through reset.
TEST(MacProtocolChecker, RegisterTheResetMissed) {
  Rig rig("rig", false, [](Rig& r) {
    r.reset();  // the rising edge with rst high
    sc_dt::sc_bv<8 * C * K> bank;
    bank.set_word(5, 0x80);
    r.pins.w_reg = bank;  // what that edge left
    r.cycle();
    r.cycle();  // only the edge after a reset edge is checked
  });
  run(rig);
  ASSERT_EQ(expect_only(MacProtocolRule::reset_leftover), 1u);
  EXPECT_NE(captured().front().text.find("w_reg"), std::string::npos) << captured().front().text;
  EXPECT_EQ(captured().front().text.find("psum,"), std::string::npos) << captured().front().text;
}

TEST(MacProtocolChecker, VectorBeforeTheFirstReset) {
  REQUIRE_MODEL();
  Rig rig("rig", true, [](Rig& r) {
    r.config(false, false, 0xff, 0x00ff);
    r.stream(0);
    r.cycle();
    r.stream(1);
    r.cycle();  // reported once
    r.reset();
    r.pass(8, 2);
  });
  run(rig);
  EXPECT_EQ(expect_only(MacProtocolRule::driven_before_reset), 1u);
  EXPECT_EQ(rig.checker.violations(), 1u);
  EXPECT_EQ(rig.psums_seen, 2u);
}

// Without a handler of its own, SystemC's default action for an error throws:
// the first violation ends the simulation.
TEST(MacProtocolChecker, AnErrorStopsTheSimulationByDefault) {
  REQUIRE_MODEL();
  Rig rig("rig", true, [](Rig& r) {
    r.reset();
    r.config(false, false, 0xff, 0x00ff);
    r.load(0);
    r.pins.a_valid = true;
    r.cycle();
    r.drain();
  });
  try {
    sc_core::sc_start();
    ADD_FAILURE() << "the simulation ran to its end";
  } catch (const sc_core::sc_report& e) {
    EXPECT_STREQ(e.get_msg_type(), log_id::mac_protocol);
    EXPECT_EQ(e.get_severity(), sc_core::SC_ERROR);
  }
  EXPECT_EQ(sc_core::sc_report_handler::get_count(log_id::mac_protocol), 1);
}

}  // namespace
}  // namespace sdla
