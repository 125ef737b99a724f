#include "accumulator.hpp"

#include <algorithm>
#include <stdexcept>
#include <type_traits>

#include <fmt/format.h>

#include "sdla/multiversion.hpp"

namespace sdla {
namespace {

// dst[v * dst_stride + k] (+)= src[v * src_stride + k] over rows x columns:
// a pass's sums added in place (first: copied in, the group having been
// cleared), in the SRAM's width; int32 adds wrap, as the hardware's would
// (the layer rules keep int8 sums inside int32).
template <class T>
inline void accumulate(T* __restrict dst, std::size_t dst_stride, const std::int64_t* __restrict src,
                       std::size_t src_stride, unsigned rows, unsigned columns, bool first) {
  using U = std::make_unsigned_t<T>;
  for (unsigned v = 0; v < rows; ++v) {
    T* d = dst + v * dst_stride;
    const std::int64_t* s = src + v * src_stride;
    if (first)
      for (unsigned k = 0; k < columns; ++k) d[k] = T(s[k]);
    else
      for (unsigned k = 0; k < columns; ++k) d[k] = T(U(d[k]) + U(s[k]));
  }
}

// One per SRAM width, each with an AVX2 copy where the CPU has it.
SDLA_AVX2_CLONES void add_rows(std::int64_t* dst, std::size_t dst_stride, const std::int64_t* src,
                               std::size_t src_stride, unsigned rows, unsigned columns, bool first) {
  accumulate(dst, dst_stride, src, src_stride, rows, columns, first);
}
SDLA_AVX2_CLONES void add_rows(std::int32_t* dst, std::size_t dst_stride, const std::int64_t* src,
                               std::size_t src_stride, unsigned rows, unsigned columns, bool first) {
  accumulate(dst, dst_stride, src, src_stride, rows, columns, first);
}

}  // namespace

Accumulator::Accumulator(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg)
    : sc_module(name), tsock("tsock"), out_isock("out_isock"), bytes_(cfg.accumulator_bytes), atomic_k_(cfg.atomic_k) {
  tsock.on_transport([this](PsumBlock& b, sc_core::sc_time& d) { transport(b, d); });
}

void Accumulator::shape(unsigned groups, std::size_t entries, Precision p) {
  const std::size_t need = std::size_t(groups) * atomic_k_ * entries;
  if (need > capacity(p))
    throw std::logic_error(fmt::format("{}: {} partial sums exceed its capacity of {}", name(), need, capacity(p)));
  entries_ = entries;
  groups_ = groups;
  narrow_ = accumulator_bytes(p) == 4;
  sums_.assign(narrow_ ? 0 : need, 0);
  narrow_sums_.assign(narrow_ ? need : 0, 0);
  cleared_.assign(groups, false);
}

void Accumulator::add(unsigned group, const MacPass& pass, bool first) {
  const std::size_t at = std::size_t(group) * atomic_k_ * entries_;
  if (narrow_)
    add_rows(&narrow_sums_[at], atomic_k_, pass.psums.data(), pass.atomic_k, pass.vectors, pass.columns, first);
  else
    add_rows(&sums_[at], atomic_k_, pass.psums.data(), pass.atomic_k, pass.vectors, pass.columns, first);
}

void Accumulator::materialize(unsigned group) {
  if (!cleared_.at(group)) return;
  const std::size_t at = std::size_t(group) * atomic_k_ * entries_, n = std::size_t(atomic_k_) * entries_;
  if (narrow_)
    std::fill_n(&narrow_sums_[at], n, 0);
  else
    std::fill_n(&sums_[at], n, 0);
  cleared_[group] = false;
}

const std::int64_t* Accumulator::drained(unsigned group, unsigned entries) {
  const std::size_t at = std::size_t(group) * atomic_k_ * entries_;
  if (!narrow_) return &sums_[at];
  // int32 SRAM: the drained entries, widened for the tile.
  wide_.resize(std::size_t(atomic_k_) * entries);
  std::copy_n(&narrow_sums_[at], wide_.size(), wide_.begin());
  return wide_.data();
}

void Accumulator::transport(PsumBlock& b, sc_core::sc_time& delay) {
  switch (b.op) {
    case PsumBlock::Op::clear:
      cleared_.at(b.group) = true;
      return;
    case PsumBlock::Op::add: {
      const MacPass& pass = *b.pass;
      // The feeder shapes every step from the same plan: a pass that does not fit is a model bug.
      if (b.group >= groups_ || pass.vectors > entries_ || pass.columns > atomic_k_)
        throw std::logic_error(fmt::format("{}: a pass of {} vectors x {} columns into group {} does not fit {} "
                                           "groups of {} sums per column",
                                           name(), pass.vectors, pass.columns, b.group, groups_, entries_));
      // The first pass after a clear that covers the group is copied in: its sums are the totals.
      const bool covers = pass.vectors == entries_ && pass.columns == atomic_k_;
      if (!(cleared_[b.group] && covers)) materialize(b.group);
      add(b.group, pass, cleared_[b.group]);
      cleared_[b.group] = false;
      adds_ += std::uint64_t(pass.columns) * pass.vectors;
      return;
    }
    case PsumBlock::Op::drain: {
      if (b.group >= groups_ || b.entries > entries_ || b.columns > atomic_k_)
        throw std::logic_error(fmt::format("{}: a drain of {} entries x {} columns from group {} beyond {} groups of {}",
                                           name(), b.entries, b.columns, b.group, groups_, entries_));
      materialize(b.group);
      out_ = SumTile{};
      out_.first_channel = b.first_channel;
      out_.columns = b.columns;
      out_.step = b.step;
      out_.per_column = b.entries;
      out_.stride = 1;
      out_.entry_stride = atomic_k_;
      out_.sums = drained(b.group, b.entries);
      out_.group = b.group;
      out_.component = b.component;
      out_.first = b.first;
      out_.final = b.final;
      reads_ += std::uint64_t(b.columns) * b.entries;
      out_isock->b_transport(out_, delay);
      // A Winograd component is drained as soon as it is complete: its sums start again from zero.
      if (b.component >= 0) cleared_[b.group] = true;
      return;
    }
    case PsumBlock::Op::finish:
      out_ = SumTile{};
      out_.end_of_layer = true;
      out_isock->b_transport(out_, delay);
      return;
  }
}

}  // namespace sdla
