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
#include <optional>
#include <vector>

#include <systemc>

namespace sdla {

class WrittenRanges {
 public:
  /// Forgets every range: job `job` starts writing.
  void restart(std::uint64_t job) {
    job_ = job;
    // The nodes are kept for the next job's ranges: a layer records one per
    // pixel run it writes, and allocating each cost a few % of a run.
    while (!ranges_.empty() && spare_.size() < kSpareNodes) spare_.push_back(ranges_.extract(ranges_.begin()));
    ranges_.clear();
  }
  void add(std::uint64_t addr, std::uint64_t len, sc_core::sc_time done) {
    if (!len) return;
    // A layer writes each byte once; a range starting inside this one is replaced.
    auto it = ranges_.lower_bound(addr);
    while (it != ranges_.end() && it->first < addr + len) it = ranges_.erase(it);
    if (spare_.empty()) {
      ranges_.emplace_hint(it, addr, Range{addr + len, done});
    } else {
      auto node = std::move(spare_.back());
      spare_.pop_back();
      node.key() = addr;
      node.mapped() = Range{addr + len, done};
      ranges_.insert(it, std::move(node));
    }
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
  using Map = std::map<std::uint64_t, Range>;
  static constexpr std::size_t kSpareNodes = 1 << 16;
  std::uint64_t job_ = 0;
  Map ranges_;  // by start address
  std::vector<Map::node_type> spare_;
  sc_core::sc_event written_;
};

}  // namespace sdla
