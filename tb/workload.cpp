#include "workload.hpp"

#include <random>
#include <stdexcept>

#include <fmt/format.h>

#include "golden/conv.hpp"
#include "golden/pool.hpp"
#include "golden/sparse_formats.hpp"
#include "golden/winograd.hpp"
#include "io/npy.hpp"

namespace sdla {
namespace {

template <class T>
Tensor<T> random_tensor(Shape shape, double density, std::int64_t lo, std::int64_t hi, std::mt19937_64& rng) {
  Tensor<T> t(std::move(shape));
  std::uniform_int_distribution<std::int64_t> value(lo, hi);
  std::bernoulli_distribution keep(density);
  for (auto& v : t.values()) {
    if (!keep(rng)) continue;
    std::int64_t x = 0;
    while (x == 0) x = value(rng);  // a kept element is non-zero, so density is exact in expectation
    v = T(x);
  }
  return t;
}


template <class T>
Tensor<T> narrow(const Tensor<std::int16_t>& t) {
  return Tensor<T>(t.shape(), std::vector<T>(t.values().begin(), t.values().end()));
}

/// Reads an int8 or int16 file (as the layer's precision demands) and checks its shape.
Tensor<std::int16_t> read_operand(const std::string& path, const Layer& l, const std::vector<Shape>& accepted,
                                  const Shape& canonical, const char* what) {
  const npy::DType want = l.precision == Precision::int8 ? npy::DType::i8 : npy::DType::i16;
  const auto header = npy::read_header(path);
  if (header.dtype != want)
    throw std::runtime_error(fmt::format("{}: {} of {} layer '{}' must be {}, the file holds {}", path, what,
                                         to_string(l.precision), l.name, npy::to_string(want),
                                         npy::to_string(header.dtype)));
  bool ok = false;
  std::string options;
  for (const auto& s : accepted) {
    ok = ok || s == header.shape;
    options += (options.empty() ? "" : " or ") + to_string(s);
  }
  if (!ok)
    throw std::runtime_error(fmt::format("{}: {} of layer '{}' has shape {}, expected {}", path, what, l.name,
                                         to_string(header.shape), options));
  if (want == npy::DType::i8) {
    auto t = npy::read<std::int8_t>(path);
    return Tensor<std::int16_t>(canonical, std::vector<std::int16_t>(t.values().begin(), t.values().end()));
  }
  return Tensor<std::int16_t>(canonical, npy::read<std::int16_t>(path).values());
}

}  // namespace

namespace {

std::uint64_t input_elements(const Layer& l) { return std::uint64_t(l.in_channels) * l.in_height * l.in_width; }
std::uint64_t weight_elements(const Layer& l) {
  if (l.op == Op::pool) return 0;  // the pooling unit has no weights
  return std::uint64_t(l.out_channels) * l.group_channels() * l.kernel_h * l.kernel_w;
}
std::uint64_t output_elements(const Layer& l) { return std::uint64_t(l.out_channels) * l.out_height() * l.out_width(); }

/// Bytes of the tensors generate_workload makes for layer `index` (values held
/// as int16, bias as int32), with the copy a 2:4 layer's pruning makes.
std::uint64_t tensor_bytes(const std::vector<Layer>& layers, std::size_t index) {
  const Layer& l = layers[index];
  std::uint64_t b = (index == 0 ? input_elements(l) * 2 : 0) + weight_elements(l) * 2;
  if (l.weight_format == TensorFormat::sparse_2_4) b += weight_elements(l) * 2;
  if (l.post.enabled) b += std::uint64_t(l.out_channels) * 4;
  if (l.residual) b += output_elements(l) * 2;
  return b;
}

}  // namespace

std::vector<RunMemory> run_memory(const AcceleratorConfig& cfg, const std::vector<Layer>& layers) {
  std::vector<RunMemory> out;
  RunMemory m;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Layer& l = layers[i];
    l.validate();  // the sizes below assume a valid layer
    m.tensors += tensor_bytes(layers, i);
    const ImageBytes b = image_bytes(cfg, layers, i);
    m.image += b.image;
    m.scratch = b.scratch;  // transient: one layer's at a time
    // Golden: the int64 output kept, its int16 copy feeding the next layer, the
    // convolution's accumulators (int32 and int64) and narrowed operands; nvdla
    // Winograd also convolves directly to measure its error, and transforms tiles.
    const std::uint64_t out_n = output_elements(l);
    m.golden += out_n * (8 + 2 + 4 + 8) + input_elements(l) * 3 + weight_elements(l) * 2;
    if (l.winograd == Winograd::nvdla) m.golden += out_n * 16 + std::uint64_t(l.in_channels) * l.out_width() * 16 * 8;
    // Outputs read back: the int64 tensor kept; the output region's bytes and,
    // when the next layer reads it compressed, their decompressed copy while unpacking.
    const std::uint64_t lanes = cfg.lanes(l.precision);
    const std::uint64_t region = std::uint64_t(l.out_height()) * l.out_width() * ((l.out_channels + lanes - 1) / lanes) *
                                 lanes * output_element_bytes(l);
    const bool compressed = i + 1 < layers.size() && layers[i + 1].activation_format == TensorFormat::zvc;
    m.outputs += out_n * 8 + (compressed ? 2 : 1) * region;
    out.push_back(m);
  }
  return out;
}

void check_host_memory(const AcceleratorConfig& cfg, const std::vector<Layer>& layers, std::uint64_t budget) {
  const std::vector<RunMemory> totals = run_memory(cfg, layers);
  for (std::size_t i = 0; i < totals.size(); ++i) {
    const RunMemory& m = totals[i];
    if (m.total() <= budget) continue;
    throw LayerError(fmt::format(
        "layer '{}': the run needs {} of host memory{}: generated tensors {}, DRAM image {} (channels padded to {} "
        "lanes; held twice, by the program and by the simulated DRAM), packing scratch {}, golden reference {}, "
        "outputs read back {}; more than the host-memory budget of {}",
        layers[i].name, bytes_text(m.total()), i ? " with the layers before it" : "", bytes_text(m.tensors),
        bytes_text(m.image), cfg.lanes(layers[i].precision), bytes_text(m.scratch), bytes_text(m.golden),
        bytes_text(m.outputs), bytes_text(budget)));
  }
}

Workload generate_workload(const std::vector<Layer>& layers, std::uint64_t seed) {
  if (layers.empty()) throw std::invalid_argument("no layers");
  // Refuse, before allocating any of them, tensors the host cannot hold.
  std::uint64_t bytes = 0;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    bytes += tensor_bytes(layers, i);
    if (bytes > kHostMemoryBudget) {
      const Layer& l = layers[i];
      throw LayerError(fmt::format("layer '{}': generating its tensors ({}weights [{}, {}, {}, {}], held as int16) "
                                   "needs {}{}, more than the host-memory budget of {}",
                                   l.name,
                                   i ? "" : fmt::format("input [{}, {}, {}], ", l.in_channels, l.in_height, l.in_width),
                                   l.out_channels, l.group_channels(), l.kernel_h, l.kernel_w, bytes_text(bytes),
                                   i ? " with the layers before it" : "", bytes_text(kHostMemoryBudget)));
    }
  }
  std::mt19937_64 rng(seed);
  Workload w;
  w.layers = layers;
  const Layer& first = layers.front();
  const std::int64_t in_max = traits(first.precision).max;
  w.input = random_tensor<std::int16_t>({first.in_channels, first.in_height, first.in_width}, first.input_density,
                                        -in_max - 1, in_max, rng);
  for (const Layer& l : layers) {
    LayerOperands ops;
    const std::int64_t m = traits(l.precision).max;
    if (l.op == Op::pool) {  // no weights, no bias
      w.operands.push_back(std::move(ops));
      continue;
    }
    ops.weights = random_tensor<std::int16_t>({l.out_channels, l.group_channels(), l.kernel_h, l.kernel_w},
                                              l.weight_density, -m - 1, m, rng);
    if (l.weight_format == TensorFormat::sparse_2_4) ops.weights = golden::prune_2_4(ops.weights);
    if (l.post.enabled) ops.bias = random_tensor<std::int32_t>({l.out_channels}, 1.0, -4096, 4096, rng);
    // A residual over the full range, so the add saturates now and then.
    if (l.residual)
      ops.residual = random_tensor<std::int16_t>({l.out_channels, l.out_height(), l.out_width()}, 1.0, -m - 1, m, rng);
    w.operands.push_back(std::move(ops));
  }
  return w;
}

Tensor<std::int16_t> read_input(const std::string& path, const Layer& l) {
  const std::size_t C = l.in_channels, H = l.in_height, W = l.in_width;
  std::vector<Shape> accepted{{C, H, W}, {1, C, H, W}};
  if (l.op == Op::fc) accepted.insert(accepted.end(), {{C}, {1, C}});
  return read_operand(path, l, accepted, {C, H, W}, "input");
}

Tensor<std::int16_t> read_weights(const std::string& path, const Layer& l) {
  const std::size_t K = l.out_channels, C = l.group_channels(), R = l.kernel_h, S = l.kernel_w;  // ONNX: C / groups
  std::vector<Shape> accepted{{K, C, R, S}};
  if (l.op == Op::fc) accepted.push_back({K, C});
  return read_operand(path, l, accepted, {K, C, R, S}, "weights");
}

Tensor<std::int32_t> read_bias(const std::string& path, const Layer& l) {
  const auto header = npy::read_header(path);
  if (header.dtype != npy::DType::i32)
    throw std::runtime_error(fmt::format("{}: bias must be int32, the file holds {}", path,
                                         npy::to_string(header.dtype)));
  if (header.shape != Shape{l.out_channels})
    throw std::runtime_error(fmt::format("{}: bias of layer '{}' has shape {}, expected [{}]", path, l.name,
                                         to_string(header.shape), l.out_channels));
  return npy::read<std::int32_t>(path);
}

namespace {

/// Raw accumulators [K, P, Q] of one layer: direct convolution, or the
/// nvdla-mode Winograd golden (exact Winograd equals direct by definition).
Tensor<std::int64_t> accumulators(const Layer& l, const Tensor<std::int16_t>& x, const Tensor<std::int16_t>& wt,
                                  bool as_direct) {
  if (!as_direct && l.uses_winograd() && l.winograd == Winograd::nvdla)
    return golden::conv2d_winograd(l, x, wt, golden::WinogradMode::nvdla, l.winograd_input_shift);
  if (l.precision == Precision::int16) return golden::conv2d(l, x, wt);
  const auto acc = golden::conv2d(l, narrow<std::int8_t>(x), narrow<std::int8_t>(wt));
  return Tensor<std::int64_t>(acc.shape(), std::vector<std::int64_t>(acc.values().begin(), acc.values().end()));
}

/// A pool layer's output by golden::pool, widened to int64.
Tensor<std::int64_t> pooled(const Layer& l, const Tensor<std::int16_t>& x) {
  auto widen = [](const auto& y) {
    return Tensor<std::int64_t>(y.shape(), std::vector<std::int64_t>(y.values().begin(), y.values().end()));
  };
  if (l.precision == Precision::int16) return widen(golden::pool(l, x));
  return widen(golden::pool(l, narrow<std::int8_t>(x)));
}

Tensor<std::int64_t> postprocessed(const Layer& l, Tensor<std::int64_t> acc, const Tensor<std::int32_t>& bias,
                                   const Tensor<std::int16_t>& residual) {
  if (!l.post.enabled) return acc;
  const PrecisionTraits& p = traits(l.precision);
  const std::size_t plane = acc.size() / l.out_channels;
  for (std::size_t i = 0; i < acc.size(); ++i) {
    const unsigned k = unsigned(i / plane);
    const std::int32_t b = bias.values().empty() ? 0 : bias.data()[k];
    const std::int64_t r = l.residual ? residual.data()[i] : 0;  // [K, P, Q] as acc
    acc.data()[i] = golden::requantize_add(acc.data()[i] + b, l.post.multiplier_for(k), l.post.shift_for(k), r, l.post.relu,
                                       p.min, p.max);
  }
  return acc;
}

}  // namespace

GoldenRun golden_run(const Workload& w) {
  GoldenRun run;
  Tensor<std::int16_t> x = w.input;
  for (std::size_t i = 0; i < w.layers.size(); ++i) {
    const Layer l = resolve_winograd(w.layers[i]);
    const Tensor<std::int16_t>& wt = w.operands[i].weights;
    const Tensor<std::int32_t>& bias = w.operands[i].bias;
    const Tensor<std::int16_t>& residual = w.operands[i].residual;
    if (l.residual && residual.shape() != Shape{l.out_channels, l.out_height(), l.out_width()})
      throw LayerError(fmt::format("layer '{}': residual has shape {}, the layer needs [{}, {}, {}]", l.name,
                                   to_string(residual.shape()), l.out_channels, l.out_height(), l.out_width()));
    Tensor<std::int64_t> y = l.op == Op::pool ? pooled(l, x) : postprocessed(l, accumulators(l, x, wt, false), bias, residual);
    std::optional<golden::ErrorStats> error;
    if (l.uses_winograd() && l.winograd == Winograd::nvdla)
      error = golden::error_stats(y, postprocessed(l, accumulators(l, x, wt, true), bias, residual));
    // The next layer reads this output as its [C, H, W] input.
    x = Tensor<std::int16_t>(y.shape(), std::vector<std::int16_t>(y.values().begin(), y.values().end()));
    run.outputs.push_back(std::move(y));
    run.winograd_error.push_back(error);
  }
  return run;
}

std::vector<Tensor<std::int64_t>> golden_outputs(const Workload& w) { return golden_run(w).outputs; }

Tensor<std::int64_t> golden_accumulators(const Layer& layer, const Tensor<std::int16_t>& input,
                                         const Tensor<std::int16_t>& weights) {
  return accumulators(layer, input, weights, false);
}

Tensor<std::int64_t> golden_layer(const Layer& layer, const Tensor<std::int16_t>& input, const LayerOperands& ops) {
  if (layer.op == Op::pool) return pooled(layer, input);
  return postprocessed(layer, accumulators(layer, input, ops.weights, false), ops.bias, ops.residual);
}

void write_output(const std::string& path, const Layer& l, const Tensor<std::int64_t>& y) {
  auto as = [&](auto zero) {
    using T = decltype(zero);
    npy::write(path, Tensor<T>(y.shape(), std::vector<T>(y.values().begin(), y.values().end())));
  };
  if (l.activation_output()) {
    if (l.precision == Precision::int8) as(std::int8_t{}); else as(std::int16_t{});
  } else {
    if (l.precision == Precision::int8) as(std::int32_t{}); else npy::write(path, y);
  }
}

}  // namespace sdla
