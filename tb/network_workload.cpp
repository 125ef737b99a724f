#include "network_workload.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

#include "golden/conv.hpp"
#include "golden/host_ops.hpp"
#include "golden/sparse_formats.hpp"
#include "workload.hpp"

namespace sdla {
namespace {

Tensor<std::int16_t> narrowed(const Tensor<std::int64_t>& t) {
  return Tensor<std::int16_t>(t.shape(), std::vector<std::int16_t>(t.values().begin(), t.values().end()));
}

/// Uniform non-zero values in [lo, hi] with probability `density`, else zero.
Tensor<std::int16_t> random_values(Shape shape, double density, std::int64_t lo, std::int64_t hi, std::mt19937_64& rng) {
  Tensor<std::int16_t> t(std::move(shape));
  std::uniform_int_distribution<std::int64_t> value(lo, hi);
  std::bernoulli_distribution keep(density);
  for (auto& v : t.values()) {
    if (density < 1.0 && !keep(rng)) continue;
    std::int64_t x = 0;
    while (x == 0) x = value(rng);
    v = std::int16_t(x);
  }
  return t;
}

/// Keeps the largest `density` of the weights by magnitude, per output channel.
void prune_by_magnitude(Tensor<std::int16_t>& w, double density) {
  const std::size_t K = w.dim(0), per = w.size() / K;
  const std::size_t keep = std::size_t(std::llround(double(per) * density));
  std::vector<std::int16_t> mags(per);
  for (std::size_t k = 0; k < K; ++k) {
    std::int16_t* row = w.data() + k * per;
    if (keep >= per) continue;
    for (std::size_t i = 0; i < per; ++i) mags[i] = std::int16_t(std::abs(row[i]));
    std::nth_element(mags.begin(), mags.begin() + std::ptrdiff_t(per - keep - 1 + (keep == 0)), mags.end());
    const std::int16_t cut = keep == 0 ? std::numeric_limits<std::int16_t>::max() : mags[per - keep - 1];
    // Strictly above the cut: ties at the cut are dropped (density at most the target).
    for (std::size_t i = 0; i < per; ++i)
      if (std::abs(row[i]) <= cut) row[i] = 0;
  }
}

/// The 99.9th percentile of |v| over (a sample of) the values, at least 1.
double percentile_magnitude(const std::vector<std::int64_t>& v) {
  const std::size_t step = std::max<std::size_t>(1, v.size() / 200000);
  std::vector<double> mags;
  for (std::size_t i = 0; i < v.size(); i += step) mags.push_back(std::fabs(double(v[i])));
  if (mags.empty()) return 1.0;
  const std::size_t at = std::min(mags.size() - 1, std::size_t(double(mags.size()) * 0.999));
  std::nth_element(mags.begin(), mags.begin() + std::ptrdiff_t(at), mags.end());
  return std::max(1.0, mags[at]);
}

/// m / 2^s = target / a, m about 2^15.
PostOp calibrated(PostOp post, double a, double target) {
  const int s = std::clamp(int(std::ceil(std::log2(a / target))) + 15, 0, 62);
  const double m = std::round(target * std::ldexp(1.0, s) / a);
  post.multiplier = {std::int32_t(std::clamp(m, 1.0, 2147483647.0))};
  post.shift = {std::uint8_t(s)};
  return post;
}

/// Kernel columns folded into channels: w'[k, c*S + s, r, 0] = w[k, c, r, s].
Tensor<std::int16_t> folded_weights(const Tensor<std::int16_t>& w) {
  const std::size_t K = w.dim(0), C = w.dim(1), R = w.dim(2), S = w.dim(3);
  Tensor<std::int16_t> out({K, C * S, R, 1});
  for (std::size_t k = 0; k < K; ++k)
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t r = 0; r < R; ++r)
        for (std::size_t s = 0; s < S; ++s) out.at({k, c * S + s, r, 0}) = w.at({k, c, r, s});
  return out;
}

}  // namespace

Tensor<std::int16_t> channel_extended(const Tensor<std::int16_t>& x, const Layer& l) {
  const std::size_t C = x.dim(0), H = x.dim(1), W = x.dim(2), S = l.kernel_w, Q = l.out_width();
  Tensor<std::int16_t> out({C * S, H, Q});
  for (std::size_t c = 0; c < C; ++c)
    for (std::size_t s = 0; s < S; ++s)
      for (std::size_t h = 0; h < H; ++h)
        for (std::size_t q = 0; q < Q; ++q) {
          const std::int64_t w = std::int64_t(q * l.stride_w + s) - std::int64_t(l.pad.left);
          if (w >= 0 && w < std::int64_t(W)) out.at({c * S + s, h, q}) = x.at({c, h, std::size_t(w)});
        }
  return out;
}

const char* to_string(Prune p) { return p == Prune::none ? "none" : p == Prune::sparse ? "sparse" : "2:4"; }

Prune parse_prune(const std::string& s) {
  for (Prune p : {Prune::none, Prune::sparse, Prune::s2_4})
    if (s == to_string(p)) return p;
  throw std::invalid_argument("expected none, sparse or 2:4, got '" + s.substr(0, 60) + "'");
}

double density(const Tensor<std::int16_t>& t) {
  if (t.size() == 0) return 0.0;
  return double(std::count_if(t.values().begin(), t.values().end(), [](std::int16_t v) { return v != 0; })) /
         double(t.size());
}

Tensor<std::int16_t> run_host_op(const LoweredNetwork& net, const HostOp& op,
                                 const std::vector<const Tensor<std::int16_t>*>& in) {
  const Node& n = net.net.nodes[op.node];
  const Precision p = net.net.precision;
  if (op.kind == HostOp::Kind::channel_extension) {
    const auto hw = std::find_if(net.layers.begin(), net.layers.end(), [&](const HwLayer& l) { return l.node == op.node; });
    if (hw == net.layers.end()) throw std::logic_error("a channel extension without its layer");
    return channel_extended(*in[0], hw->original);
  }
  switch (n.op) {
    case NodeOp::softmax: return golden::softmax(*in[0], n.group, p);
    case NodeOp::layernorm: return golden::layernorm(*in[0], p);
    case NodeOp::gelu: return golden::gelu(*in[0], p);
    case NodeOp::matmul: {
      Tensor<std::int64_t> y = golden::matmul(*in[0], *in[1], n.heads, n.transpose_b);
      const PrecisionTraits& t = traits(p);
      for (auto& v : y.values())
        v = golden::requantize(v, op.post.multiplier[0], op.post.shift[0], false, t.min, t.max);
      return narrowed(y);
    }
    default: throw std::logic_error(fmt::format("node '{}' is not a host operation", n.name));
  }
}

NetworkWorkload generate_network_workload(LoweredNetwork net, std::uint64_t seed, Prune prune, Winograd winograd,
                                          const std::function<void(std::size_t, const std::string&)>& layer_done) {
  NetworkWorkload w;
  std::mt19937_64 rng(seed);
  const Precision p = net.net.precision;
  const std::int64_t top = traits(p).max;
  const FeatureShape in = net.tensors[0].shape;
  w.input = random_values({in.c, in.h, in.w}, 1.0, -top - 1, top, rng);
  w.golden.resize(net.tensors.size());
  w.golden[0] = w.input;
  w.operands.resize(net.layers.size());
  for (const NetworkStep& step : net.steps) {
    if (step.host) {
      HostOp& op = net.host_ops[step.index];
      std::vector<const Tensor<std::int16_t>*> inputs;
      for (std::size_t t : op.inputs) inputs.push_back(&w.golden[t]);
      if (op.calibrate) {
        const Tensor<std::int64_t> sums = golden::matmul(*inputs[0], *inputs[1], net.net.nodes[op.node].heads,
                                                         net.net.nodes[op.node].transpose_b);
        op.post = calibrated(op.post, percentile_magnitude(sums.values()), double(top));
        op.calibrate = false;
      }
      w.golden[op.output] = run_host_op(net, op, inputs);
      continue;
    }
    HwLayer& hw = net.layers[step.index];
    // A channel-extended layer is generated, calibrated and checked as its node has it.
    const bool folded = hw.folded_columns != 0;
    Layer& l = folded ? hw.original : hw.layer;
    const Tensor<std::int16_t>& x = w.golden[folded ? hw.original_input : hw.input];
    LayerOperands& ops = w.operands[step.index];
    if (hw.residual != SIZE_MAX) ops.residual = w.golden[hw.residual];
    if (l.op != Op::pool) {
      const bool fc_like = l.op == Op::fc || net.net.nodes[hw.node].op != NodeOp::conv2d;
      double keep = l.weight_density;
      if (prune == Prune::sparse) {
        keep = std::min(keep, fc_like ? 0.15 : 0.35);  // facts.md: fc 10-20%, conv 30-40%
        l.weight_format = TensorFormat::zvc;
      }
      ops.weights = random_values({l.out_channels, l.group_channels(), l.kernel_h, l.kernel_w}, 1.0, -top - 1, top, rng);
      if (keep < 1.0) prune_by_magnitude(ops.weights, keep);
      // As NVIDIA's ASP does, 2:4 skips layers too narrow for it: the RGB stem and
      // depthwise filters (fewer than 16 channels per group) stay dense.
      if (prune == Prune::s2_4 && l.group_channels() >= 16) {
        l.weight_format = TensorFormat::sparse_2_4;
        try {
          l.validate();
          ops.weights = golden::prune_2_4(ops.weights);
        } catch (const LayerError&) {
          l.weight_format = TensorFormat::dense;  // groups straddling a 2:4 group of four stay dense
        }
      }
      if (winograd != Winograd::off && l.op == Op::conv2d && !folded) l.winograd = winograd;
      l = resolve_winograd(l);
      const Tensor<std::int64_t> acc = golden_accumulators(l, x, ops.weights);
      // Bias: a quarter of the sums' spread, per channel.
      double sq = 0.0;
      for (std::int64_t v : acc.values()) sq += double(v) * double(v);
      const double spread = std::sqrt(sq / double(std::max<std::size_t>(1, acc.size())));
      const std::int64_t b = std::min<std::int64_t>(std::int64_t(spread / 4), std::numeric_limits<std::int32_t>::max());
      ops.bias = Tensor<std::int32_t>({l.out_channels});
      std::uniform_int_distribution<std::int64_t> bias(-b, b);
      for (auto& v : ops.bias.values()) v = std::int32_t(bias(rng));
      if (hw.calibrate) {
        std::vector<std::int64_t> sums(acc.values());
        const std::size_t plane = sums.size() / l.out_channels;
        for (std::size_t i = 0; i < sums.size(); ++i) sums[i] += ops.bias.data()[i / plane];
        l.post = calibrated(l.post, percentile_magnitude(sums), l.residual ? double(top) / 2 : double(top));
        hw.calibrate = false;
      }
    }
    w.golden[hw.output] = narrowed(golden_layer(l, x, ops));
    if (folded) {
      hw.layer.post = l.post;
      hw.layer.weight_format = l.weight_format;
      ops.weights = folded_weights(ops.weights);
    }
    if (layer_done) layer_done(step.index, l.name);
  }
  w.net = std::move(net);
  return w;
}

}  // namespace sdla
