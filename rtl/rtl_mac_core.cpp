// RtlMacCore: drives the verilated sdla_mac_array clock by clock.
//
// This TU includes Verilator headers and no SystemC header (a TU with both
// fails on sc_time_stamp, design.md section 4).
//
// Per pass: validate (bad_request / bad_metadata clock nothing), hold the
// pass configuration on the ports, then
//   * `columns` weight-load cycles, one column per cycle,
//   * one cycle per activation vector,
//   * latency() drain cycles (a_valid low) until the last partial sums are out.
// Inputs of cycle c change at start + c*period (clk low) and the array
// clocks at start + (c + 1/2)*period.
//
// Activity is read from the RTL after every counted rising edge:
//   mac_random += popcount(mac_live), mac_gated += popcount(mac_issue & ~mac_live)
//   mac_idle   += atomic_k * lanes - popcount(mac_issue)
//   act_toggles / weight_toggles += popcount(register bank XOR its previous snapshot)
// The snapshots persist across passes, so toggles carry over exactly as the
// model's operand registers do. Drain cycles are measured into
// drain_activity() (which must stay zero) and never into the pass.
#include "rtl_mac_core.hpp"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <type_traits>

#include "sdla_rtl_models.hpp"
#include "verilated.h"
#include "verilated_vcd_c.h"
#if SDLA_RTL_HAS_FST
#include "verilated_fst_c.h"
#endif

namespace sdla {
namespace {

/// sdla_mac_array.sv: psum is registered 3 edges after the capturing edge.
constexpr unsigned kPsumLatency = 3;
/// sdla_mac_array.sv: PSUM_W.
constexpr unsigned kPsumBits = 48;

using Word = std::uint64_t;

// ------------------------------------------------------------------ popcount
// One hardware POPCNT per word when the CPU has it (all x86-64 since 2008),
// chosen at run time so the binary still runs everywhere.
unsigned popcount_words_sw(const Word* w, std::size_t n) {
  unsigned total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    Word x = w[i];
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    total += unsigned((x * 0x0101010101010101ULL) >> 56);
  }
  return total;
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
__attribute__((target("popcnt"))) unsigned popcount_words_hw(const Word* w, std::size_t n) {
  unsigned total = 0;
  for (std::size_t i = 0; i < n; ++i) total += unsigned(__builtin_popcountll(w[i]));
  return total;
}
using PopcountFn = unsigned (*)(const Word*, std::size_t);
const PopcountFn popcount_words = [] {
  __builtin_cpu_init();  // may run before libgcc's own constructor
  return __builtin_cpu_supports("popcnt") ? popcount_words_hw : popcount_words_sw;
}();
#else
unsigned (*const popcount_words)(const Word*, std::size_t) = popcount_words_sw;
#endif

unsigned popcount_word(Word w) { return popcount_words(&w, 1); }

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

/// Bit toggles between a byte bank and its snapshot; refreshes the snapshot.
unsigned toggles(const std::uint8_t* bank, std::uint8_t* snapshot, std::size_t bytes) {
  unsigned total = 0;
  std::size_t i = 0;
  for (; i + sizeof(Word) <= bytes; i += sizeof(Word)) {
    Word now, before;
    std::memcpy(&now, bank + i, sizeof(Word));
    std::memcpy(&before, snapshot + i, sizeof(Word));
    if (now != before) {
      total += popcount_word(now ^ before);
      std::memcpy(snapshot + i, &now, sizeof(Word));
    }
  }
  for (; i < bytes; ++i) {
    if (bank[i] != snapshot[i]) {
      total += popcount_word(Word(bank[i] ^ snapshot[i]));
      snapshot[i] = bank[i];
    }
  }
  return total;
}

// --------------------------------------------------------------- port access
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

/// Bit mask with the low `n` bits set, as `words` 64-bit words.
template <std::size_t words>
void low_mask(Word (&out)[words], unsigned n) {
  for (std::size_t i = 0; i < words; ++i) {
    const unsigned lo = unsigned(i * 64);
    out[i] = n <= lo ? 0 : n >= lo + 64 ? ~Word(0) : (Word(1) << (n - lo)) - 1;
  }
}

/// Bit i set when flags[i] != 0 (zero lines arrive one byte per lane).
template <std::size_t words>
void nonzero_mask(Word (&out)[words], const std::uint8_t* flags, unsigned n) {
  for (std::size_t i = 0; i < words; ++i) out[i] = 0;
  for (unsigned i = 0; i < n; ++i) out[i / 64] |= Word(flags[i] != 0) << (i % 64);
}

std::int64_t sign_extend_psum(QData v) {
  return std::int64_t(std::uint64_t(v) << (64 - kPsumBits)) >> (64 - kPsumBits);
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
template <class VM, class TraceFile, unsigned C, unsigned K>
class HarnessT final : public Harness {
  static constexpr unsigned kActLanes = 2 * C;  // bus lanes (int8) = bytes
  static constexpr std::size_t kMaskWords = (kActLanes + 63) / 64;
  static constexpr std::size_t kWeightBytes = std::size_t(C) * K;
  static_assert(sizeof(VM::act_reg) == kActLanes && sizeof(VM::w_reg) == kWeightBytes,
                "operand register ports are byte banks");
  static_assert(sizeof(VM::psum[0]) == sizeof(QData), "psum elements are 64-bit words");

 public:
  HarnessT(const char* name, double period_ps, const RtlTraceOptions& trace)
      : ctx_(std::make_unique<VerilatedContext>()), period_ps_(period_ps), window_(trace) {
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
    t.w_load = 0;
    t.a_valid = 0;
    t.rst = 1;
    tick_quiet();
    t.rst = 0;
    for (std::size_t i = 0; i < kActLanes; ++i) act_snap_[i] = t.act_reg[i];
    std::memcpy(w_snap_, &t.w_reg[0][0], kWeightBytes);
    for (std::size_t i = 0; i < kActLanes; ++i)
      if (act_snap_[i]) throw std::logic_error("RTL reset left an activation register non-zero");
    for (std::size_t i = 0; i < kWeightBytes; ++i)
      if (w_snap_[i]) throw std::logic_error("RTL reset left a weight register non-zero");
  }

  void execute(MacPass& p, std::uint64_t start_ps) override {
    p.activity = MacActivity{};
    if (!request_ok(p)) {
      p.status = MacStatus::bad_request;
      return;
    }
    if (!metadata_ok(p)) {
      p.status = MacStatus::bad_metadata;
      return;
    }
    p.status = MacStatus::ok;
    VM& t = m();

    // Pass configuration, held until the pass has drained.
    Word mask[kMaskWords];
    t.mode_int16 = p.precision == Precision::int16;
    t.sparse = p.format == WeightFormat::sparse_2_4;
    Word cols[(K + 63) / 64];
    low_mask(cols, p.columns);
    set_bits(t.col_valid, cols);
    low_mask(mask, p.lanes_valid);
    set_bits(t.lane_valid, mask);

    pass_start_ps_ = start_ps;
    pass_cycle_ = 0;
    const std::uint64_t units = std::uint64_t(K) * p.lanes;

    // Weight load: one column per cycle, straight into the operand registers.
    t.a_valid = 0;
    t.w_load = 1;
    for (unsigned k = 0; k < p.columns; ++k) {
      drive_column(p, k);
      tick();
      measure(p.activity, units);
    }
    t.w_load = 0;

    // One activation vector per cycle.
    unsigned out = 0;
    t.a_valid = 1;
    for (unsigned v = 0; v < p.vectors; ++v) {
      drive_vector(p, v);
      tick();
      measure(p.activity, units);
      collect(p, out);
    }
    t.a_valid = 0;

    // Drain: the machine overlaps these cycles with the next pass's weight
    // load, so they are not counted and must show no activity.
    if (p.vectors > 0)
      for (unsigned d = 0; d < kPsumLatency; ++d) {
        tick();
        measure_drain();
        collect(p, out);
      }
    if (out != p.vectors)
      throw std::logic_error("RTL returned " + std::to_string(out) + " partial-sum vectors for " +
                             std::to_string(p.vectors) + " (pipeline latency mismatch)");
    if (t.err) throw std::logic_error("RTL refused a weight load the core had checked");

    p.activity.cycles = std::uint64_t(p.columns) + p.vectors;
    array_cycles_ += p.activity.cycles;
    // A VCD is flushed after every pass. An FST is not: a flush starts a new
    // block, and small blocks compress badly; its writer starts one every
    // 128 MiB of changes, and the file is complete when closed.
    if (tfp_ && std::is_same_v<TraceFile, VerilatedVcdC>) tfp_->flush();
  }

 private:
  VM& m() { return *model_; }

  // ------------------------------------------------------------ validation
  bool request_ok(const MacPass& p) const {
    // well_formed() also rejects int8 values that a one-byte lane cannot carry.
    return p.well_formed() && p.atomic_k == K && p.lanes * element_bytes(p.precision) == C;
  }

  /// 2:4 metadata, checked by the RTL's own checker (meta_err, combinational
  /// on the load port) for every column before anything is clocked, so a
  /// rejected pass leaves the array untouched. Indices above 3 do not fit
  /// the 2-bit port and are rejected here.
  bool metadata_ok(const MacPass& p) {
    if (p.format != WeightFormat::sparse_2_4) return true;
    for (unsigned k = 0; k < p.columns; ++k)
      for (unsigned i = 0; i < p.lanes; ++i)
        if (p.weight_index[std::size_t(k) * p.lanes + i] > 3) return false;
    VM& t = m();
    t.w_load = 0;
    t.a_valid = 0;
    t.mode_int16 = p.precision == Precision::int16;
    t.sparse = 1;
    for (unsigned k = 0; k < p.columns; ++k) {
      drive_index(p, k);
      t.eval();  // no clock edge: only the combinational checker settles
      if (t.meta_err) return false;
    }
    return true;
  }

  // --------------------------------------------------------------- driving
  void drive_index(const MacPass& p, unsigned k) {
    Word idx[kMaskWords] = {};
    if (p.format == WeightFormat::sparse_2_4) {
      const std::uint8_t* ix = &p.weight_index[std::size_t(k) * p.lanes];
      for (unsigned i = 0; i < p.lanes; ++i) idx[(2 * i) / 64] |= Word(ix[i] & 3u) << ((2 * i) % 64);
    }
    set_bits(m().w_idx, idx);
  }

  void drive_column(const MacPass& p, unsigned k) {
    VM& t = m();
    const std::int16_t* w = &p.weights[std::size_t(k) * p.lanes];
    if (p.precision == Precision::int8) {
      for (unsigned i = 0; i < C; ++i) t.w_data[i] = CData(std::uint8_t(w[i]));
    } else {
      for (unsigned i = 0; i < C / 2; ++i) {
        t.w_data[2 * i] = CData(std::uint16_t(w[i]) & 0xff);
        t.w_data[2 * i + 1] = CData(std::uint16_t(w[i]) >> 8);
      }
    }
    Word zero[(C + 63) / 64];
    nonzero_mask(zero, &p.weight_zero[std::size_t(k) * p.lanes], p.lanes);
    set_bits(t.w_zero, zero);
    drive_index(p, k);
    t.w_col = decltype(t.w_col)(k);
  }

  void drive_vector(const MacPass& p, unsigned v) {
    VM& t = m();
    const std::int16_t* a = &p.acts[std::size_t(v) * p.act_lanes];
    if (p.precision == Precision::int8) {
      for (unsigned l = 0; l < kActLanes; ++l) t.a_data[l] = CData(std::uint8_t(a[l]));
    } else {
      for (unsigned l = 0; l < C; ++l) {
        t.a_data[2 * l] = CData(std::uint16_t(a[l]) & 0xff);
        t.a_data[2 * l + 1] = CData(std::uint16_t(a[l]) >> 8);
      }
    }
    Word zero[kMaskWords];
    nonzero_mask(zero, &p.act_zero[std::size_t(v) * p.act_lanes], p.act_lanes);
    set_bits(t.a_zero, zero);
  }

  // -------------------------------------------------------------- clocking
  std::uint64_t time_ps(double cycles) const {
    return pass_start_ps_ + std::uint64_t(std::llround(cycles * period_ps_));
  }

  /// One clock: inputs (already set) settle with clk low at the cycle start,
  /// the rising edge comes half a period later.
  void tick() {
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

  // ---------------------------------------------------- activity, outputs
  void measure(MacActivity& a, std::uint64_t units) {
    VM& t = m();
    const unsigned issued = count_bits(t.mac_issue);
    const unsigned live = count_bits(t.mac_live);
    a.mac_random += live;
    a.mac_gated += issued - live;
    a.mac_idle += units - issued;
    a.act_toggles += toggles(&t.act_reg[0], act_snap_, kActLanes);
    a.weight_toggles += toggles(&t.w_reg[0][0], w_snap_, kWeightBytes);
  }

  /// Drain cycles: whatever the RTL shows goes to drain_activity(), whose
  /// random, gated and toggle counts must stay zero (cycles counts them).
  void measure_drain() {
    VM& t = m();
    const unsigned issued = count_bits(t.mac_issue);
    const unsigned live = count_bits(t.mac_live);
    drain.cycles += 1;
    drain.mac_random += live;
    drain.mac_gated += issued - live;
    drain.act_toggles += toggles(&t.act_reg[0], act_snap_, kActLanes);
    drain.weight_toggles += toggles(&t.w_reg[0][0], w_snap_, kWeightBytes);
  }

  void collect(MacPass& p, unsigned& out) {
    VM& t = m();
    if (!t.psum_valid) return;
    if (out >= p.vectors) throw std::logic_error("RTL produced a partial sum without a vector");
    std::int64_t* dst = &p.psums[std::size_t(out) * p.atomic_k];
    for (unsigned k = 0; k < K; ++k) dst[k] = sign_extend_psum(t.psum[k]);
    ++out;
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
  std::uint8_t act_snap_[kActLanes] = {};
  std::uint8_t w_snap_[kWeightBytes] = {};
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
