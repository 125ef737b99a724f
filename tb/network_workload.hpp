/// \file
/// A network's workload: synthetic tensors from a seed (weights pruned as
/// asked), each layer's requantisation calibrated on the golden run, and the
/// golden value of every tensor.
///
/// Calibration (layers and matmuls whose node gives no multiplier/shift):
/// the golden run computes the layer's sums plus bias, takes the 99.9th
/// percentile A of their magnitudes, and picks one shift s and multiplier m
/// with m / 2^s = T / A (m about 2^15), where T is the precision's maximum,
/// or half of it for layers with a fused add (so the sum keeps headroom).
/// Activations then span the int8/int16 range, and ReLU zeroes what is
/// negative: about half. Biases are uniform in +-(standard deviation of the
/// layer's sums) / 4, drawn after the sums.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "host_compiler.hpp"
#include "sdla/network.hpp"
#include "sdla/tensor.hpp"

namespace sdla {

/// Weight pruning of generated networks: none (dense), sparse (magnitude
/// pruning to the densities of facts.md, conv 35% and fc/gemm 15%, stored
/// ZVC), or 2:4 (two of every four channels kept, stored 2:4; layers with
/// fewer than 16 input channels per group, the RGB stem and depthwise
/// filters, stay dense, as NVIDIA's ASP leaves them).
enum class Prune : std::uint8_t { none, sparse, s2_4 };
const char* to_string(Prune p);
/// "none", "sparse", "2:4"; throws std::invalid_argument otherwise.
Prune parse_prune(const std::string& s);

struct NetworkWorkload {
  LoweredNetwork net;                   ///< calibrated, formats as pruned
  Tensor<std::int16_t> input;           ///< the network input
  std::vector<LayerOperands> operands;  ///< one per hardware layer (pool layers: none)
  /// The golden value of every tensor (by tensor index).
  std::vector<Tensor<std::int16_t>> golden;
};

/// Tensors for `net` from `seed`, pruned, calibrated and run on the golden.
/// `winograd` (off: leave the nodes as they are) is asked of every conv2d
/// layer. Throws LayerError/NetworkError for a network the host memory
/// budget cannot hold.
/// `layer_done(i, name)` is called as hardware layer i's golden is computed.
NetworkWorkload generate_network_workload(LoweredNetwork net, std::uint64_t seed, Prune prune,
                                          Winograd winograd = Winograd::off,
                                          const std::function<void(std::size_t, const std::string&)>& layer_done = {});

/// A host operation's output from its input tensors, as the host computes it.
Tensor<std::int16_t> run_host_op(const LoweredNetwork& net, const HostOp& op,
                                 const std::vector<const Tensor<std::int16_t>*>& inputs);

/// The channel extension of input x for `layer` (LowerOptions in sdla/network.hpp).
Tensor<std::int16_t> channel_extended(const Tensor<std::int16_t>& x, const Layer& layer);

/// Fraction of non-zero elements.
double density(const Tensor<std::int16_t>& t);

}  // namespace sdla
