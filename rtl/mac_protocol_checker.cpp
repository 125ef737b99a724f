#include "mac_protocol_checker.hpp"

#include <algorithm>

#include "sdla/log.hpp"

namespace sdla {

const char* to_string(MacProtocolRule rule) {
  switch (rule) {
    case MacProtocolRule::load_and_stream: return "load_and_stream";
    case MacProtocolRule::config_changed: return "config_changed";
    case MacProtocolRule::psum_latency: return "psum_latency";
    case MacProtocolRule::reset_leftover: return "reset_leftover";
    case MacProtocolRule::driven_before_reset: return "driven_before_reset";
  }
  return "?";
}

MacProtocolCheckerBase::MacProtocolCheckerBase(const sc_core::sc_module_name& name, std::size_t col_words,
                                               std::size_t lane_words)
    : sc_module(name), clk("clk") {
  for (MacPinSample* s : {&now_, &pass_config_}) {
    s->col_valid.assign(col_words, 0);
    s->lane_valid.assign(lane_words, 0);
  }
  SC_METHOD(on_edge);
  sensitive << clk.pos();
  dont_initialize();
}

std::uint64_t MacProtocolCheckerBase::violations() const {
  std::uint64_t n = 0;
  for (std::uint64_t c : counts_) n += c;
  return n;
}

void MacProtocolCheckerBase::report(MacProtocolRule rule, const std::string& what) {
  ++counts_[unsigned(rule)];
  const std::string text =
      std::string(name()) + ": cycle " + std::to_string(edge_) + ": " + to_string(rule) + ": " + what;
  sc_core::sc_report_handler::report(sc_core::SC_ERROR, log_id::mac_protocol, text.c_str(), __FILE__, __LINE__);
}

std::string MacProtocolCheckerBase::config_difference(const MacPinSample& s) const {
  std::string diff;
  auto field = [&diff](const char* name, bool changed) {
    if (changed) diff += (diff.empty() ? "" : ", ") + std::string(name);
  };
  field("mode_int16", s.mode_int16 != pass_config_.mode_int16);
  field("sparse", s.sparse != pass_config_.sparse);
  field("col_valid", s.col_valid != pass_config_.col_valid);
  field("lane_valid", s.lane_valid != pass_config_.lane_valid);
  return diff;
}

void MacProtocolCheckerBase::begin_pass(const MacPinSample& s, std::uint64_t n) {
  pass_start_ = n;
  pass_reported_ = false;
  pass_config_.mode_int16 = s.mode_int16;
  pass_config_.sparse = s.sparse;
  pass_config_.col_valid = s.col_valid;
  pass_config_.lane_valid = s.lane_valid;
}

void MacProtocolCheckerBase::hold_config(const MacPinSample& s) {
  if (pass_reported_) return;
  const std::string diff = config_difference(s);
  if (diff.empty()) return;
  report(MacProtocolRule::config_changed,
         diff + " changed during the pass that began at cycle " + std::to_string(pass_start_));
  pass_reported_ = true;
}

// A pass: its run of weight loads, its vectors (right after the loads, or on
// their own), until the edge of its last psum_valid. open_until_ is one past
// the last edge of the passes in flight.
void MacProtocolCheckerBase::check_config(const MacPinSample& s, std::uint64_t n) {
  const bool open = n < open_until_;
  if (s.w_load && !prev_w_load_) {  // a new run of loads: a new pass
    if (open) hold_config(s);       // the pass still in flight keeps its configuration
    begin_pass(s, n);
  } else if (s.w_load || s.a_valid) {
    if (open || prev_w_load_)  // more of the pass, or its first vector right after its loads
      hold_config(s);
    else
      begin_pass(s, n);
  } else if (open) {
    hold_config(s);
  }
  if (s.w_load) open_until_ = std::max(open_until_, n + 1);
  if (s.a_valid) open_until_ = std::max(open_until_, n + 1 + rtl_ports::kPsumLatency);
}

void MacProtocolCheckerBase::on_edge() {
  MacPinSample& s = now_;
  sample(s);
  const std::uint64_t n = edge_;
  if (!reset_seen_) {
    if ((s.w_load || s.a_valid) && !driven_reported_) {
      report(MacProtocolRule::driven_before_reset,
             std::string(s.w_load ? "w_load" : "a_valid") + " high before the first reset edge");
      driven_reported_ = true;
    }
  } else {
    // Outputs as edge n - 1 left them.
    if (after_reset_) {
      const std::string bad = nonzero_outputs();
      if (!bad.empty()) report(MacProtocolRule::reset_leftover, "not zero after the reset edge of cycle " +
                                                                     std::to_string(n - 1) + ": " + bad);
    }
    const bool expected = (captured_ >> 3) & 1;  // the vector of edge n - 4
    if (s.psum_valid != expected)
      report(MacProtocolRule::psum_latency,
             expected ? "no psum_valid after cycle " + std::to_string(n - 1) + " for the vector of cycle " +
                            std::to_string(n - 4) + " (latency 3)"
                      : "psum_valid after cycle " + std::to_string(n - 1) + " without a vector at cycle " +
                            (n >= 4 ? std::to_string(n - 4) : std::string("-")) + " (latency 3)");
    // Inputs at edge n.
    if (s.w_load && s.a_valid) report(MacProtocolRule::load_and_stream, "w_load and a_valid both high");
    if (!s.rst) check_config(s, n);
  }
  if (s.rst) {
    reset_seen_ = true;
    open_until_ = 0;  // nothing in flight after a reset
    prev_w_load_ = false;
  } else {
    prev_w_load_ = s.w_load;
  }
  after_reset_ = s.rst;
  captured_ = s.rst ? 0 : ((captured_ << 1) | unsigned(s.a_valid)) & 0xF;
  ++edge_;
}

}  // namespace sdla
