/// \file
/// The unified buffer: banked on-chip SRAM that holds the tiles the DMA
/// brings in (feature data and weights) until the sequencer consumes them.
/// Banks are interleaved by channel atom (bank = address / atom_bytes mod
/// banks). Accesses outside the capacity are model bugs and throw.
#pragma once

#include <cstdint>
#include <vector>

#include <systemc>

#include "activity.hpp"
#include "sdla/config.hpp"

namespace sdla {

class UnifiedBuffer : public sc_core::sc_module {
 public:
  UnifiedBuffer(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg);

  std::size_t capacity() const { return mem_.size(); }
  void write(std::size_t addr, const std::uint8_t* data, std::size_t len);
  /// Read access for the sequencer: a pointer into the SRAM, counted as read.
  const std::uint8_t* read(std::size_t addr, std::size_t len);
  /// The DMA's view of bytes it has just written (ZVC masks it must size
  /// value transfers by): not an SRAM read, so not counted.
  const std::uint8_t* peek(std::size_t addr, std::size_t len) const {
    check(addr, len, "peek");
    return mem_.data() + addr;
  }
  /// Counters: "read_bytes", "write_bytes".
  Counters activity() const { return {{"read_bytes", read_bytes_}, {"write_bytes", write_bytes_}}; }
  /// Record that `bytes` of the buffer hold live data; peak_bytes() is the
  /// high-water mark since reset_peak().
  void note_occupancy(std::size_t bytes) { peak_ = bytes > peak_ ? bytes : peak_; }
  std::size_t peak_bytes() const { return peak_; }
  void reset_peak() { peak_ = 0; }

 private:
  void check(std::size_t addr, std::size_t len, const char* what) const;
  std::vector<std::uint8_t> mem_;
  std::uint64_t read_bytes_ = 0, write_bytes_ = 0;
  std::size_t peak_ = 0;
};

}  // namespace sdla
