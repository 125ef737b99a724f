/// \file
/// Layer descriptions in JSON: one layer object, or {"layers": [layer, ...]}.
///
///     {"layers": [
///       {"name": "conv1", "op": "conv2d", "in_channels": 3, "in_height": 32, "in_width": 32,
///        "out_channels": 16, "kernel": [3, 3], "stride": [1, 1], "padding": [1, 1],
///        "precision": "int8", "input_density": 0.5, "weight_density": 0.3,
///        "post": {"multiplier": 1, "shift": 8, "relu": true}},
///       {"op": "maxpool", "in_channels": 16, "in_height": 32, "in_width": 32,
///        "kernel": [3, 3], "stride": [2, 2], "padding": [1, 1]},
///       {"op": "global_avgpool", "in_channels": 16, "in_height": 16, "in_width": 16},
///       {"op": "fc", "in_channels": 16, "out_channels": 10}]}
///
/// Pool layers ("maxpool", "avgpool", "global_avgpool") take no weight,
/// post or residual fields; out_channels may be left out (= in_channels);
/// global_avgpool takes no kernel, stride or padding (its kernel is the
/// whole input). "residual": true adds a residual tensor in the
/// post-processor (needs "post").
///
///     auto layers = sdla::read_layer_file("net.json");
///
/// Errors throw sdla::LayerError naming the file and the JSON path, e.g.
/// "net.json: layers[1].kernel: expected an array of 2 positive integers".
/// Values quoted in messages are cut to 60 characters. A file nesting arrays
/// and objects deeper than kMaxLayerFileNesting levels is rejected while it
/// is parsed, and a number beyond a double ("1e400") is named by its path.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sdla/layer.hpp"

namespace sdla {

/// Deepest nesting of arrays and objects a layer file may have (a layer
/// list needs 4: {"layers": [{"post": {"shift": [...]}}]}).
inline constexpr unsigned kMaxLayerFileNesting = 64;

/// Reads a JSON document with the checks above (nesting, numbers, syntax),
/// errors naming `path`; throws LayerError.
nlohmann::json read_json_file(const std::string& path);

/// Reads and validates a layer file.
std::vector<Layer> read_layer_file(const std::string& path);

/// Parses and validates an already-parsed document; `where` (usually the file
/// name) starts every error message.
std::vector<Layer> parse_layers(const nlohmann::json& j, const std::string& where);

/// "off", "exact", "nvdla" or "auto"; throws std::invalid_argument for anything else.
Winograd parse_winograd(const std::string& s);

/// One layer as a layer object, the inverse of parse_layers.
nlohmann::json to_json(const Layer& layer);

}  // namespace sdla
