#include "feeder.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace sdla {
namespace {

Counters counters(const MacActivity& a) {
  return {{"cycles", a.cycles},           {"mac_random", a.mac_random},   {"mac_gated", a.mac_gated},
          {"mac_idle", a.mac_idle},       {"act_toggles", a.act_toggles}, {"weight_toggles", a.weight_toggles}};
}

const char* status_text(MacStatus s) {
  switch (s) {
    case MacStatus::bad_metadata: return "invalid 2:4 metadata";
    case MacStatus::model_mismatch: return "RTL and C++ model disagree";
    default: return "malformed request";
  }
}

}  // namespace

Feeder::Feeder(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg)
    : sc_module(name), dec_isock("dec_isock"), feed_isock("feed_isock"), acc_isock("acc_isock"), loaded("loaded"),
      released("released"), cfg_(cfg) {}

void Feeder::run_layer(const Layer& layer, const TilePlan& plan, std::uint64_t job) {
  layer_ = layer;
  plan_ = plan;
  const unsigned rows = plan.rows_per_tile, cols = plan.cols_per_tile;
  const unsigned max_vectors = plan.winograd == Winograd::off ? rows * cols : unsigned(TilePlan::tiles(rows, cols));
  feed_.pass.configure(cfg_, plan.pass_precision,
                       layer.weight_format == TensorFormat::sparse_2_4 ? WeightFormat::sparse_2_4 : WeightFormat::dense,
                       max_vectors);
  feed_.winograd = plan.winograd != Winograd::off;
  feed_.quantize = plan.winograd == Winograd::nvdla;
  feed_.input_shift = layer.winograd_input_shift;
  feed_.tile_lanes = plan.lanes;
  tail_vectors_ = 0;  // configure() and a Winograd layer's transform leave act_zero as they like
  if (feed_.winograd) {
    feed_.inputs.assign(std::size_t(max_vectors) * 4 * plan.lanes, 0);
    feed_.input_zero.assign(feed_.inputs.size(), 1);
  }
  batch_.has_meta = false;
  batch_.granule = plan.granule;
  batch_.mask_bytes = plan.mask_bytes;

  for (std::size_t i = 0; i < plan.step_count(); ++i) {
    SlotLoad ld = loaded->read();
    while (ld.job != job) ld = loaded->read();  // what an aborted layer had loaded ahead
    if (ld.error) std::rethrow_exception(ld.error);  // the loader's DmaError or TilingError
    sc_core::sc_time local = sc_core::SC_ZERO_TIME;
    compute_step(ld, local);
    wait(local);
    released->write(ld.slot);
  }
  // The layer ends when its last output write has completed.
  acc_op_.op = PsumBlock::Op::finish;
  sc_core::sc_time writes = sc_core::SC_ZERO_TIME;
  acc_isock->b_transport(acc_op_, writes);
  wait(writes);
}

void Feeder::compute_step(const SlotLoad& ld, sc_core::sc_time& local) {
  const TileStep& s = ld.step;
  const bool split_c = plan_.split_c();
  for (unsigned kg = s.kg0; kg < s.kg1; ++kg) {
    const unsigned group = split_c ? kg - s.kg0 : 0;
    if (s.first_c) {
      acc_op_.op = PsumBlock::Op::clear;
      acc_op_.group = group;
      acc_isock->b_transport(acc_op_, local);
    }
    if (plan_.winograd == Winograd::off) {
      for (unsigned u = s.u0; u < s.u1; ++u) {
        wait_for_block(ld, kg, u, local);
        direct_unit(ld, kg, u, group, local);
      }
      if (s.last_c) drain(ld, kg, group, -1, local);
      continue;
    }
    // Winograd: component by component, each over every channel unit, so
    // the accumulator holds one component's products at a time.
    for (unsigned comp = 0; comp < 16; ++comp) {
      for (unsigned u = s.u0; u < s.u1; ++u) {
        if (comp == 0) wait_for_block(ld, kg, u, local);
        winograd_unit(ld, kg, u, comp, group, local);
      }
      drain(ld, kg, group, int(comp), local);
    }
  }
}

void Feeder::wait_for_block(const SlotLoad& ld, unsigned kg, unsigned u, sc_core::sc_time& local) {
  // A pass starts as soon as its own block of data is in.
  const TileStep& s = ld.step;
  const sc_core::sc_time need = ld.ready_at[std::size_t(kg - s.kg0) * (s.u1 - s.u0) + (u - s.u0)];
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  if (need > now + local) local = need - now;
}

void Feeder::drain(const SlotLoad& ld, unsigned kg, unsigned group, int component, sc_core::sc_time& local) {
  const TileStep& s = ld.step;
  const bool final = s.last_c && (component < 0 || component == 15);
  sc_core::sc_time writes = local;
  if (final) {
    // Catch up with the array before writing: the DRAM serves requests in
    // the order they arrive, and a write booked ahead in time would queue
    // the loader's next reads behind it.
    wait(local);
    local = writes = sc_core::SC_ZERO_TIME;
  }
  acc_op_.op = PsumBlock::Op::drain;
  acc_op_.group = group;
  acc_op_.first_channel = kg * cfg_.atomic_k;
  acc_op_.columns = group_columns(layer_, cfg_, kg);
  acc_op_.step = s;
  acc_op_.entries = unsigned(component < 0 ? s.pixels() : TilePlan::tiles(s.p1 - s.p0, s.q1 - s.q0));
  acc_op_.component = component;
  acc_op_.first = s.first_c && component == 0;
  acc_op_.final = final;
  acc_isock->b_transport(acc_op_, writes);  // the writes go on behind the array
}

void Feeder::issue(unsigned group, sc_core::sc_time& local) {
  MacPass& pass = feed_.pass;
  feed_isock->b_transport(feed_, local);
  if (pass.status != MacStatus::ok)
    throw MacArrayError(
        fmt::format("MAC array rejected pass {} of layer '{}' ({})", passes_, layer_.name, status_text(pass.status)));
  mac_total_ += pass.activity;
  if (pass.has_reference) reference_total_ += pass.reference;
  ++passes_;
  acc_op_.op = PsumBlock::Op::add;
  acc_op_.group = group;
  acc_op_.pass = &pass;
  acc_isock->b_transport(acc_op_, local);
}

void Feeder::add_reads(std::size_t& n, const AtomRef* atoms, unsigned count, unsigned lanes, std::uint32_t dst,
                       std::uint32_t stride, unsigned element_bytes) {
  const std::uint64_t bytes = std::uint64_t(lanes) * element_bytes;
  for (unsigned i = 0; i < count; ++i, dst += stride) {
    const AtomRef& ref = atoms[i];
    if (n && ref.mask == AtomRef::kNoMask) {
      AtomRead& last = batch_.reads[n - 1];
      if (last.ref.mask == AtomRef::kNoMask && last.lanes == lanes && (last.count == 1 || last.dst_stride == stride) &&
          last.ref.values + last.count * bytes == ref.values && last.dst + std::uint64_t(last.count) * stride == dst) {
        last.dst_stride = stride;
        ++last.count;
        continue;
      }
    }
    if (n == batch_.reads.size()) batch_.reads.emplace_back();
    batch_.reads[n++] = AtomRead{ref, lanes, dst, 1, 0};
  }
}

void Feeder::expand(std::size_t base, Precision p, std::int16_t* values, std::uint8_t* zero) {
  batch_.base = base;
  batch_.precision = p;
  batch_.values = values;
  batch_.zero = zero;
  sc_core::sc_time none = sc_core::SC_ZERO_TIME;  // decompression is part of the buffer read
  dec_isock->b_transport(batch_, none);
  batch_.has_meta = false;
}

void Feeder::direct_unit(const SlotLoad& ld, unsigned kg, unsigned u, unsigned group, sc_core::sc_time& local) {
  for (unsigned r = 0; r < layer_.kernel_h; ++r)
    for (unsigned c = 0; c < layer_.kernel_w; ++c) {
      fill_weights(ld, kg, u, std::size_t(r) * layer_.kernel_w + c);
      fill_activations(ld, u, r, c);
      issue(group, local);
    }
}

void Feeder::fill_weights(const SlotLoad& ld, unsigned kg, unsigned u, std::size_t pos) {
  MacPass& pass = feed_.pass;
  const TileStep& s = ld.step;
  const unsigned cols = group_columns(layer_, cfg_, kg), lanes = pass.lanes;
  const std::size_t rs = plan_.positions;
  const SlotLayout& layout = ld.layout;
  const std::size_t index = std::size_t(kg - s.kg0) * (s.u1 - s.u0) + (u - s.u0);
  pass.columns = cols;
  std::size_t n = 0;
  for (unsigned k = 0; k < cols; ++k) {
    AtomRef ref;
    if (plan_.weight_zvc)
      ref = layout.zvc_weights[layout.zvc_first[index] + pos * cols + k];
    else
      ref.values = std::uint32_t(layout.chunk[index] + (pos * cols + k) * plan_.atom_bytes);
    add_reads(n, &ref, 1, lanes, k * lanes, lanes, element_bytes(plan_.pass_precision));
  }
  batch_.reads.resize(n);
  if (plan_.meta_col_bytes) {
    // 2:4 metadata lies after the chunk's values, in the same block order.
    batch_.has_meta = true;
    batch_.meta_addr = ld.base + layout.chunk[index] + rs * cols * plan_.atom_bytes + pos * cols * plan_.meta_col_bytes;
    batch_.meta_col_bytes = plan_.meta_col_bytes;
    batch_.columns = cols;
    batch_.lanes = lanes;
    batch_.index = pass.weight_index.data();
  }
  expand(ld.base, plan_.pass_precision, pass.weights.data(), pass.weight_zero.data());
}

const AtomRef* Feeder::input_atom(const SlotLoad& ld, long h, long w, unsigned u, unsigned j) const {
  const TileStep& s = ld.step;
  if (h < long(s.h0) || w < long(s.w0) || h >= long(s.h1) || w >= long(s.w1)) return nullptr;  // padding
  const std::size_t window_h = s.h1 - s.h0, window_w = s.w1 - s.w0;
  return &ld.layout.input[(((u - s.u0) * window_h + (std::size_t(h) - s.h0)) * window_w + (std::size_t(w) - s.w0)) *
                              plan_.unit_atoms + j];
}

void Feeder::fill_activations(const SlotLoad& ld, unsigned u, unsigned r, unsigned c) {
  MacPass& pass = feed_.pass;
  const TileStep& s = ld.step;
  const unsigned lanes = pass.lanes, bus = pass.act_lanes;
  const unsigned unit_lanes = lanes * plan_.unit_atoms;
  // Lanes past the layer's channels (the last unit's missing atom, padding channels) are not issued.
  pass.lanes_valid = std::min(unit_lanes, layer_.in_channels - u * unit_lanes);
  pass.vectors = s.pixels();
  if (tail_from_ != pass.lanes_valid) tail_from_ = pass.lanes_valid, tail_vectors_ = 0;
  for (; tail_vectors_ < pass.vectors; ++tail_vectors_) {
    std::uint8_t* zero = &pass.act_zero[std::size_t(tail_vectors_) * bus];
    std::fill(zero + pass.lanes_valid, zero + bus, 1);
  }
  // Reads written in place (a pass reads hundreds of atoms, most of them in
  // rows that join into runs), then cut to those in use.
  const unsigned atoms = (pass.lanes_valid + lanes - 1) / lanes, eb = element_bytes(layer_.precision);
  std::size_t n = 0;
  unsigned v = 0;
  for (unsigned p = s.p0; p < s.p1; ++p) {
    const long h = long(p) * layer_.stride_h + r - long(layer_.pad.top);
    for (unsigned q = s.q0; q < s.q1;) {
      const long w = long(q) * layer_.stride_w + c - long(layer_.pad.left);
      const std::uint32_t dst = v * bus;
      if (h < 0 || w < 0 || h >= long(layer_.in_height) || w >= long(layer_.in_width)) {
        // Padding: zero lines set, nothing read.
        std::fill(&pass.acts[dst], &pass.acts[dst] + unit_lanes, 0);
        std::fill(&pass.act_zero[dst], &pass.act_zero[dst] + pass.lanes_valid, 1);
        ++q, ++v;
        continue;
      }
      if (plan_.unit_atoms == 1 && layer_.stride_w == 1) {
        // The row's pixels in the image, whose atoms lie in a row of the slot's layout.
        const unsigned count = unsigned(std::min({long(s.q1 - q), long(layer_.in_width) - w, long(s.w1) - w}));
        add_reads(n, input_atom(ld, h, w, u, 0), count, pass.lanes_valid, dst, bus, eb);
        q += count, v += count;
        continue;
      }
      for (unsigned j = 0; j < atoms; ++j)
        add_reads(n, input_atom(ld, h, w, u, j), 1, std::min(lanes, pass.lanes_valid - j * lanes), dst + j * lanes,
                  lanes, eb);
      ++q, ++v;
    }
  }
  batch_.reads.resize(n);
  expand(ld.base, layer_.precision, pass.acts.data(), pass.act_zero.data());
}

void Feeder::fill_winograd_inputs(const SlotLoad& ld, unsigned u, unsigned comp, unsigned lanes) {
  const TileStep& s = ld.step;
  const unsigned tiles_w = (s.q1 - s.q0 + 1) / 2, tiles = feed_.pass.vectors, stride = feed_.tile_lanes;
  const unsigned* rows = kWinogradInputRows[comp / 4];
  const unsigned* cols = kWinogradInputRows[comp % 4];
  std::fill(feed_.input_zero.begin(), feed_.input_zero.begin() + std::ptrdiff_t(tiles) * 4 * stride, 1);
  std::fill(feed_.inputs.begin(), feed_.inputs.begin() + std::ptrdiff_t(tiles) * 4 * stride, 0);
  batch_.reads.clear();
  for (unsigned t = 0; t < tiles; ++t) {
    const long h0 = long(s.p0 + 2 * (t / tiles_w)) - long(layer_.pad.top);
    const long w0 = long(s.q0 + 2 * (t % tiles_w)) - long(layer_.pad.left);
    for (unsigned c = 0; c < 4; ++c)
      // Inputs of a partial tile beyond the output lie outside the image: zero lines.
      if (const AtomRef* ref = input_atom(ld, h0 + rows[c / 2], w0 + cols[c % 2], u, 0))
        batch_.reads.push_back({*ref, lanes, (t * 4 + c) * stride});
  }
  expand(ld.base, layer_.precision, feed_.inputs.data(), feed_.input_zero.data());
}

void Feeder::winograd_unit(const SlotLoad& ld, unsigned kg, unsigned u, unsigned comp, unsigned group,
                           sc_core::sc_time& local) {
  MacPass& pass = feed_.pass;
  const TileStep& s = ld.step;
  const unsigned unit_lanes = std::min(plan_.lanes, layer_.in_channels - u * plan_.lanes);
  pass.vectors = unsigned(TilePlan::tiles(s.p1 - s.p0, s.q1 - s.q0));
  feed_.component = comp;
  fill_winograd_inputs(ld, u, comp, unit_lanes);
  // Exact Winograd of int8 runs on the int16 lanes: each atom in halves.
  for (unsigned half = 0; half < plan_.halves && half * pass.lanes < unit_lanes; ++half) {
    pass.lanes_valid = std::min(pass.lanes, unit_lanes - half * pass.lanes);
    feed_.lane_offset = half * pass.lanes;
    fill_weights(ld, kg, u, std::size_t(half) * 16 + comp);
    issue(group, local);
  }
}

Counters Feeder::mac_activity() const {
  Counters c = counters(mac_total_);
  c["passes"] = passes_;
  return c;
}

Counters Feeder::mac_reference_activity() const {
  return reference_total_ == MacActivity{} ? Counters{} : counters(reference_total_);
}

}  // namespace sdla
