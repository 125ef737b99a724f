#include "dma.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace sdla {

Dma::Dma(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg)
    : sc_module(name), mem_isock("mem_isock"), cycle_(cfg.clock_period_ns(), sc_core::SC_NS) {

}

sc_core::sc_time Dma::transfer(tlm::tlm_command cmd, std::uint64_t dram, std::uint8_t* data, std::size_t len,
                               sc_core::sc_time issue, Stream tensor, bool gather) {
  tlm::tlm_generic_payload gp;
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
  if (gp.is_response_error())
    throw DmaError(fmt::format("{}: {} of {} bytes at DRAM address {:#x} failed: {}", name(),
                               cmd == tlm::TLM_READ_COMMAND ? "read" : "write", len, dram,
                               gp.get_response_string()));
  (cmd == tlm::TLM_READ_COMMAND ? read_bytes_ : write_bytes_) += len;
  moved_[int(tensor)] += len;
  if (!gather) ++requests_;
  return delay;
}

sc_core::sc_time Dma::load(std::vector<DmaRun>& runs, UnifiedBuffer& buffer, Stream tensor,
                           sc_core::sc_time offset) {
  // Merge runs that continue each other in both DRAM and the buffer.
  std::size_t n = 0;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (n && !runs[i].gather && runs[n - 1].dram + runs[n - 1].len == runs[i].dram &&
        runs[n - 1].buffer + runs[n - 1].len == runs[i].buffer)
      runs[n - 1].len += runs[i].len;
    else
      runs[n++] = runs[i];
  }
  runs.resize(n);

  sc_core::sc_time done = offset, issue = offset;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const DmaRun& run = runs[i];
    if (i && !run.gather) issue += cycle_;  // one request per cycle
    staging_.resize(run.len);
    done = std::max(done, transfer(tlm::TLM_READ_COMMAND, run.dram, staging_.data(), run.len, issue, tensor, run.gather));
    buffer.write(run.buffer, staging_.data(), run.len);
  }
  return done;
}

sc_core::sc_time Dma::read(std::uint64_t dram, std::uint8_t* dst, std::size_t len) {
  note_dense(Stream::param, len);
  return transfer(tlm::TLM_READ_COMMAND, dram, dst, len, sc_core::SC_ZERO_TIME, Stream::param);
}

sc_core::sc_time Dma::write(std::uint64_t dram, const std::uint8_t* src, std::size_t len, Stream tensor,
                            sc_core::sc_time offset) {
  return transfer(tlm::TLM_WRITE_COMMAND, dram, const_cast<std::uint8_t*>(src), len, offset, tensor);
}

Counters Dma::activity() const {
  Counters c{{"read_bytes", read_bytes_}, {"write_bytes", write_bytes_}, {"requests", requests_}};
  const char* const names[] = {"input", "weight", "output", "param"};
  for (int t = 0; t < 4; ++t) {
    c[std::string(names[t]) + "_bytes"] = moved_[t];
    c[std::string(names[t]) + "_dense_bytes"] = dense_[t];
  }
  return c;
}

}  // namespace sdla
