/// \file
/// Networks in JSON: named tensors and nodes, as ONNX has them.
///
///     {"name": "tiny", "precision": "int8",
///      "input": {"name": "image", "shape": [3, 32, 32]},
///      "nodes": [
///        {"name": "conv1", "op": "conv2d", "out_channels": 16, "kernel": [3, 3], "padding": [1, 1], "relu": true},
///        {"name": "pool1", "op": "maxpool", "kernel": [2, 2], "stride": [2, 2]},
///        {"name": "conv2", "op": "conv2d", "out_channels": 16, "kernel": [3, 3], "padding": [1, 1]},
///        {"name": "sum", "op": "add", "inputs": ["conv2", "pool1"], "relu": true},
///        {"name": "gap", "op": "global_avgpool"},
///        {"name": "fc", "op": "fc", "out_features": 10}]}
///
/// A node reads the previous node's output unless it names its "inputs", and
/// its output tensor is named after it unless it names an "output".
/// Errors throw sdla::NetworkError naming the file and the JSON path.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sdla/network.hpp"

namespace sdla {

Network read_network_file(const std::string& path);
/// `where` (usually the file name) starts every error message.
Network parse_network(const nlohmann::json& j, const std::string& where);
/// The inverse of parse_network.
nlohmann::json to_json(const Network& net);

}  // namespace sdla
