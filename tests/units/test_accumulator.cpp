// Unit bench of the accumulator (models/units/accumulator.hpp), alone: a stub
// feeder sends PsumBlocks (clear, add a MacPass's partial sums, drain,
// finish) and a stub output transform records the SumTiles. The reference is
// a plain array of sums kept by the test:
//  * random passes (any valid column count, any vector count) add into their
//    group's sums, groups independent; a drain sends exactly the sums;
//  * clear zeroes a group, and only that group;
//  * a Winograd drain (component >= 0) restarts the group's sums from zero,
//    a direct drain (component -1) does not; flags travel with the tile;
//  * the "add" and "read" counters; finish sends an empty end-of-layer tile;
//  * shape() beyond the SRAM's capacity throws.
#include <cstdint>
#include <deque>
#include <random>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "accumulator.hpp"
#include "seed.hpp"
#include "unit_bench.hpp"

namespace sdla {
namespace {

using sc_core::sc_time;

/// A SumTile as received, its sums copied out ([column][entry]).
struct Received {
  SumTile tile;
  std::vector<std::vector<std::int64_t>> sums;
};

struct Bench {
  AcceleratorConfig cfg;
  Accumulator acc;
  test::Source<PsumBlock> feeder{"feeder"};
  std::vector<Received> got;
  test::Sink<SumTile> out{"output_transform", [this](SumTile& t, sc_time&) {
                            Received r{t, {}};
                            if (!t.end_of_layer)
                              for (unsigned k = 0; k < t.columns; ++k) {
                                r.sums.emplace_back();
                                for (unsigned e = 0; e < t.per_column; ++e) r.sums.back().push_back(t.sum(k, e));
                              }
                            r.tile.sums = nullptr;  // valid only during the call
                            got.push_back(std::move(r));
                          }};
  explicit Bench(const std::string& preset) : cfg(AcceleratorConfig::preset(preset)), acc("accumulator", cfg) {
    feeder.isock.bind(acc.tsock);
    acc.out_isock.bind(out.tsock);
  }
};

/// The test's model of the SRAM: [group][column][entry].
using Reference = std::vector<std::vector<std::vector<std::int64_t>>>;

PsumBlock clear(unsigned group) {
  PsumBlock b;
  b.op = PsumBlock::Op::clear;
  b.group = group;
  return b;
}

PsumBlock drain(unsigned group, unsigned first_channel, unsigned columns, unsigned entries, int component = -1) {
  PsumBlock b;
  b.op = PsumBlock::Op::drain;
  b.group = group;
  b.first_channel = first_channel;
  b.columns = columns;
  b.entries = entries;
  b.component = component;
  b.step.kg0 = group;
  b.step.kg1 = group + 1;
  b.step.p0 = 3 * group;
  b.step.p1 = 3 * group + 1;
  b.step.q1 = entries;
  return b;
}

/// A pass of `columns` x `vectors` random partial sums of precision p's range
/// (int8: |psum| < 2^21, int16: < 2^40, as a pass of int16 products can be).
MacPass random_pass(const AcceleratorConfig& cfg, Precision p, unsigned columns, unsigned vectors, std::mt19937_64& rng) {
  MacPass pass;
  pass.configure(cfg, p, WeightFormat::dense, vectors);
  pass.columns = columns;
  pass.vectors = vectors;
  const std::int64_t bound = p == Precision::int8 ? (std::int64_t(1) << 21) : (std::int64_t(1) << 40);
  std::uniform_int_distribution<std::int64_t> d(-bound, bound);
  // Every entry random, the invalid columns too: the accumulator must ignore them.
  for (auto& s : pass.psums) s = d(rng);
  return pass;
}

void add_reference(Reference& ref, unsigned group, const MacPass& pass) {
  for (unsigned k = 0; k < pass.columns; ++k)
    for (unsigned v = 0; v < pass.vectors; ++v) ref[group][k][v] += pass.psum(v, k);
}

void expect_tile(const Received& r, const Reference& ref, const PsumBlock& d, unsigned atomic_k) {
  EXPECT_FALSE(r.tile.end_of_layer);
  EXPECT_EQ(r.tile.group, d.group);
  EXPECT_EQ(r.tile.first_channel, d.first_channel);
  EXPECT_EQ(r.tile.columns, d.columns);
  EXPECT_EQ(r.tile.per_column, d.entries);
  // The SRAM holds a group as [entry][column] of atomic_k columns.
  EXPECT_EQ(r.tile.stride, 1u);
  EXPECT_EQ(r.tile.entry_stride, atomic_k) << "entries lie atomic_k apart in the SRAM";
  EXPECT_EQ(r.tile.component, d.component);
  EXPECT_EQ(r.tile.first, d.first);
  EXPECT_EQ(r.tile.final, d.final);
  EXPECT_EQ(r.tile.step.p0, d.step.p0);
  EXPECT_EQ(r.tile.step.kg0, d.step.kg0);
  EXPECT_EQ(r.tile.step.q1, d.step.q1);
  ASSERT_EQ(r.sums.size(), d.columns);
  for (unsigned k = 0; k < d.columns; ++k)
    for (unsigned v = 0; v < d.entries; ++v)
      ASSERT_EQ(r.sums[k][v], ref[d.group][k][v]) << "group " << d.group << " column " << k << " entry " << v;
}

// Several groups, passes interleaved between them, random column and vector
// counts; each drain must equal the reference, and direct drains keep the sums.
void check_adds(Precision p, std::uint64_t default_seed) {
  std::mt19937_64 rng(test::seed(default_seed));
  Bench b("small");
  const unsigned groups = 3, K = b.cfg.atomic_k;
  const std::size_t entries = 40;
  b.acc.shape(groups, entries, p);
  Reference ref(groups, std::vector<std::vector<std::int64_t>>(K, std::vector<std::int64_t>(entries, 0)));
  std::vector<PsumBlock> drains;
  std::vector<Reference> snapshots;
  std::uint64_t adds = 0, reads = 0;
  std::deque<MacPass> passes;  // kept alive and in place: a block points at its pass
  b.feeder.run([&](const auto& send) {
    for (unsigned g = 0; g < groups; ++g) {
      PsumBlock c = clear(g);
      send(c);
    }
    for (unsigned round = 0; round < 3; ++round) {
      for (unsigned i = 0; i < 30; ++i) {
        const unsigned g = std::uniform_int_distribution<unsigned>(0, groups - 1)(rng);
        const unsigned cols = std::uniform_int_distribution<unsigned>(1, K)(rng);
        const unsigned vecs = std::uniform_int_distribution<unsigned>(1, unsigned(entries))(rng);
        passes.push_back(random_pass(b.cfg, p, cols, vecs, rng));
        PsumBlock a;
        a.op = PsumBlock::Op::add;
        a.group = g;
        a.pass = &passes.back();
        send(a);
        add_reference(ref, g, passes.back());
        adds += std::uint64_t(cols) * vecs;
      }
      // Drain every group (some with fewer columns or entries than it holds).
      for (unsigned g = 0; g < groups; ++g) {
        const unsigned cols = round == 0 ? K : std::uniform_int_distribution<unsigned>(1, K)(rng);
        const unsigned n = round == 0 ? unsigned(entries) : std::uniform_int_distribution<unsigned>(1, unsigned(entries))(rng);
        PsumBlock d = drain(g, 8 * g + round, cols, n);
        d.final = round % 2 == 0;
        send(d);
        drains.push_back(d);
        snapshots.push_back(ref);
        reads += std::uint64_t(cols) * n;
      }
    }
    PsumBlock f;
    f.op = PsumBlock::Op::finish;
    send(f);
  });
  sc_core::sc_start();
  ASSERT_EQ(b.got.size(), drains.size() + 1) << "one tile per drain and one for the finish";
  for (std::size_t i = 0; i < drains.size(); ++i) {
    SCOPED_TRACE(fmt::format("drain {}", i));
    expect_tile(b.got[i], snapshots[i], drains[i], b.cfg.atomic_k);
  }
  EXPECT_TRUE(b.got.back().tile.end_of_layer);
  EXPECT_EQ(b.acc.activity().at("add"), adds);
  EXPECT_EQ(b.acc.activity().at("read"), reads);
}

TEST(Accumulator, AddsAndDrainsInt8) { check_adds(Precision::int8, 3001); }

TEST(Accumulator, AddsAndDrainsInt16) { check_adds(Precision::int16, 3002); }

// clear zeroes its own group and no other, also when drained before any pass.
TEST(Accumulator, ClearZeroesOneGroup) {
  std::mt19937_64 rng(test::seed(3003));
  Bench b("small");
  const unsigned K = b.cfg.atomic_k;
  const std::size_t entries = 10;
  b.acc.shape(2, entries, Precision::int8);
  Reference ref(2, std::vector<std::vector<std::int64_t>>(K, std::vector<std::int64_t>(entries, 0)));
  std::vector<MacPass> passes;
  passes.push_back(random_pass(b.cfg, Precision::int8, K, unsigned(entries), rng));
  passes.push_back(random_pass(b.cfg, Precision::int8, K, unsigned(entries), rng));
  passes.push_back(random_pass(b.cfg, Precision::int8, 3, 4, rng));
  std::vector<PsumBlock> drains;
  b.feeder.run([&](const auto& send) {
    for (unsigned g = 0; g < 2; ++g) {
      PsumBlock c = clear(g);
      send(c);
      PsumBlock a;
      a.op = PsumBlock::Op::add;
      a.group = g;
      a.pass = &passes[g];
      send(a);
    }
    PsumBlock c = clear(0);
    send(c);
    PsumBlock a;
    a.op = PsumBlock::Op::add;
    a.group = 0;
    a.pass = &passes[2];
    send(a);
    for (unsigned g = 0; g < 2; ++g) {
      drains.push_back(drain(g, 0, K, unsigned(entries)));
      send(drains.back());
    }
    // Cleared and drained with no pass in between: zeros, not the old sums.
    PsumBlock again = clear(1);
    send(again);
    drains.push_back(drain(1, 0, K, unsigned(entries)));
    send(drains.back());
  });
  sc_core::sc_start();
  add_reference(ref, 1, passes[1]);  // group 1 keeps its pass
  add_reference(ref, 0, passes[2]);  // group 0 holds only what came after its clear
  ASSERT_EQ(b.got.size(), 3u);
  expect_tile(b.got[0], ref, drains[0], b.cfg.atomic_k);
  expect_tile(b.got[1], ref, drains[1], b.cfg.atomic_k);
  // Columns 3.. and entries 4.. of group 0 are zero after the clear.
  EXPECT_EQ(b.got[0].sums[5], std::vector<std::int64_t>(entries, 0));
  for (unsigned k = 0; k < K; ++k) EXPECT_EQ(b.got[2].sums[k], std::vector<std::int64_t>(entries, 0)) << "column " << k;
}

// A Winograd drain (component >= 0) hands the component's products on and
// starts the group again from zero; first/final travel with the tile.
TEST(Accumulator, WinogradDrainRestartsFromZero) {
  std::mt19937_64 rng(test::seed(3004));
  Bench b("full");
  const unsigned K = b.cfg.atomic_k;
  const std::size_t tiles = 9;
  b.acc.shape(2, tiles, Precision::int8);
  std::vector<MacPass> passes;
  for (unsigned i = 0; i < 16 * 2 + 2; ++i) passes.push_back(random_pass(b.cfg, Precision::int8, K, unsigned(tiles), rng));
  std::vector<PsumBlock> drains;
  std::vector<Reference> want;
  b.feeder.run([&](const auto& send) {
    PsumBlock c = clear(1);
    send(c);
    // Group 1: 16 components, two channel-unit passes each.
    for (unsigned comp = 0; comp < 16; ++comp) {
      Reference ref(2, std::vector<std::vector<std::int64_t>>(K, std::vector<std::int64_t>(tiles, 0)));
      for (unsigned u = 0; u < 2; ++u) {
        PsumBlock a;
        a.op = PsumBlock::Op::add;
        a.group = 1;
        a.pass = &passes[comp * 2 + u];
        send(a);
        add_reference(ref, 1, passes[comp * 2 + u]);
      }
      PsumBlock d = drain(1, 32, K, unsigned(tiles), int(comp));
      d.first = comp == 0;
      d.final = comp == 15;
      send(d);
      drains.push_back(d);
      want.push_back(ref);
    }
    // After the last component the group is zero: a direct drain shows it.
    PsumBlock d = drain(1, 32, K, unsigned(tiles));
    send(d);
    drains.push_back(d);
    want.emplace_back(2, std::vector<std::vector<std::int64_t>>(K, std::vector<std::int64_t>(tiles, 0)));
    // A direct drain does not clear: draining twice gives the same sums.
    PsumBlock a;
    a.op = PsumBlock::Op::add;
    a.group = 1;
    a.pass = &passes[32];
    send(a);
    Reference ref(2, std::vector<std::vector<std::int64_t>>(K, std::vector<std::int64_t>(tiles, 0)));
    add_reference(ref, 1, passes[32]);
    for (int i = 0; i < 2; ++i) {
      PsumBlock again = drain(1, 32, K, unsigned(tiles));
      send(again);
      drains.push_back(again);
      want.push_back(ref);
    }
  });
  sc_core::sc_start();
  ASSERT_EQ(b.got.size(), drains.size());
  for (std::size_t i = 0; i < drains.size(); ++i) {
    SCOPED_TRACE(fmt::format("drain {}", i));
    expect_tile(b.got[i], want[i], drains[i], K);
  }
}

// shape() takes groups x atomic_k x entries sums: up to the capacity and no more.
TEST(Accumulator, ShapeBeyondCapacityThrows) {
  for (const std::string& preset : AcceleratorConfig::preset_names()) {
    SCOPED_TRACE(preset);
    const auto cfg = AcceleratorConfig::preset(preset);
    Accumulator acc(fmt::format("accumulator_{}", preset).c_str(), cfg);
    for (Precision p : {Precision::int8, Precision::int16}) {
      const std::size_t capacity = cfg.accumulator_bytes / accumulator_bytes(p);
      EXPECT_EQ(acc.capacity(p), capacity);
      // int8 sums are int32, int16 sums int64: half as many fit.
      EXPECT_EQ(acc.capacity(Precision::int8), 2 * acc.capacity(Precision::int16));
      const std::size_t per_group = capacity / cfg.atomic_k;
      EXPECT_NO_THROW(acc.shape(1, per_group, p));
      EXPECT_NO_THROW(acc.shape(2, per_group / 2, p));
      EXPECT_THROW(acc.shape(1, per_group + 1, p), std::logic_error);
      EXPECT_THROW(acc.shape(2, per_group / 2 + 1, p), std::logic_error);
    }
  }
}

}  // namespace
}  // namespace sdla
