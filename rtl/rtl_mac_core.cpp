// RtlMacCore: drives the verilated sdla_mac_array clock by clock.
//
// This TU includes Verilator headers and no SystemC header (a TU with both
// fails on sc_time_stamp, design.md section 4).
//
// The pass itself (validation, weight load, vectors, drain, activity and
// partial sums) is rtl_pass_sequence.hpp's, shared with the pin-level bridge;
// HarnessT is its driver for the verilated C++ model: it writes the model's
// ports, and cycle() evaluates one clock. Inputs of cycle c change at
// start + c*period (clk low) and the array clocks at start + (c + 1/2)*period.
#include "rtl_mac_core.hpp"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <type_traits>

#include "mac_activity_meter.hpp"
#include "popcount.hpp"
#include "rtl_pass_sequence.hpp"
#include "sdla_rtl_models.hpp"
#include "verilated.h"
#include "verilated_vcd_c.h"
#if SDLA_RTL_HAS_FST
#include "verilated_fst_c.h"
#endif

namespace sdla {
namespace {

using rtl_ports::kPsumBits;
using rtl_ports::kPsumLatency;
using rtl_ports::Word;

// --------------------------------------------------------------- port access
/// Set bits of an array port of <= 64-bit elements (Verilator top-level
/// unpacked ports are plain C arrays).
template <class T, std::size_t N>
unsigned count_bits(const T (&a)[N]) {
  static_assert(sizeof(T) <= sizeof(Word));
  if constexpr (sizeof(T) == sizeof(Word)) {
    return popcount_words(reinterpret_cast<const Word*>(a), N);
  } else {
    Word buf[N];
    for (std::size_t i = 0; i < N; ++i) buf[i] = Word(a[i]);
    return popcount_words(buf, N);
  }
}

template <class T>
struct IsWide : std::false_type {};
template <std::size_t N>
struct IsWide<VlWide<N>> : std::true_type {};

/// Drives a bit-vector port from little-endian 64-bit words.
template <class T>
void set_bits(T& port, const Word* w) {
  if constexpr (IsWide<T>::value) {
    constexpr std::size_t n = sizeof(T) / sizeof(EData);
    for (std::size_t i = 0; i < n; ++i) port.m_storage[i] = EData(w[i / 2] >> (32 * (i % 2)));
  } else {
    port = T(w[0]);
  }
}

// ------------------------------------------------------------------ harness
class Harness {
 public:
  virtual ~Harness() = default;
  virtual void execute(MacPass& p, std::uint64_t start_ps) = 0;
  virtual void reset() = 0;
  virtual RtlMacCore::OperandRegisters registers() = 0;

  std::string model_name;
  std::uint64_t clocked = 0;
  MacActivity drain;
};

/// GTKWave save file laid out on the wave view (sdla_mac_wave_view.sv);
/// the same layout opens the VCD or the FST of a run.
std::string gtkw_text(const std::string& vcd_path, const std::string& model, unsigned atomic_c,
                      unsigned atomic_k, double period_ps) {
  // Sizes of the view: sdla_mac_array.sv ViewLanes / ViewCols / ViewMults.
  const unsigned lanes = std::min(2 * atomic_c, 8u);
  const unsigned cols = std::min(atomic_k, 4u);
  const unsigned mults = std::min(atomic_c, 8u);
  const std::string v = "TOP.sdla_mac_array.u_view.";
  std::ostringstream s;
  auto group = [&](const std::string& title, auto body) {
    s << "@800200\n-" << title << "\n";
    body();
    s << "@1000200\n-" << title << "\n";
  };
  // GTKWave trace flags: 28 binary, 22 hex, 24 decimal, 424 signed decimal.
  // Each trace gets an alias that keeps its lane/column/multiplier index
  // ("lane[3].act" shows as "lane3 act"; GTKWave would cut a dotted alias
  // back to its leaf), since the leaf names repeat.
  auto alias = [](const std::string& name) {
    std::string a;
    for (char ch : name)
      if (ch == '.') a += ' ';
      else if (ch != '[' && ch != ']') a += ch;
    return "+{" + a + "} ";
  };
  auto bit = [&](const std::string& name) { s << "@28\n" << alias(name) << v << name << "\n"; };
  auto hex = [&](const std::string& name, unsigned width) {
    s << "@22\n" << alias(name) << v << name << "[" << width - 1 << ":0]\n";
  };
  auto dec = [&](const std::string& name, unsigned width, bool is_signed) {
    s << (is_signed ? "@424\n" : "@24\n") << alias(name) << v << name << "[" << width - 1 << ":0]\n";
  };
  auto lane = [](unsigned l) { return "lane[" + std::to_string(l) + "]."; };
  auto col = [](unsigned c) { return "col[" + std::to_string(c) + "]."; };
  auto mult = [&](unsigned c, unsigned m) { return col(c) + "mult[" + std::to_string(m) + "]."; };
  const unsigned kw = atomic_k > 1 ? unsigned(std::ceil(std::log2(double(atomic_k)))) : 1;

  s << "[*] sdla RTL MAC array waves (" << model << "): the wave view, " << lanes
    << " activation lanes, " << mults << " multipliers x " << cols << " columns\n";
  s << "[*] written by rtl/rtl_mac_core.cpp; signals under TOP.sdla_mac_array.u_view\n";
  s << "[dumpfile] \"" << std::filesystem::absolute(vcd_path).string() << "\"\n";
  s << "[timestart] 0\n[size] 1600 1000\n[pos] -1 -1\n";
  // Zoom (log2 of picoseconds per pixel, negated) to about 40 clock cycles
  // across the wave pane; the view opens at the first dumped time.
  s << "*-" << int(std::lround(std::log2(period_ps))) + 3 << ".000000 -1";
  for (int i = 0; i < 26; ++i) s << " -1";
  s << "\n";
  s << "[treeopen] TOP.\n[treeopen] TOP.sdla_mac_array.\n[treeopen] TOP.sdla_mac_array.u_view.\n";
  s << "[sst_width] 260\n[signals_width] 320\n[sst_expanded] 1\n[sst_vpaned_height] 320\n";
  group("control", [&] {
    for (const char* n : {"clk", "rst", "mode_int16", "sparse", "w_load"}) bit(n);
    dec("w_col", kw, false);
    for (const char* n : {"a_valid", "meta_err", "err"}) bit(n);
  });
  group("operands", [&] {
    for (unsigned l = 0; l < lanes; ++l) hex(lane(l) + "act", 8);
    for (unsigned c = 0; c < cols; ++c)
      for (unsigned m = 0; m < mults; ++m) hex(mult(c, m) + "w", 8);
  });
  group("zero lines", [&] {
    for (unsigned l = 0; l < lanes; ++l) bit(lane(l) + "zero_in_l");
    for (unsigned l = 0; l < lanes; ++l) bit(lane(l) + "live");
    for (unsigned c = 0; c < cols; ++c)
      for (unsigned m = 0; m < mults; ++m) bit(mult(c, m) + "w_zero");
    for (unsigned c = 0; c < cols; ++c)
      for (unsigned m = 0; m < mults; ++m) bit(mult(c, m) + "live");
  });
  group("metadata", [&] {
    for (unsigned c = 0; c < cols; ++c)
      for (unsigned m = 0; m < mults; ++m) dec(mult(c, m) + "idx", 2, false);
  });
  group("valid", [&] {
    for (unsigned l = 0; l < lanes; ++l) bit(lane(l) + "valid_in");
    for (unsigned l = 0; l < lanes; ++l) bit(lane(l) + "vld");
    for (unsigned c = 0; c < cols; ++c) bit(col(c) + "valid");
    for (unsigned c = 0; c < cols; ++c)
      for (unsigned m = 0; m < mults; ++m) bit(mult(c, m) + "issue");
  });
  group("partial sums", [&] {
    bit("psum_valid");
    for (unsigned c = 0; c < cols; ++c) dec(col(c) + "psum", kPsumBits, true);
  });
  s << "[pattern_trace] 1\n[pattern_trace] 0\n";
  return s.str();
}

/// VM: a verilated model; TraceFile: the trace writer its trace code was
/// verilated for (VerilatedVcdC with --trace, VerilatedFstC with --trace-fst).
/// It is also the `Ports` driver of rtl_pass_sequence.hpp.
template <class VM, class TraceFile, unsigned C, unsigned K>
class HarnessT final : public Harness {
  static constexpr unsigned kActLanes = 2 * C;  // bus lanes (int8) = bytes
  static constexpr std::size_t kMaskWords = rtl_ports::words_for(kActLanes);
  static constexpr std::size_t kWeightBytes = std::size_t(C) * K;
  static_assert(sizeof(VM::act_reg) == kActLanes && sizeof(VM::w_reg) == kWeightBytes,
                "operand register ports are byte banks");
  static_assert(sizeof(VM::psum[0]) == sizeof(QData), "psum elements are 64-bit words");

 public:
  HarnessT(const char* name, double period_ps, const RtlTraceOptions& trace)
      : ctx_(std::make_unique<VerilatedContext>()), period_ps_(period_ps), window_(trace),
        meter_(kActLanes, kWeightBytes) {
    model_name = name;
    const bool tracing = !trace.path.empty();
    if (tracing) ctx_->traceEverOn(true);
    model_ = std::make_unique<VM>(ctx_.get(), "TOP");
    m().clk = 1;
    m().eval();
    reset();
    if (tracing) open_trace(trace);
  }

  RtlMacCore::OperandRegisters registers() override {
    RtlMacCore::OperandRegisters r;
    r.act.assign(&m().act_reg[0], &m().act_reg[0] + kActLanes);
    r.weight.assign(&m().w_reg[0][0], &m().w_reg[0][0] + kWeightBytes);
    return r;
  }

  ~HarnessT() override {
    if (tfp_) tfp_->close();  // the VCD is complete and closed, whatever happened
    model_->final();
  }

  void reset() override {
    VM& t = m();
    idle();
    t.rst = 1;
    tick_quiet();
    t.rst = 0;
    meter_.start_from_reset(taps());
  }

  void execute(MacPass& p, std::uint64_t start_ps) override {
    p.activity = MacActivity{};
    p.status = rtl_pass_status(*this, p, C);
    if (p.status != MacStatus::ok) return;
    pass_start_ps_ = start_ps;
    pass_cycle_ = 0;
    clock_rtl_pass(*this, p, meter_, drain);
    array_cycles_ += p.activity.cycles;
    // A VCD is flushed after every pass. An FST is not: a flush starts a new
    // block, and small blocks compress badly; its writer starts one every
    // 128 MiB of changes, and the file is complete when closed.
    if (tfp_ && std::is_same_v<TraceFile, VerilatedVcdC>) tfp_->flush();
  }

  // ------------------------------------------- Ports (rtl_pass_sequence.hpp)
  unsigned atomic_k() const { return K; }

  void config(const MacPass& p) {
    VM& t = m();
    t.mode_int16 = p.precision == Precision::int16;
    t.sparse = p.format == WeightFormat::sparse_2_4;
    Word cols[rtl_ports::words_for(K)], lanes[kMaskWords];
    rtl_ports::low_mask(cols, std::size(cols), p.columns);
    set_bits(t.col_valid, cols);
    rtl_ports::low_mask(lanes, kMaskWords, p.lanes_valid);
    set_bits(t.lane_valid, lanes);
  }

  void idle() {
    m().w_load = 0;
    m().a_valid = 0;
  }

  void index(const MacPass& p, unsigned k) {
    Word idx[kMaskWords];
    rtl_ports::index_mask(idx, kMaskWords, p, k);
    set_bits(m().w_idx, idx);
  }

  bool settled_meta_err() {
    m().eval();  // no clock edge: only the combinational checker settles
    return m().meta_err;
  }

  void load(const MacPass& p, unsigned k) {
    VM& t = m();
    t.w_load = 1;
    t.a_valid = 0;
    std::uint8_t bank[C];
    rtl_ports::weight_bank(p, k, bank);
    for (unsigned i = 0; i < C; ++i) t.w_data[i] = CData(bank[i]);
    Word zero[rtl_ports::words_for(C)];
    rtl_ports::flag_mask(zero, std::size(zero), &p.weight_zero[std::size_t(k) * p.lanes], p.lanes);
    set_bits(t.w_zero, zero);
    index(p, k);
    t.w_col = decltype(t.w_col)(k);
  }

  void stream(const MacPass& p, unsigned v) {
    VM& t = m();
    t.w_load = 0;
    t.a_valid = 1;
    std::uint8_t bank[kActLanes];
    rtl_ports::activation_bank(p, v, bank);
    for (unsigned l = 0; l < kActLanes; ++l) t.a_data[l] = CData(bank[l]);
    Word zero[kMaskWords];
    rtl_ports::flag_mask(zero, kMaskWords, &p.act_zero[std::size_t(v) * p.act_lanes], p.act_lanes);
    set_bits(t.a_zero, zero);
  }

  /// One clock: inputs (already set) settle with clk low at the cycle start,
  /// the rising edge comes half a period later.
  void cycle() {
    VM& t = m();
    const std::uint64_t index = array_cycles_ + pass_cycle_;
    t.clk = 0;
    t.eval();
    dump(time_ps(double(pass_cycle_)), index);
    t.clk = 1;
    t.eval();
    dump(time_ps(double(pass_cycle_) + 0.5), index);
    ++pass_cycle_;
    ++clocked;
  }

  MacTaps taps() {
    VM& t = m();
    return {count_bits(t.mac_issue), count_bits(t.mac_live), &t.act_reg[0], &t.w_reg[0][0]};
  }

  bool psum_valid() { return m().psum_valid; }
  bool err() { return m().err; }

  void psums(std::int64_t* dst) {
    for (unsigned k = 0; k < K; ++k) dst[k] = rtl_ports::sign_extend_psum(m().psum[k]);
  }

 private:
  VM& m() { return *model_; }

  // -------------------------------------------------------------- clocking
  std::uint64_t time_ps(double cycles) const {
    return pass_start_ps_ + std::uint64_t(std::llround(cycles * period_ps_));
  }

  /// A clock outside simulated time (reset): never dumped.
  void tick_quiet() {
    VM& t = m();
    t.clk = 0;
    t.eval();
    t.clk = 1;
    t.eval();
    ++clocked;
  }

  void dump(std::uint64_t t_ps, std::uint64_t index) {
    if (!tfp_ || index < window_.first_cycle || index >= window_.last_cycle) return;
    // VCD time only moves forward: a pass that starts while the previous
    // pass's drain is still on the wave time line (the usual case: the
    // machine overlaps them) shows from its first cycle after that drain.
    if (dumped_ && t_ps <= last_dump_ps_) return;
    tfp_->dump(t_ps);
    last_dump_ps_ = t_ps;
    dumped_ = true;
  }

  // ------------------------------------------------------------------ waves
  void open_trace(const RtlTraceOptions& trace) {
    namespace fs = std::filesystem;
    const fs::path vcd(trace.path);
    if (vcd.has_parent_path()) {
      std::error_code ec;
      fs::create_directories(vcd.parent_path(), ec);
    }
    const char* const kind = std::is_same_v<TraceFile, VerilatedVcdC> ? "VCD" : "FST";
    // Verilator's FST writer does not report a file it cannot create: try it first.
    if (!std::ofstream(trace.path, std::ios::binary))
      throw std::runtime_error(std::string("cannot open ") + kind + " file '" + trace.path + "'");
    tfp_ = std::make_unique<TraceFile>();
    // What to trace (see RtlTraceOptions::depth); the wave view always.
    if (trace.depth != 0 && trace.depth < 4) {
      tfp_->dumpvars(99, "TOP.sdla_mac_array.u_view");
      if (trace.depth >= 2) tfp_->dumpvars(1, "TOP");
      if (trace.depth >= 3) tfp_->dumpvars(2, "TOP.sdla_mac_array");
    }
    model_->trace(tfp_.get(), 99);
    tfp_->open(trace.path.c_str());
    if (!tfp_->isOpen()) {
      tfp_.reset();
      throw std::runtime_error(std::string("cannot open ") + kind + " file '" + trace.path + "'");
    }
    const fs::path gtkw = gtkw_path(trace.path);
    std::ofstream out(gtkw);
    out << gtkw_text(trace.path, model_name, C, K, period_ps_);
    if (!out) throw std::runtime_error("cannot write GTKWave save file '" + gtkw.string() + "'");
  }

  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<VM> model_;
  std::unique_ptr<TraceFile> tfp_;
  double period_ps_;
  RtlTraceOptions window_;
  std::uint64_t pass_start_ps_ = 0;
  std::uint64_t pass_cycle_ = 0;
  std::uint64_t array_cycles_ = 0;  // counted cycles of completed passes
  std::uint64_t last_dump_ps_ = 0;
  bool dumped_ = false;
  MacActivityMeter meter_;
};

std::unique_ptr<Harness> make_harness(const AcceleratorConfig& cfg, const RtlTraceOptions& trace) {
  if (cfg.clock_mhz < 1) throw std::invalid_argument("RtlMacCore: clock_mhz must be at least 1");
  const double period_ps = 1e6 / cfg.clock_mhz;
  const bool fst = !trace.path.empty() && trace.format == WaveFormat::fst;
#define SDLA_RTL_MAKE(preset, c, k)                                                                          \
  if (!fst && cfg.atomic_c == (c) && cfg.atomic_k == (k))                                                    \
    return std::make_unique<HarnessT<Vsdla_mac_array_##preset, VerilatedVcdC, (c), (k)>>("Vsdla_mac_array_" #preset, \
                                                                                       period_ps, trace);
  SDLA_RTL_MODELS(SDLA_RTL_MAKE)
#undef SDLA_RTL_MAKE
#if SDLA_RTL_HAS_FST
#define SDLA_RTL_MAKE_FST(preset, c, k)                                                       \
  if (fst && cfg.atomic_c == (c) && cfg.atomic_k == (k))                                      \
    return std::make_unique<HarnessT<Vsdla_mac_array_##preset##_fst, VerilatedFstC, (c), (k)>>( \
        "Vsdla_mac_array_" #preset "_fst", period_ps, trace);
  SDLA_RTL_FST_MODELS(SDLA_RTL_MAKE_FST)
#undef SDLA_RTL_MAKE_FST
#endif
  if (fst && !RtlMacCore::has_fst())
    throw std::runtime_error("FST waves need the FST models, and this build has none (SDLA_RTL_FST is off)");
  std::string built;
  for (const auto& b : RtlMacCore::built_models()) built += (built.empty() ? "" : ", ") + b;
  throw std::runtime_error("no verilated MAC array for atomic_c " + std::to_string(cfg.atomic_c) +
                           " x atomic_k " + std::to_string(cfg.atomic_k) + " (config '" + cfg.name +
                           "'); built: " + built +
                           ". Add the shape to include/sdla/presets.def (and SDLA_RTL_PRESETS) and rebuild");
}

}  // namespace

struct RtlMacCore::Impl {
  std::unique_ptr<Harness> harness;
};

RtlMacCore::RtlMacCore(const AcceleratorConfig& cfg, RtlTraceOptions trace)
    : impl_(std::make_unique<Impl>()) {
  impl_->harness = make_harness(cfg, trace);
}

RtlMacCore::~RtlMacCore() = default;

void RtlMacCore::execute(MacPass& pass, std::uint64_t start_time_ps) { impl_->harness->execute(pass, start_time_ps); }
void RtlMacCore::reset() { impl_->harness->reset(); }
unsigned RtlMacCore::latency() const { return kPsumLatency; }
const std::string& RtlMacCore::model_name() const { return impl_->harness->model_name; }
std::uint64_t RtlMacCore::clocked_cycles() const { return impl_->harness->clocked; }
const MacActivity& RtlMacCore::drain_activity() const { return impl_->harness->drain; }
RtlMacCore::OperandRegisters RtlMacCore::operand_registers() const { return impl_->harness->registers(); }

bool RtlMacCore::has_fst() { return SDLA_RTL_HAS_FST; }

bool RtlMacCore::has_model(const AcceleratorConfig& cfg) {
#define SDLA_RTL_HAS(preset, c, k) \
  if (cfg.atomic_c == (c) && cfg.atomic_k == (k)) return true;
  SDLA_RTL_MODELS(SDLA_RTL_HAS)
#undef SDLA_RTL_HAS
  return false;
}

std::vector<std::string> RtlMacCore::built_models() {
  return {
#define SDLA_RTL_NAME(preset, c, k) #preset " " #c "x" #k,
      SDLA_RTL_MODELS(SDLA_RTL_NAME)
#undef SDLA_RTL_NAME
  };
}

std::string gtkw_path(const std::string& vcd_path) {
  return std::filesystem::path(vcd_path).replace_extension(".gtkw").string();
}

}  // namespace sdla
