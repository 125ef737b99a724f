#include "network_run.hpp"

namespace sdla {

NetworkProgram compile_network_program(const AcceleratorConfig& cfg, const NetworkWorkload& w) {
  const LoweredNetwork& net = w.net;
  std::vector<GraphTensor> tensors;
  for (const NetworkTensor& t : net.tensors) tensors.push_back({t.shape.c, t.shape.h, t.shape.w, nullptr});
  tensors[0].values = &w.input;
  std::vector<GraphLayer> layers;
  for (const HwLayer& hw : net.layers) layers.push_back({hw.layer, hw.input, hw.output, hw.residual});
  // A run starts at the first layer and at every layer that follows a host operation.
  std::vector<std::size_t> first;
  bool after_host = true;
  for (const NetworkStep& s : net.steps) {
    if (s.host) {
      after_host = true;
      continue;
    }
    if (after_host) first.push_back(s.index);
    after_host = false;
  }
  NetworkProgram p;
  p.graph = compile_graph(cfg, tensors, layers, w.operands, first);
  const std::vector<CompiledLayer>& all = p.graph.image.layers;
  for (std::size_t r = 0; r < first.size(); ++r) {
    Program run;
    run.entry = p.graph.entries[r];
    run.end = p.graph.image.end;
    const std::size_t last = r + 1 < first.size() ? first[r + 1] : all.size();
    run.layers.assign(all.begin() + std::ptrdiff_t(first[r]), all.begin() + std::ptrdiff_t(last));
    if (r == 0) run.segments = p.graph.image.segments;
    p.runs.push_back(std::move(run));
  }
  return p;
}

NetworkResult run_network(Testbench& tb, const NetworkWorkload& w, const NetworkProgram& p,
                          const std::function<void(std::size_t, std::size_t)>& progress) {
  const LoweredNetwork& net = w.net;
  const Precision prec = net.net.precision;
  const unsigned lanes = tb.accelerator().config().lanes(prec);
  // Host operations by the run they precede (runs.size(): after the last).
  std::vector<std::vector<std::size_t>> host_before(p.runs.size() + 1);
  {
    std::size_t run = 0;
    bool in_run = false;
    for (const NetworkStep& s : net.steps) {
      if (!s.host) {
        if (!in_run && run < p.graph.first.size() && s.index == p.graph.first[run]) ++run;
        in_run = true;
        continue;
      }
      in_run = false;
      host_before[run].push_back(s.index);
    }
  }
  auto read = [&](std::size_t t) {
    const NetworkTensor& nt = net.tensors[t];
    std::vector<std::uint8_t> bytes(p.graph.tensor_bytes[t]);
    tb.dram().dump(p.graph.tensor_addr[t], bytes.data(), bytes.size());
    return unpack_feature_map(bytes, nt.shape.c, nt.shape.h, nt.shape.w, lanes, prec);
  };
  auto host_ops = [&](std::size_t before) {
    for (std::size_t i : host_before[before]) {
      const HostOp& op = net.host_ops[i];
      std::vector<Tensor<std::int16_t>> values;
      for (std::size_t t : op.inputs) values.push_back(read(t));
      std::vector<const Tensor<std::int16_t>*> in;
      for (const auto& v : values) in.push_back(&v);
      const std::vector<std::uint8_t> bytes = pack_feature_map(run_host_op(net, op, in), lanes, prec);
      tb.dram().load(p.graph.tensor_addr[op.output], bytes.data(), bytes.size());
    }
  };
  const std::vector<RunOutcome> outs = tb.run(p.runs, [&](std::size_t next) {
    host_ops(next);
    if (progress && next < p.runs.size()) progress(next, p.runs.size());
  });

  NetworkResult r;
  r.runs = outs.size();
  RunOutcome& m = r.outcome;
  m.ok = true;
  std::size_t layer = 0;
  for (std::size_t i = 0; i < outs.size(); ++i) {
    const RunOutcome& o = outs[i];
    m.cycles += o.cycles;
    for (std::size_t j = 0; j < o.layers.size(); ++j) m.layers.push_back(o.layers[j]);
    for (std::size_t j = 0; j < o.outputs.size(); ++j, ++layer) {
      const Tensor<std::int16_t>& golden = w.golden[net.layers[layer].output];
      const Tensor<std::int64_t>& y = o.outputs[j];
      bool same = y.shape() == golden.shape();
      std::size_t nonzero = 0;
      for (std::size_t k = 0; k < y.size(); ++k) {
        same = same && y.data()[k] == golden.data()[k];
        nonzero += y.data()[k] != 0;
      }
      r.bit_exact.push_back(same);
      r.output_density.push_back(y.size() ? double(nonzero) / double(y.size()) : 0.0);
      m.outputs.push_back(o.outputs[j]);
    }
    if (!o.ok && m.ok) {
      m.ok = false;
      m.error = o.error;
      m.error_layer = std::uint32_t(p.graph.first[i] + o.error_layer);
      m.message = o.message;
    }
    if (!o.ok) break;
  }
  return r;
}

}  // namespace sdla
