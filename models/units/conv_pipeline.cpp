#include "conv_pipeline.hpp"

namespace sdla {

ConvPipeline::ConvPipeline(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg)
    : sc_module(name),
      job_tsock("job_tsock"),
      cfg_(cfg),
      loader_("loader", cfg),
      decompressor_("decompressor"),
      feeder_("feeder", cfg),
      input_transform_("winograd_input_transform"),
      accumulator_("accumulator", cfg),
      output_transform_("winograd_output_transform", cfg),
      post_("post_processor"),
      writer_("output_writer", cfg),
      // Two buffer slots: at most two steps are loaded ahead, two releases pending.
      loaded_("loaded", 2),
      released_("released", 2) {
  loader_.loaded(loaded_);
  loader_.released(released_);
  feeder_.loaded(loaded_);
  feeder_.released(released_);
  feeder_.dec_isock.bind(decompressor_.tsock);
  feeder_.feed_isock.bind(input_transform_.feed_tsock);
  feeder_.acc_isock.bind(accumulator_.tsock);
  accumulator_.out_isock.bind(output_transform_.tsock);
  output_transform_.out_isock.bind(post_.tsock);
  post_.out_isock.bind(writer_.tsock);
  job_tsock.on_transport([this](ConvJob& j, sc_core::sc_time& d) { run(j, d); });
}

void ConvPipeline::run(ConvJob& job, sc_core::sc_time& delay) {
  wait(delay);
  delay = sc_core::SC_ZERO_TIME;
  const Layer& layer = job.layer;
  // Leftovers of the previous layer: the releases the loader no longer
  // needed, or, after an error, what was loaded ahead.
  while (loader_.busy()) wait(loader_.idle_event());
  wait(sc_core::SC_ZERO_TIME);  // let the loader's last fifo write land before draining
  SlotLoad stale;
  unsigned slot = 0;
  while (loaded_.nb_read(stale)) {}
  while (released_.nb_read(slot)) {}

  auto fill = [](std::uint32_t q16) { return q16 == 0 ? 1.0 : double(q16) / 65536.0; };
  const TilePlan plan = plan_tiles(layer, cfg_, fill(job.desc.input_fill), fill(job.desc.weight_fill));
  const bool split_c = plan.split_c();
  const unsigned groups = split_c ? plan.kgroups_per_block : 1;
  const unsigned tiles = unsigned(TilePlan::tiles(plan.rows_per_tile, plan.cols_per_tile));
  // Winograd: the accumulator holds one component's products per tile, the output transform the outputs.
  accumulator_.shape(groups, plan.winograd == Winograd::off ? plan.rows_per_tile * plan.cols_per_tile : tiles,
                     layer.precision);
  output_transform_.configure(layer, groups, tiles);
  post_.configure(layer, job.bias, job.desc.residual_addr, cfg_.lanes(layer.precision));
  writer_.configure(layer, job.desc);
  job.tiling = plan.summary();
  const std::uint64_t loads = loader_.start(layer, job.desc, plan);
  try {
    feeder_.run_layer(layer, plan, loads);
  } catch (...) {
    loader_.abort();
    job.buffer_peak_bytes = loader_.peak_bytes();
    throw;
  }
  job.buffer_peak_bytes = loader_.peak_bytes();
}

void ConvPipeline::activity(Activity& a) const {
  a["mac_array"] = feeder_.mac_activity();
  // Not a unit of its own: the C++ model's count of the passes the array ran.
  if (Counters model = feeder_.mac_reference_activity(); !model.empty()) a[kMacModelComponent] = std::move(model);
  a["accumulator"] = accumulator_.activity();
  a["post_processor"] = post_.activity();
  // Winograd units appear once they have worked, so direct-only reports stay as they were.
  if (Counters c = input_transform_.activity(); c.at("vectors")) a["winograd_input_transform"] = std::move(c);
  if (Counters c = output_transform_.activity(); c.at("folds")) a["winograd_output_transform"] = std::move(c);
}

}  // namespace sdla
