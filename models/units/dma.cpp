#include "dma.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "sdla/log.hpp"

namespace sdla {
namespace {
const char* const kStreamNames[kStreams] = {"input", "weight", "output", "param", "residual"};  // per Stream
}  // namespace

Dma::Dma(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg)
    : sc_module(name),
      load_tsock("load_tsock"),
      write_tsock("write_tsock"),
      ctrl_tsock("ctrl_tsock"),
      pool_tsock("pool_tsock"),
      post_tsock("post_tsock"),
      mem_isock("mem_isock"),
      cycle_(cfg.clock_period_ns(), sc_core::SC_NS) {
  const std::pair<LtTargetSocket<DmaTransfer>*, UnitSide> ports[] = {
      {&load_tsock, UnitSide::load},     {&write_tsock, UnitSide::compute}, {&ctrl_tsock, UnitSide::control},
      {&pool_tsock, UnitSide::compute}, {&post_tsock, UnitSide::compute}};
  for (std::size_t i = 0; i < std::size(ports); ++i) {
    Count& n = side_[int(ports[i].second)];
    tlm::tlm_generic_payload& gp = gp_[i];
    ports[i].first->on_transport([this, &n, &gp](DmaTransfer& t, sc_core::sc_time& d) { transport(t, d, n, gp); });
  }
}

bool Dma::transfer(DmaTransfer& t, tlm::tlm_command cmd, std::uint64_t dram, std::uint8_t* data, std::size_t len,
                   sc_core::sc_time issue, sc_core::sc_time& done, bool gather, Count& count,
                   tlm::tlm_generic_payload& gp) {
  gp.set_command(cmd);
  gp.set_address(dram);
  gp.set_data_ptr(data);
  gp.set_data_length(static_cast<unsigned>(len));
  gp.set_streaming_width(static_cast<unsigned>(len));
  gp.set_byte_enable_ptr(nullptr);
  gp.set_dmi_allowed(false);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = issue;
  mem_isock->b_transport(gp, delay);
  if (gp.is_response_error()) {
    t.ok = false;
    const std::string what = fmt::format("{} of {} bytes at DRAM address {:#x} failed: {}",
                                         cmd == tlm::TLM_READ_COMMAND ? "read" : "write", len, dram,
                                         gp.get_response_string());
    t.error = fmt::format("{}: {}", name(), what);
    log_info(*this, log_id::dma, kLogLayer, "error: {} ({} data)", what, kStreamNames[int(t.tensor)]);
    return false;
  }
  (cmd == tlm::TLM_READ_COMMAND ? count.read_bytes : count.write_bytes) += len;
  count.moved[int(t.tensor)] += len;
  if (!gather) ++count.requests;
  done = std::max(done, delay);
  return true;
}

void Dma::transport(DmaTransfer& t, sc_core::sc_time& delay, Count& count, tlm::tlm_generic_payload& gp) {
  t.ok = true;
  count.dense[int(t.tensor)] += t.dense_bytes;
  auto& runs = t.runs;
  if (t.dir == DmaTransfer::Dir::write) {
    std::size_t bytes = 0;
    for (const DmaRun& r : runs) {
      if (r.buffer > t.data.size() || r.len > t.data.size() - r.buffer) {
        t.ok = false;
        t.error = fmt::format("{}: a write run of {} bytes at offset {} lies beyond its {} bytes of data", name(),
                              r.len, r.buffer, t.data.size());
        return;
      }
      bytes += r.len;
    }
    log_info(*this, log_id::dma, kLogTransfer, "write {}: {} bytes in {} request(s) at {:#x}",
             kStreamNames[int(t.tensor)], bytes, runs.size(), runs.empty() ? 0 : runs[0].dram);
    // Posted writes: every request issues at `delay`; the memory orders them.
    sc_core::sc_time done = delay;
    for (const DmaRun& r : runs)
      if (!transfer(t, tlm::TLM_WRITE_COMMAND, r.dram, t.data.data() + r.buffer, r.len, delay, done, false, count, gp))
        return;
    delay = done;
    return;
  }
  // Merge runs that continue each other in both DRAM and the buffer.
  std::size_t n = 0, bytes = 0;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (n && !runs[i].gather && runs[n - 1].dram + runs[n - 1].len == runs[i].dram &&
        runs[n - 1].buffer + runs[n - 1].len == runs[i].buffer)
      runs[n - 1].len += runs[i].len;
    else if (n++ != i)  // most runs merge with nothing: no self-copy (it defeats store forwarding)
      runs[n - 1] = runs[i];
    bytes += runs[i].len;
  }
  runs.resize(n);
  log_info(*this, log_id::dma, kLogTransfer, "read {}: {} bytes in {} run(s) from {:#x}", kStreamNames[int(t.tensor)],
           bytes, n, n ? runs[0].dram : 0);
  t.data.resize(bytes);
  sc_core::sc_time done = delay, issue = delay;
  std::size_t at = 0;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (i && !runs[i].gather) issue += cycle_;  // one request per cycle
    if (!transfer(t, tlm::TLM_READ_COMMAND, runs[i].dram, t.data.data() + at, runs[i].len, issue, done, runs[i].gather, count, gp))
      return;
    at += runs[i].len;
  }
  delay = done;
}

Counters Dma::counters(const Count* const* sides, std::size_t n) const {
  Count sum;
  for (std::size_t i = 0; i < n; ++i) {
    sum.read_bytes += sides[i]->read_bytes;
    sum.write_bytes += sides[i]->write_bytes;
    sum.requests += sides[i]->requests;
    for (int t = 0; t < kStreams; ++t) {
      sum.moved[t] += sides[i]->moved[t];
      sum.dense[t] += sides[i]->dense[t];
    }
  }
  Counters c{{"read_bytes", sum.read_bytes}, {"write_bytes", sum.write_bytes}, {"requests", sum.requests}};
  for (int t = 0; t < kStreams; ++t) {
    // Residual traffic appears once there has been some (on any side): reports of layers without it stay as they were.
    const bool residual_seen = std::any_of(std::begin(side_), std::end(side_), [&](const Count& s) {
      return s.moved[t] || s.dense[t];
    });
    if (t == int(Stream::residual) && !residual_seen) continue;
    c[std::string(kStreamNames[t]) + "_bytes"] = sum.moved[t];
    c[std::string(kStreamNames[t]) + "_dense_bytes"] = sum.dense[t];
  }
  return c;
}

Counters Dma::activity() const {
  const Count* all[] = {&side_[0], &side_[1], &side_[2]};
  return counters(all, 3);
}

Counters Dma::activity(UnitSide side) const {
  const Count* one[] = {&side_[int(side)]};
  return counters(one, 1);
}

}  // namespace sdla
