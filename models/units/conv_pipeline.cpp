#include "conv_pipeline.hpp"

#include <fmt/format.h>

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
  writer_.record_to(&written_);
  loader_.watch(&written_);
  job_tsock.on_transport([this](ConvJob& j, sc_core::sc_time& d) { take(j, d); });
  SC_THREAD(run);
}

void ConvPipeline::take(ConvJob& job, sc_core::sc_time& delay) {
  wait(delay);
  delay = sc_core::SC_ZERO_TIME;
  // The loader works on one layer at a time: the one before has issued its last step.
  while (loader_.busy()) wait(loader_.idle_event());
  if (flights_.empty()) {
    // Nothing in flight: start from empty slots. Drop the releases the
    // loader no longer needed or, after an error, what it had loaded ahead.
    wait(sc_core::SC_ZERO_TIME);  // let the loader's last fifo write land before draining
    SlotLoad stale;
    unsigned slot = 0;
    while (loaded_.nb_read(stale)) {}
    while (released_.nb_read(slot)) {}
    loader_.reset_slots();
  }
  auto fill = [](std::uint32_t q16) { return q16 == 0 ? 1.0 : double(q16) / 65536.0; };
  Flight f{&job, plan_tiles(job.layer, cfg_, fill(job.desc.input_fill), fill(job.desc.weight_fill)), 0, {}};
  job.tiling = f.plan.summary();
  job.buffer_peak_bytes = 0;
  job.done = false;
  job.error = nullptr;
  // Read after write: what this layer reads waits for a layer in flight that writes it.
  LoadHazards hazards;
  const std::vector<TensorRegion> regions = tensor_regions(job.layer, job.desc, cfg_);
  for (const Flight& earlier : flights_)
    for (const TensorRegion& w : earlier.writes)
      for (const TensorRegion& r : regions) {
        // Parameters were read by the controller already; the residual is read while the layer computes.
        if (!r.overlaps(w)) continue;
        if (r.use == TensorRegion::Use::input) {
          // Loaded as far as the latest such layer has written it (the written
          // ranges are that layer's: bytes of an earlier one wait for its end).
          hazards.input_after = earlier.number;
          hazards.input_writes.push_back(w);
        }
        if (r.use == TensorRegion::Use::weights) hazards.weights_after = earlier.number;
      }
  for (const TensorRegion& r : regions)
    if (r.use == TensorRegion::Use::output) f.writes.push_back(r);
  if (job.on_load) job.on_load(job);
  f.number = loader_.start(job.layer, job.desc, f.plan, std::move(hazards));
  flights_.push_back(std::move(f));
  taken_ev_.notify();
}

void ConvPipeline::run() {
  for (;;) {
    while (flights_.empty()) wait(taken_ev_);
    const Flight& f = flights_.front();
    const Layer& layer = f.job->layer;
    const TilePlan& plan = f.plan;
    const bool split_c = plan.split_c();
    const unsigned groups = split_c ? plan.kgroups_per_block : 1;
    const unsigned tiles = unsigned(TilePlan::tiles(plan.rows_per_tile, plan.cols_per_tile));
    // Winograd: the accumulator holds one component's products per tile, the output transform the outputs.
    accumulator_.shape(groups, plan.winograd == Winograd::off ? plan.rows_per_tile * plan.cols_per_tile : tiles,
                       layer.precision);
    output_transform_.configure(layer, groups, tiles);
    post_.configure(layer, f.job->bias, f.job->desc.residual_addr, cfg_.lanes(layer.precision));
    writer_.configure(layer, f.job->desc);
    written_.restart(f.number);
    std::exception_ptr error;
    try {
      feeder_.run_layer(layer, plan, f.number);
    } catch (...) {
      error = std::current_exception();
    }
    finish(error);
  }
}

void ConvPipeline::finish(std::exception_ptr error) {
  ConvJob& job = *flights_.front().job;
  const std::uint64_t number = flights_.front().number;
  job.buffer_peak_bytes = loader_.peak_bytes(number);
  loader_.completed(number);
  std::vector<ConvJob*> ended{&job};
  flights_.pop_front();
  if (error) {
    job.error = error;
    // The layers taken behind it never run.
    loader_.abort();
    const auto cancelled = std::make_exception_ptr(
        std::runtime_error(fmt::format("{}: not run, an earlier layer failed", name())));
    for (Flight& f : flights_) {
      f.job->error = cancelled;
      ended.push_back(f.job);
    }
    flights_.clear();
  }
  for (ConvJob* j : ended) {
    j->done = true;
    if (j->on_done) j->on_done(*j);
  }
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
