#include "mac_activity_meter.hpp"

#include <cstring>
#include <stdexcept>

#include "popcount.hpp"

namespace sdla {
namespace {

using Word = std::uint64_t;

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

}  // namespace

MacActivityMeter::MacActivityMeter(std::size_t act_bytes, std::size_t weight_bytes)
    : act_snap_(act_bytes, 0), weight_snap_(weight_bytes, 0) {}

void MacActivityMeter::start_from_reset(const MacTaps& t) {
  std::memcpy(act_snap_.data(), t.act, act_snap_.size());
  std::memcpy(weight_snap_.data(), t.weight, weight_snap_.size());
  for (std::uint8_t b : act_snap_)
    if (b) throw std::logic_error("RTL reset left an activation register non-zero");
  for (std::uint8_t b : weight_snap_)
    if (b) throw std::logic_error("RTL reset left a weight register non-zero");
}

void MacActivityMeter::count(MacActivity& a, std::uint64_t units, const MacTaps& t) {
  a.mac_random += t.live;
  a.mac_gated += t.issued - t.live;
  a.mac_idle += units - t.issued;
  a.act_toggles += toggles(t.act, act_snap_.data(), act_snap_.size());
  a.weight_toggles += toggles(t.weight, weight_snap_.data(), weight_snap_.size());
}

void MacActivityMeter::count_drain(MacActivity& drain, const MacTaps& t) {
  drain.cycles += 1;
  drain.mac_random += t.live;
  drain.mac_gated += t.issued - t.live;
  drain.act_toggles += toggles(t.act, act_snap_.data(), act_snap_.size());
  drain.weight_toggles += toggles(t.weight, weight_snap_.data(), weight_snap_.size());
}

}  // namespace sdla
