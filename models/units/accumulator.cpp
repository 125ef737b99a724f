#include "accumulator.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "sdla/multiversion.hpp"

namespace sdla {
namespace {

// dst[v * dst_stride + k] += src[v * src_stride + k] over rows x columns: a
// pass's sums added in place, with an AVX2 copy where the CPU has it.
SDLA_AVX2_CLONES void add_rows(std::int64_t* __restrict dst, std::size_t dst_stride, const std::int64_t* __restrict src,
              std::size_t src_stride, unsigned rows, unsigned columns) {
  for (unsigned v = 0; v < rows; ++v)
    for (unsigned k = 0; k < columns; ++k) dst[v * dst_stride + k] += src[v * src_stride + k];
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
  sums_.assign(need, 0);
  cleared_.assign(groups, false);
}

void Accumulator::materialize(unsigned group) {
  if (!cleared_.at(group)) return;
  std::fill(group_sums(group), group_sums(group) + atomic_k_ * entries_, 0);
  cleared_[group] = false;
}

void Accumulator::transport(PsumBlock& b, sc_core::sc_time& delay) {
  switch (b.op) {
    case PsumBlock::Op::clear:
      cleared_.at(b.group) = true;
      return;
    case PsumBlock::Op::add: {
      const MacPass& pass = *b.pass;
      // The feeder shapes every step from the same plan: a pass that does not fit is a model bug.
      if ((std::size_t(b.group) + 1) * atomic_k_ * entries_ > sums_.size() || pass.vectors > entries_ ||
          pass.columns > atomic_k_)
        throw std::logic_error(fmt::format("{}: a pass of {} vectors x {} columns into group {} does not fit {} "
                                           "groups of {} sums per column",
                                           name(), pass.vectors, pass.columns, b.group,
                                           sums_.size() / (std::size_t(atomic_k_) * std::max<std::size_t>(entries_, 1)),
                                           entries_));
      if (cleared_[b.group] && pass.vectors == entries_ && pass.columns == atomic_k_ && pass.atomic_k == atomic_k_) {
        // The first pass after a clear covers the group: its sums are the totals.
        std::copy_n(pass.psums.data(), std::size_t(atomic_k_) * entries_, group_sums(b.group));
        cleared_[b.group] = false;
      } else {
        materialize(b.group);
        add_rows(group_sums(b.group), atomic_k_, pass.psums.data(), pass.atomic_k, pass.vectors, pass.columns);
      }
      adds_ += std::uint64_t(pass.columns) * pass.vectors;
      return;
    }
    case PsumBlock::Op::drain: {
      materialize(b.group);
      out_ = SumTile{};
      out_.first_channel = b.first_channel;
      out_.columns = b.columns;
      out_.step = b.step;
      out_.per_column = b.entries;
      out_.stride = 1;
      out_.entry_stride = atomic_k_;
      out_.sums = group_sums(b.group);
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
