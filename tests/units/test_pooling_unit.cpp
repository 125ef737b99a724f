// Unit bench of the pooling unit (models/units/pooling_unit.hpp), alone: a
// stub controller sends PoolJobs, a stub DMA serves the unit's reads from a
// byte array and records its writes. Checked against the golden pooling and
// against what the unit's contract says it moves and counts:
//  * outputs bit-exact, the padding channels of each output pixel untouched;
//  * input rows read once each, whole ([W][Cp]), one request per row, only
//    those some window needs; one write per output row when the channels
//    fill the atoms, else one per pixel;
//  * counters from first principles (pool_element_ops, atoms in and out);
//  * timing: with an instant DMA the layer takes exactly its compute cycles,
//    atoms * (window elements) per output row; with a slow one the rows of
//    output row p + 1 are fetched while row p computes (double-buffered),
//    and each window row is used as soon as it has arrived.
#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "golden/pool.hpp"
#include "layers.hpp"
#include "pooling_unit.hpp"
#include "seed.hpp"
#include "unit_bench.hpp"

namespace sdla {
namespace {

using sc_core::sc_time;
using test::pool_layer;

constexpr std::uint8_t kSentinel = 0xA5;  // what the output region holds before the layer

struct Bench {
  AcceleratorConfig cfg;
  PoolingUnit pool;
  test::Source<PoolJob> controller{"controller"};
  std::vector<std::uint8_t> memory;
  std::vector<DmaTransfer> reads, writes;
  sc_time read_latency = sc_core::SC_ZERO_TIME;
  test::Sink<DmaTransfer> dma{"dma", [this](DmaTransfer& t, sc_time& d) {
                                t.ok = true;
                                if (t.dir == DmaTransfer::Dir::read) {
                                  t.data.clear();
                                  for (const DmaRun& r : t.runs)
                                    t.data.insert(t.data.end(), memory.begin() + std::ptrdiff_t(r.dram),
                                                  memory.begin() + std::ptrdiff_t(r.dram + r.len));
                                  d += read_latency;
                                  reads.push_back(t);
                                } else {
                                  std::copy(t.data.begin(), t.data.end(), memory.begin() + std::ptrdiff_t(t.runs[0].dram));
                                  writes.push_back(t);
                                }
                              }};
  explicit Bench(const AcceleratorConfig& c) : cfg(c), pool("pooling_unit", c) {
    controller.isock.bind(pool.job_tsock);
    pool.dma_isock.bind(dma.tsock);
  }
};

/// One layer in DRAM: input at `input`, output at `output`, in the [H][W][Cp] layout.
struct Placed {
  Layer layer;
  Tensor<std::int16_t> x;
  LayerDescriptor desc;
  unsigned lanes, atoms, eb;
};

Placed place(Bench& b, const Layer& l, std::mt19937_64& rng) {
  Placed p{l, Tensor<std::int16_t>({l.in_channels, l.in_height, l.in_width}), LayerDescriptor::from_layer(l), 0, 0, 0};
  p.lanes = b.cfg.lanes(l.precision);
  p.atoms = (l.in_channels + p.lanes - 1) / p.lanes;
  p.eb = element_bytes(l.precision);
  const std::int64_t lo = traits(l.precision).min, hi = traits(l.precision).max;
  std::uniform_int_distribution<std::int64_t> v(lo, hi);
  for (auto& e : p.x.values()) e = std::int16_t(rng() % 7 == 0 ? (rng() % 2 ? lo : hi) : v(rng));
  const std::size_t cp = std::size_t(p.atoms) * p.lanes;
  const std::size_t in_bytes = std::size_t(l.in_height) * l.in_width * cp * p.eb;
  const std::size_t out_bytes = std::size_t(l.out_height()) * l.out_width() * cp * p.eb;
  p.desc.input_addr = 0x100;
  p.desc.output_addr = (0x100 + in_bytes + 0xFF) / 0x100 * 0x100 + 0x100;
  b.memory.assign(p.desc.output_addr + out_bytes + 64, 0);
  for (unsigned c = 0; c < l.in_channels; ++c)
    for (unsigned h = 0; h < l.in_height; ++h)
      for (unsigned w = 0; w < l.in_width; ++w) {
        const std::uint16_t e = std::uint16_t(p.x.at({c, h, w}));
        std::uint8_t* at = &b.memory[p.desc.input_addr + ((std::size_t(h) * l.in_width + w) * cp + c) * p.eb];
        at[0] = std::uint8_t(e);
        if (p.eb == 2) at[1] = std::uint8_t(e >> 8);
      }
  std::fill(b.memory.begin() + std::ptrdiff_t(p.desc.output_addr), b.memory.end(), kSentinel);
  return p;
}

std::int64_t element_at(const Bench& b, const Placed& p, unsigned c, unsigned row, unsigned col) {
  const std::size_t cp = std::size_t(p.atoms) * p.lanes;
  const std::uint8_t* at = &b.memory[p.desc.output_addr + ((std::size_t(row) * p.layer.out_width() + col) * cp + c) * p.eb];
  return p.eb == 1 ? std::int64_t(std::int8_t(at[0])) : std::int64_t(std::int16_t(std::uint16_t(at[0] | at[1] << 8)));
}

/// [lo, hi) of the rows of output row o inside the image.
std::pair<long, long> rows_of(const Layer& l, unsigned o) {
  const long first = long(o) * l.stride_h - long(l.pad.top);
  return {std::max(first, 0L), std::min(first + long(l.kernel_h), long(l.in_height))};
}

void check_layer(const AcceleratorConfig& cfg, const Layer& l, std::uint64_t seed) {
  SCOPED_TRACE(fmt::format("{} {} C{} {}x{} k{}x{} s{}x{} pad {},{},{},{}", to_string(l.pool_kind),
                           to_string(l.precision), l.in_channels, l.in_height, l.in_width, l.kernel_h, l.kernel_w,
                           l.stride_h, l.stride_w, l.pad.top, l.pad.bottom, l.pad.left, l.pad.right));
  std::mt19937_64 rng(seed);
  Bench b(cfg);
  const Placed p = place(b, l, rng);
  PoolJob job;
  b.controller.run([&](const auto& send) {
    job.layer = l;
    job.desc = p.desc;
    send(job);
  });
  sc_core::sc_start();
  const sc_time cycle(cfg.clock_period_ns(), sc_core::SC_NS);

  // Bit-exact against the golden pooling; padding channels untouched.
  const unsigned P = l.out_height(), Q = l.out_width(), C = l.in_channels;
  Tensor<std::int64_t> want({C, P, Q});
  if (l.precision == Precision::int8) {
    const Tensor<std::int8_t> x8(p.x.shape(), std::vector<std::int8_t>(p.x.values().begin(), p.x.values().end()));
    const auto y = golden::pool(l, x8);
    std::copy(y.values().begin(), y.values().end(), want.values().begin());
  } else {
    const auto y = golden::pool(l, p.x);
    std::copy(y.values().begin(), y.values().end(), want.values().begin());
  }
  for (unsigned c = 0; c < C; ++c)
    for (unsigned r = 0; r < P; ++r)
      for (unsigned q = 0; q < Q; ++q)
        ASSERT_EQ(element_at(b, p, c, r, q), want.at({c, r, q})) << "channel " << c << " pixel " << r << "," << q;
  const std::size_t cp = std::size_t(p.atoms) * p.lanes;
  for (std::size_t px = 0; px < std::size_t(P) * Q; ++px)
    for (std::size_t byte = std::size_t(C) * p.eb; byte < cp * p.eb; ++byte)
      ASSERT_EQ(b.memory[p.desc.output_addr + px * cp * p.eb + byte], kSentinel) << "padding channel written";

  // Reads: whole rows, each needed row once, in order; rows no window needs are never read.
  std::vector<int> read_count(l.in_height, 0), needed(l.in_height, 0);
  for (unsigned o = 0; o < P; ++o)
    for (long h = rows_of(l, o).first; h < rows_of(l, o).second; ++h) needed[std::size_t(h)] = 1;
  const std::size_t row_bytes = std::size_t(l.in_width) * cp * p.eb;
  for (const DmaTransfer& t : b.reads) {
    EXPECT_EQ(t.tensor, Stream::input);
    for (const DmaRun& r : t.runs) {
      ASSERT_EQ((r.dram - p.desc.input_addr) % row_bytes, 0u);
      ASSERT_EQ(r.len % row_bytes, 0u);
      for (std::size_t h = (r.dram - p.desc.input_addr) / row_bytes; h < (r.dram - p.desc.input_addr + r.len) / row_bytes; ++h)
        ++read_count.at(h);
    }
  }
  std::uint64_t rows_read = 0;
  for (unsigned h = 0; h < l.in_height; ++h) {
    EXPECT_EQ(read_count[h], needed[h]) << "input row " << h;
    rows_read += read_count[h];
  }
  // Writes: a row at once when the channels fill the atoms, else the C channels of each pixel.
  EXPECT_EQ(b.writes.size(), C == cp ? std::size_t(P) : std::size_t(P) * Q);
  for (const DmaTransfer& t : b.writes) EXPECT_EQ(t.tensor, Stream::output);

  // Counters.
  const Counters a = b.pool.activity();
  std::uint64_t window_elements = 0;  // summed over output pixels
  for (unsigned r = 0; r < P; ++r)
    for (unsigned q = 0; q < Q; ++q) {
      const long w0 = std::max(0L, long(q) * l.stride_w - long(l.pad.left));
      const long w1 = std::min(long(l.in_width), long(q) * l.stride_w - long(l.pad.left) + long(l.kernel_w));
      window_elements += std::uint64_t(rows_of(l, r).second - rows_of(l, r).first) * std::uint64_t(w1 - w0);
    }
  EXPECT_EQ(a.at("element_ops"), window_elements * C);
  EXPECT_EQ(a.at("element_ops"), pool_element_ops(l));
  EXPECT_EQ(a.at("cycles"), window_elements * p.atoms);
  EXPECT_EQ(a.at("divides"), l.pool_kind == PoolKind::avg ? std::uint64_t(C) * P * Q : 0u);
  EXPECT_EQ(a.at("atoms_read"), rows_read * l.in_width * p.atoms);
  EXPECT_EQ(a.at("atoms_written"), std::uint64_t(P) * Q * p.atoms);
  // An instant DMA: the layer takes exactly its compute cycles.
  EXPECT_EQ(sc_core::sc_time_stamp(), double(a.at("cycles")) * cycle);
  EXPECT_EQ(job.line_buffer_bytes % row_bytes, 0u);
  EXPECT_LE(job.line_buffer_bytes, std::size_t(l.kernel_h + l.stride_h) * row_bytes);
  EXPECT_FALSE(job.tiling.empty());
}

Layer random_pool(std::mt19937_64& rng, Precision p) {
  auto pick = [&](unsigned lo, unsigned hi) { return std::uniform_int_distribution<unsigned>(lo, hi)(rng); };
  Layer l = pool_layer("rand", pick(0, 1) ? PoolKind::max : PoolKind::avg, pick(1, 20), pick(1, 12), pick(1, 12), 1,
                       1, 0, p);
  l.kernel_h = pick(1, 4);
  l.kernel_w = pick(1, 4);
  l.stride_h = pick(1, 5);  // above the kernel too: rows no window needs
  l.stride_w = pick(1, 5);
  l.pad = {pick(0, l.kernel_h - 1), pick(0, l.kernel_h - 1), pick(0, l.kernel_w - 1), pick(0, l.kernel_w - 1)};
  l.in_height = std::max(l.in_height, l.kernel_h);
  l.in_width = std::max(l.in_width, l.kernel_w);
  return l;
}

// Every case is its own sc_start: one process per TEST, so each TEST checks one layer.
class PoolingUnitRandom : public ::testing::TestWithParam<std::tuple<const char*, Precision, int>> {};

TEST_P(PoolingUnitRandom, BitExactMovesAndCounts) {
  const auto [preset, precision, index] = GetParam();
  std::mt19937_64 rng(test::seed(5100) + std::uint64_t(index) * 7919 + (precision == Precision::int16 ? 1 : 0));
  const Layer l = random_pool(rng, precision);
  check_layer(AcceleratorConfig::preset(preset), l, rng());
}

INSTANTIATE_TEST_SUITE_P(Layers, PoolingUnitRandom,
                         ::testing::Combine(::testing::Values("small", "full"),
                                            ::testing::Values(Precision::int8, Precision::int16),
                                            ::testing::Range(0, 6)));

TEST(PoolingUnit, ResNet50MaxPoolSmallChannels) {
  // The shape of ResNet-50's pool1 at 16 channels and 28x28: 3x3, stride 2, padding 1.
  check_layer(AcceleratorConfig::preset("small"), pool_layer("pool1", PoolKind::max, 16, 28, 28, 3, 2, 1), test::seed(5101));
}

TEST(PoolingUnit, GlobalAveragePool) {
  check_layer(AcceleratorConfig::preset("full"), test::global_avgpool("gap", 70, 7, 7, Precision::int16),
              test::seed(5102));
}

// A DMA read (one per input row) takes L = 300 cycles from issue; output row
// p's window rows are taken in order, each as soon as it has arrived, at
// atoms * (sum over q of cols_in(q)) cycles a row. Row 0's rows are requested
// at the start, and row p + 1's new rows when row p starts computing.
// Writes are instant here.
TEST(PoolingUnit, FetchesTheNextRowsWhileComputing) {
  const auto cfg = AcceleratorConfig::preset("small");
  const Layer l = pool_layer("p", PoolKind::avg, 16, 12, 40, 3, 2, 1);  // 2 atoms
  std::mt19937_64 rng(test::seed(5103));
  Bench b(cfg);
  b.read_latency = sc_time(300, sc_core::SC_NS);
  const Placed p = place(b, l, rng);
  b.controller.run([&](const auto& send) {
    PoolJob job;
    job.layer = l;
    job.desc = p.desc;
    send(job);
  });
  sc_core::sc_start();
  const double L = 300, row = double(p.atoms) * double(pool_window_extent(l, false));
  std::vector<double> arrival(l.in_height, -1);
  long fetched = 0;
  auto request = [&](unsigned o, double now) {
    for (long h = std::max(fetched, rows_of(l, o).first); h < rows_of(l, o).second; ++h) arrival[std::size_t(h)] = now + L;
    fetched = std::max(fetched, rows_of(l, o).second);
  };
  double t = 0;
  request(0, 0);
  for (unsigned o = 0; o < l.out_height(); ++o) {
    if (o + 1 < l.out_height()) request(o + 1, t);
    for (long h = rows_of(l, o).first; h < rows_of(l, o).second; ++h) t = std::max(t, arrival[std::size_t(h)]) + row;
  }
  EXPECT_EQ(sc_core::sc_time_stamp(), sc_time(t, sc_core::SC_NS));
  EXPECT_EQ(b.reads.size(), std::size_t(l.in_height)) << "one request per input row";
  // Compute-bound rows hide the fetches: one latency up front, then at most a few.
  EXPECT_LT(sc_core::sc_time_stamp(), sc_time(double(b.pool.activity().at("cycles")) + 2 * L, sc_core::SC_NS));
}

}  // namespace
}  // namespace sdla
