/// \file
/// The built-in networks, shapes as in ../facts.md (224 x 224 inputs):
/// ResNet-50 v1.5, VGG-16, MobileNetV2 1.0 and BERT-base (12 encoder layers
/// of L tokens). Every conv2d/fc/gemm node leaves its requantisation to be
/// calibrated on the golden run; ReLU follows convolutions as the networks
/// have it (MobileNetV2's ReLU6 is a ReLU, its clip is the saturation).
#pragma once

#include <string>
#include <vector>

#include "sdla/network.hpp"

namespace sdla {

/// "resnet50", "vgg16", "mobilenetv2", "bert-base".
const std::vector<std::string>& builtin_network_names();
/// Throws NetworkError for an unknown name. `seq_len` is BERT's L; `image`
/// the CNNs' input height and width (224 as published; smaller ones keep
/// every layer and give quicker runs, e.g. for tests; VGG-16 needs 32 or
/// more, its fc6 then covering what its last pool leaves).
Network builtin_network(const std::string& name, Precision precision = Precision::int8, unsigned seq_len = 128,
                        unsigned image = 224);

}  // namespace sdla
