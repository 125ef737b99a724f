/// \file
/// What the layer computing now has written to DRAM, and when each write
/// completed: the output writer records every tile's ranges (the logical
/// extent, masks included, also where ZVC writes fewer bytes), and the
/// loader reads the next layer's input ahead as far as it has been written.
///
///     ranges.restart(job);                       // the layer `job` starts computing
///     ranges.add(addr, len, done);               // the writer wrote [addr, addr + len) by `done`
///     if (auto t = ranges.covered(job, a, n))    // all of [a, a + n) written, by *t
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory_resource>
#include <optional>

#include <systemc>

namespace sdla {

class WrittenRanges {
 public:
  /// Forgets every range: job `job` starts writing.
  void restart(std::uint64_t job) {
    job_ = job;
    ranges_.clear();  // the nodes go back to the pool, for the next job's ranges
    after_last_ = ranges_.end();
  }
  void add(std::uint64_t addr, std::uint64_t len, sc_core::sc_time done) {
    if (!len) return;
    // A layer writes each byte once; a range starting inside this one is replaced.
    auto it = first_at_or_after(addr);
    while (it != ranges_.end() && it->first < addr + len) it = ranges_.erase(it);
    ranges_.emplace_hint(it, addr, Range{addr + len, done});
    after_last_ = it;
    last_addr_ = addr;
    written_.notify(sc_core::SC_ZERO_TIME);
  }
  /// When every byte of [addr, addr + len) had been written by job `job`;
  /// nothing while some byte is not (or the ranges are another job's).
  std::optional<sc_core::sc_time> covered(std::uint64_t job, std::uint64_t addr, std::uint64_t len) const {
    if (job != job_) return std::nullopt;
    sc_core::sc_time latest = sc_core::SC_ZERO_TIME;
    for (std::uint64_t at = addr; at < addr + len;) {
      auto it = ranges_.upper_bound(at);
      if (it == ranges_.begin()) return std::nullopt;
      it = std::prev(it);
      if (it->second.end <= at) return std::nullopt;
      latest = std::max(latest, it->second.done);
      at = it->second.end;
    }
    return latest;
  }
  /// Notified at every add().
  const sc_core::sc_event& written_event() const { return written_; }

 private:
  struct Range {
    std::uint64_t end;
    sc_core::sc_time done;
  };
  using Map = std::pmr::map<std::uint64_t, Range>;

  /// The first range starting at or after addr. A tile's runs rise through
  /// memory, a few other tiles' ranges apart: a few steps on from the last
  /// one added, before a search of the whole tree (whose walk misses the cache).
  Map::iterator first_at_or_after(std::uint64_t addr) {
    if (ranges_.empty() || addr <= last_addr_) return ranges_.lower_bound(addr);
    auto it = after_last_;
    for (unsigned step = 0; step < 8; ++step, ++it)
      if (it == ranges_.end() || it->first >= addr) return it;
    return ranges_.lower_bound(addr);
  }

  std::uint64_t job_ = 0;
  std::pmr::unsynchronized_pool_resource pool_;  // node memory, reused from job to job
  Map ranges_{&pool_};                          // by start address
  Map::iterator after_last_ = ranges_.end();    // the range after the last one added
  std::uint64_t last_addr_ = 0;
  sc_core::sc_event written_;
};

}  // namespace sdla
