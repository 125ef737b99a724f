/// \file
/// The host operations of a network (what runs on the CPU between
/// accelerator runs), on [C, H, W] tensors of int8 or int16 values. These
/// functions are the host's implementation and its reference at once.
///
/// Fixed-point scales: an int8 activation x stands for x / 2^4, an int16 one
/// for x / 2^12 (frac_bits). Results are rounded to nearest (ties away from
/// zero, std::lround) and saturated to the precision:
///  * softmax over each group of `group` consecutive channels of a pixel:
///    y = round(max * exp(v_i - max_j v_j) / sum_j exp(v_j - max_j v_j)),
///    max = 127 or 32767 (probabilities scaled to the precision's maximum);
///  * layernorm over the channels of a pixel (gamma 1, beta 0, eps 1e-5):
///    y = round((x - mean) / sqrt(var + eps) * 2^(frac_bits + 1));
///  * gelu: y = round(gelu(x / 2^f) * 2^f), gelu(v) = v (1 + erf(v / sqrt 2)) / 2;
///  * matmul: exact integer sums (int64) per head, then requantised as a
///    layer's post-processing (PostOp rule of sdla/layer.hpp, no ReLU).
#pragma once

#include <cstdint>

#include "sdla/layer.hpp"
#include "sdla/tensor.hpp"

namespace sdla::golden {

/// Fraction bits of the host operations' fixed point: 4 (int8), 12 (int16).
unsigned frac_bits(Precision p);

Tensor<std::int16_t> softmax(const Tensor<std::int16_t>& x, unsigned group, Precision p);
Tensor<std::int16_t> layernorm(const Tensor<std::int16_t>& x, Precision p);
Tensor<std::int16_t> gelu(const Tensor<std::int16_t>& x, Precision p);

/// Token batches a [Ca, 1, M] and b [Cb, 1, N], per head h of `heads`:
///  * transpose_b: y[h*N + n, 0, m] = sum_d a[h*D + d, 0, m] * b[h*D + d, 0, n], D = Ca / heads;
///  * otherwise:   y[h*D + d, 0, m] = sum_n a[h*N + n, 0, m] * b[h*D + d, 0, n], D = Cb / heads.
Tensor<std::int64_t> matmul(const Tensor<std::int16_t>& a, const Tensor<std::int16_t>& b, unsigned heads,
                            bool transpose_b);

}  // namespace sdla::golden
