#include "network_report.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "io/layer_file.hpp"

#include "power_trace.hpp"

namespace sdla {

nlohmann::json make_network_report(const NetworkReportInput& in) {
  const LoweredNetwork& net = in.workload->net;
  const NetworkResult& res = *in.result;
  std::vector<bool> exact = res.bit_exact;
  nlohmann::json r = make_report({in.cfg, in.mac_source, &res.outcome, exact, in.energy, {}, in.checked});
  // The layers as the network names them: which node each is, and what it fused.
  nlohmann::json& layers = r["layers"];
  for (std::size_t i = 0; i < layers.size() && i < net.layers.size(); ++i) {
    const HwLayer& hw = net.layers[i];
    nlohmann::json& lj = layers[i];
    lj["node"] = to_string(net.net.nodes[hw.node].op);
    lj["input_tensor"] = net.tensors[hw.input].name;
    lj["output_tensor"] = net.tensors[hw.output].name;
    if (hw.add_node != SIZE_MAX) {
      lj["fused_add"] = net.net.nodes[hw.add_node].name;
      lj["residual_tensor"] = net.tensors[hw.residual].name;
    }
    if (hw.folded_columns)
      lj["channel_extension"] = {{"folded_columns", hw.folded_columns},
                                 {"layer_as_given", to_json(hw.original)},
                                 {"input_tensor_as_given", net.tensors[hw.original_input].name}};
    if (i < res.output_density.size()) lj["output_density"] = res.output_density[i];
    lj["weight_density"] = nullptr;
    if (const auto& w = in.workload->operands[i].weights; w.size()) {
      std::size_t nz = 0;
      for (auto v : w.values()) nz += v != 0;
      lj["weight_density"] = double(nz) / double(w.size());
    }
  }
  const std::uint64_t macs = net.macs(), host_macs = net.host_macs();
  const std::uint64_t cycles = res.outcome.cycles;
  const double seconds = double(cycles) / (in.cfg->clock_mhz * 1e6);
  const double pj = r["energy_pj"]["total"].get<double>();
  nlohmann::json host = nlohmann::json::array();
  for (const HostOp& op : net.host_ops) {
    const Node& n = net.net.nodes[op.node];
    const bool extension = op.kind == HostOp::Kind::channel_extension;
    nlohmann::json h = {{"name", extension ? net.tensors[op.output].name : n.name},
                        {"op", extension ? "channel_extension" : to_string(n.op)},
                        {"elements", net.tensors[op.output].shape.elements()},
                        {"macs", net.node_macs(op.node)}};
    if (extension)
      h["note"] = fmt::format("the input of '{}' laid out with its {} kernel columns folded into the channels", n.name,
                              n.layer.kernel_w);
    else if (n.op == NodeOp::matmul) h["note"] = "an attention product of two activation tensors, computed on the host";
    host.push_back(std::move(h));
  }
  const FeatureShape x = net.tensors[0].shape;
  r["network"] = {
      {"name", net.net.name},
      {"precision", to_string(net.net.precision)},
      {"input", {x.c, x.h, x.w}},
      {"nodes", net.net.nodes.size()},
      {"hardware_layers", net.layers.size()},
      {"runs", res.runs},
      {"prune", in.prune},
      {"macs", macs},
      {"accelerator_macs", macs - host_macs},
      {"host_macs", host_macs},
      {"cycles", cycles},
      {"frames_per_second", seconds > 0 ? 1.0 / seconds : 0.0},
      {"effective_tops", seconds > 0 ? 2.0 * double(macs - host_macs) / seconds / 1e12 : 0.0},
      {"energy_uj_per_inference", pj / 1e6},
      {"pj_per_mac", macs - host_macs ? pj / double(macs - host_macs) : 0.0},
      {"tops_per_w", pj > 0 ? 2.0 * double(macs - host_macs) / pj : 0.0},
      {"host_ops", host},
  };
  r["power_trace"] = make_power_trace(r, in.power_window_cycles);
  return r;
}

void print_network_summary(std::ostream& os, const nlohmann::json& r) {
  print_summary(os, r);
  const auto& n = r["network"];
  fmt::print(os, "network {}: {} MACs ({} on the accelerator, {} on the host), {} hardware layers in {} run(s)\n",
             n["name"].get<std::string>(), n["macs"].get<std::uint64_t>(), n["accelerator_macs"].get<std::uint64_t>(),
             n["host_macs"].get<std::uint64_t>(), n["hardware_layers"].get<std::size_t>(), n["runs"].get<std::size_t>());
  fmt::print(os, "network {}: {:.1f} frames/s at {} MHz, {:.2f} effective TOPS, {:.1f} uJ per inference, {:.3f} pJ/MAC, "
                 "{:.2f} TOPS/W (accelerator only)\n",
             n["name"].get<std::string>(), n["frames_per_second"].get<double>(),
             r["preset"]["clock_mhz"].get<double>(), n["effective_tops"].get<double>(),
             n["energy_uj_per_inference"].get<double>(), n["pj_per_mac"].get<double>(), n["tops_per_w"].get<double>());
  std::map<std::string, std::pair<unsigned, std::uint64_t>> host;
  for (const auto& h : n["host_ops"]) {
    auto& [count, elements] = host[h["op"].get<std::string>()];
    ++count;
    elements += h["elements"].get<std::uint64_t>();
  }
  for (const auto& [op, ce] : host)
    fmt::print(os, "host: {} x {} ({} output elements{})\n", ce.first, op, ce.second,
               op == "matmul" ? ", attention products: their MACs are counted in the total but not the accelerator's" : "");
}

}  // namespace sdla
