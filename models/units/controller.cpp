#include "controller.hpp"

#include <cstring>

#include <fmt/format.h>

#include "dma.hpp"
#include "feeder.hpp"
#include "sdla/log.hpp"
#include "sdla/tile_plan.hpp"

namespace sdla {
namespace {

/// A failure that ends the run with an error code.
struct RunError : std::runtime_error {
  RunError(regs::ErrorCode c, const std::string& what) : std::runtime_error(what), code(c) {}
  regs::ErrorCode code;
};

/// A layer as the log shows it: "conv2d int8 128,28x28->128,28x28 k3x3 s1x1", formats and Winograd when used.
std::string describe(const Layer& l) {
  std::string s = fmt::format("{} {} {},{}x{}->{},{}x{} k{}x{} s{}x{}", to_string(l.op), to_string(l.precision),
                              l.in_channels, l.in_height, l.in_width, l.out_channels, l.out_height(), l.out_width(),
                              l.kernel_h, l.kernel_w, l.stride_h, l.stride_w);
  if (l.weight_format != TensorFormat::dense) s += fmt::format(" weights {}", to_string(l.weight_format));
  if (l.activation_format != TensorFormat::dense) s += fmt::format(" activations {}", to_string(l.activation_format));
  if (l.uses_winograd()) s += fmt::format(" winograd {}", to_string(l.winograd));
  return s;
}

}  // namespace

Controller::Controller(const sc_core::sc_module_name& name, const AcceleratorConfig& cfg,
                       std::function<Activity(UnitSide)> snapshot)
    : sc_module(name),
      csb_tsock("csb_tsock"),
      irq("irq"),
      dma_isock("dma_isock"),
      conv_isock("conv_isock"),
      pool_isock("pool_isock"),
      cfg_(cfg),
      snapshot_(std::move(snapshot)),
      cycle_(cfg.clock_period_ns(), sc_core::SC_NS) {
  csb_tsock.register_b_transport(this, &Controller::csb_b_transport);
  counters_["descriptors"] = 0;
  SC_THREAD(run);
  SC_METHOD(drive_irq);
  sensitive << irq_ev_;
}

void Controller::csb_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  delay += cycle_;
  const std::uint64_t addr = gp.get_address();
  if (gp.get_data_length() != 4 || gp.get_streaming_width() < 4) {
    gp.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  if (gp.get_byte_enable_ptr()) {
    gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  if (gp.get_command() == tlm::TLM_IGNORE_COMMAND) {
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  if (addr % 4 || addr > regs::LAST) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  std::uint32_t value = 0;
  std::memcpy(&value, gp.get_data_ptr(), 4);
  const bool write = gp.is_write();
  auto read_only = [&](std::uint32_t v) {
    if (write) return false;
    value = v;
    return true;
  };
  bool ok = true;
  switch (addr) {
    case regs::ID: ok = read_only(regs::ID_VALUE); break;
    case regs::VERSION: ok = read_only(regs::VERSION_VALUE); break;
    case regs::HW_CONFIG: ok = read_only(cfg_.atomic_c | cfg_.atomic_k << 16); break;
    case regs::STATUS: ok = read_only(status_); break;
    case regs::ERROR_CODE: ok = read_only(std::uint32_t(error_)); break;
    case regs::ERROR_LAYER: ok = read_only(error_layer_); break;
    case regs::LAYERS_DONE: ok = read_only(layers_done_); break;
    case regs::CYCLES_LO: ok = read_only(std::uint32_t(cycles_)); break;
    case regs::CYCLES_HI: ok = read_only(std::uint32_t(cycles_ >> 32)); break;
    case regs::CTRL:
      if (!write) {
        value = 0;
      } else if (value & regs::CTRL_START) {
        if (status_ & regs::STATUS_BUSY) {
          gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);  // already running
          return;
        }
        status_ = regs::STATUS_BUSY;
        start_ev_.notify(delay);
      }
      break;
    case regs::IRQ_STATUS:
      if (write) irq_status_ &= ~value; else value = irq_status_;
      update_irq();
      break;
    case regs::IRQ_MASK:
      if (write) irq_mask_ = value & (regs::IRQ_DONE | regs::IRQ_ERROR); else value = irq_mask_;
      update_irq();
      break;
    case regs::DESC_PTR_LO:
      if (write) desc_ptr_ = (desc_ptr_ & ~0xFFFFFFFFull) | value; else value = std::uint32_t(desc_ptr_);
      break;
    case regs::DESC_PTR_HI:
      if (write) desc_ptr_ = (desc_ptr_ & 0xFFFFFFFFull) | std::uint64_t(value) << 32;
      else value = std::uint32_t(desc_ptr_ >> 32);
      break;
    default:
      gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);  // a hole in the map
      return;
  }
  if (!ok) {
    gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);  // write to a read-only register
    return;
  }
  if (!write) std::memcpy(gp.get_data_ptr(), &value, 4);
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

void Controller::run() {
  for (;;) {
    wait(start_ev_);
    const sc_core::sc_time t0 = sc_core::sc_time_stamp();
    error_ = regs::ErrorCode::none;
    error_layer_ = layers_done_ = 0;
    error_message_.clear();
    records_.clear();
    log_info(*this, log_id::controller, kLogLayer, "run start: descriptor chain at {:#x}", desc_ptr_);
    try {
      run_chain();
      status_ = regs::STATUS_DONE;
      irq_status_ |= regs::IRQ_DONE;
    } catch (const RunError& e) {
      error_ = e.code;
      error_message_ = e.what();
    } catch (const DmaError& e) {
      error_ = regs::ErrorCode::dma_error;
      error_message_ = e.what();
    } catch (const TilingError& e) {
      error_ = regs::ErrorCode::buffer_capacity;
      error_message_ = e.what();
    } catch (const MacArrayError& e) {
      error_ = regs::ErrorCode::mac_array_error;
      error_message_ = e.what();
    } catch (const std::exception& e) {
      // Anything else (e.g. a layer too large for host memory) still ends the run cleanly.
      error_ = regs::ErrorCode::internal_error;
      error_message_ = e.what();
    }
    if (error_ != regs::ErrorCode::none) {
      error_layer_ = layers_done_;
      status_ = regs::STATUS_DONE | regs::STATUS_ERROR;
      irq_status_ |= regs::IRQ_ERROR;
    }
    cycles_ = std::uint64_t((sc_core::sc_time_stamp() - t0) / cycle_);
    if (error_ != regs::ErrorCode::none)
      log_info(*this, log_id::controller, kLogLayer, "run error in layer {} after {} cycles: {}: {}", error_layer_,
               cycles_, to_string(error_), error_message_);
    else
      log_info(*this, log_id::controller, kLogLayer, "run done: {} layer(s), {} cycles", layers_done_, cycles_);
    update_irq();
  }
}

void Controller::run_chain() {
  run_start_ = last_end_ = sc_core::sc_time_stamp();
  for (UnitSide side : kUnitSides) {
    marks_[int(side)] = snapshot_(side);
    open_[int(side)] = nullptr;
  }
  std::exception_ptr error;
  try {
    walk_chain();
    while (!flights_.empty()) retire();
  } catch (...) {
    error = std::current_exception();
  }
  if (!error) return;
  // The layers still in flight finish (or are cancelled) before the run
  // ends; those before the first failure keep their records, and the
  // earliest failure is the run's.
  bool failed = false;
  while (!flights_.empty()) {
    Flight& f = *flights_.front();
    while (!f.job.done) wait(layer_done_ev_);
    if (!failed && f.job.error) error = f.job.error;
    failed = failed || f.job.error;
    if (!failed) record(f);
    flights_.pop_front();
  }
  for (Flight*& open : open_) open = nullptr;
  std::rethrow_exception(error);
}

void Controller::walk_chain() {
  std::uint64_t addr = desc_ptr_;
  if (addr == 0) throw RunError(regs::ErrorCode::bad_descriptor, "DESC_PTR is 0: no descriptor to run");
  for (unsigned index = 0; addr != 0; ++index) {
    if (index == kMaxLayers)
      throw RunError(regs::ErrorCode::descriptor_loop,
                     fmt::format("descriptor chain exceeds {} layers (a loop in next pointers?)", kMaxLayers));
    flights_.push_back(std::make_unique<Flight>());
    Flight& f = *flights_.back();
    f.index = index;
    try {
      addr = start_layer(f, addr);  // f may be recorded and gone when it returns
    } catch (...) {
      // The run's error, unless a layer still in flight fails first.
      f.job.done = true;
      f.job.error = std::current_exception();
      throw;
    }
  }
}

std::uint64_t Controller::start_layer(Flight& f, std::uint64_t addr) {
  f.start = sc_core::sc_time_stamp();
  // A layer's figures include its descriptor and parameter fetches.
  switch_side(UnitSide::control, &f);
  wait_for_writers({"descriptor", TensorRegion::Use::parameters, addr, LayerDescriptor::BYTES});
  std::uint8_t bytes[LayerDescriptor::BYTES];
  read(addr, bytes, sizeof bytes);
  ++counters_["descriptors"];
  log_info(*this, log_id::controller, kLogStep, "descriptor {} fetched from {:#x}", f.index, addr);
  const LayerDescriptor d = LayerDescriptor::decode(bytes);
  if (d.magic != LayerDescriptor::MAGIC)
    throw RunError(regs::ErrorCode::bad_descriptor,
                   fmt::format("descriptor {} at {:#x}: magic {:#010x} is not {:#010x}", f.index, addr, d.magic,
                               LayerDescriptor::MAGIC));
  Layer layer;
  try {
    layer = d.layer();
  } catch (const LayerError& e) {
    throw RunError(regs::ErrorCode::invalid_layer, fmt::format("descriptor {} at {:#x}: {}", f.index, addr, e.what()));
  }
  layer.name = fmt::format("layer{}", f.index);
  check_extents(layer, d);
  for (const TensorRegion& r : tensor_regions(layer, d, cfg_))
    if (r.use == TensorRegion::Use::parameters) wait_for_writers(r);
  ConvJob& job = f.job;
  job.layer = layer;
  job.desc = d;
  load_post_parameters(job.layer, d, job.bias);
  log_info(*this, log_id::controller, kLogLayer, "layer {} start: {}", f.index, describe(job.layer));
  if (layer.op != Op::pool) {
    hand_over(f);
    return d.next;
  }
  // The pooling unit reads what the pipeline writes: it starts once the pipeline is empty.
  f.pool = true;
  while (flights_.size() > 1) retire();
  PoolJob pool;
  pool.layer = job.layer;
  pool.desc = d;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  pool_isock->b_transport(pool, delay);
  job.tiling = pool.tiling;  // the pooling unit does not use the unified buffer: buffer_peak_bytes stays 0
  f.end = sc_core::sc_time_stamp();
  charge(UnitSide::compute, &f);
  job.done = true;
  retire();
  return d.next;
}

void Controller::hand_over(Flight& f) {
  // Two register groups: the layer before the one in flight must have ended.
  while (flights_.size() > 2) retire();
  if (!overlap_)
    while (flights_.size() > 1) retire();
  f.job.on_done = [this, &f](ConvJob&) {
    // On the pipeline's thread, before any later layer computes: the compute side's window of the layer ends.
    f.end = sc_core::sc_time_stamp();
    charge(UnitSide::compute, &f);
    layer_done_ev_.notify();
  };
  f.job.on_load = [this, &f](ConvJob&) {
    f.load = sc_core::sc_time_stamp();
    switch_side(UnitSide::load, &f);
  };
  for (const TensorRegion& r : tensor_regions(f.job.layer, f.job.desc, cfg_))
    if (r.use == TensorRegion::Use::output) f.writes.push_back(r);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  conv_isock->b_transport(f.job, delay);
  if (!overlap_) retire();
}

void Controller::retire() {
  Flight& f = *flights_.front();
  while (!f.job.done) wait(layer_done_ev_);
  if (f.job.error) std::rethrow_exception(f.job.error);
  record(f);
  flights_.pop_front();
}

void Controller::wait_for_writers(const TensorRegion& r) {
  auto writes_it = [&] {
    for (std::size_t i = 0; i + 1 < flights_.size(); ++i)  // the last is the layer asking
      for (const TensorRegion& w : flights_[i]->writes)
        if (w.overlaps(r)) return true;
    return false;
  };
  while (writes_it()) retire();
}

void Controller::record(Flight& f) {
  // Its fetch and load windows end here if no later layer has opened its own.
  for (UnitSide side : {UnitSide::control, UnitSide::load})
    if (open_[int(side)] == &f) switch_side(side, nullptr);
  LayerRecord rec;
  rec.layer = f.job.layer;
  auto cycles = [&](sc_core::sc_time t) { return std::uint64_t((t - run_start_) / cycle_); };
  rec.start_cycle = cycles(f.start);
  rec.load_cycle = cycles(f.pool ? f.start : f.load);
  rec.end_cycle = cycles(f.end);
  rec.cycles = rec.end_cycle - cycles(last_end_);
  rec.overlap_cycles = cycles(last_end_) > rec.load_cycle ? cycles(last_end_) - rec.load_cycle : 0;
  last_end_ = f.end;
  // Every counter appears, zero when the layer did not touch it (as in a snapshot difference).
  for (UnitSide side : kUnitSides) accumulate(rec.activity, difference(marks_[int(side)], marks_[int(side)]));
  accumulate(rec.activity, f.activity);
  rec.tiling = f.job.tiling;
  rec.buffer_peak_bytes = f.job.buffer_peak_bytes;
  log_info(*this, log_id::controller, kLogLayer, "layer {} end: {} cycles, {}", f.index, rec.cycles, rec.tiling);
  records_.push_back(std::move(rec));
  ++layers_done_;
  if (layer_done_) layer_done_(f.index, records_.back());
}

void Controller::charge(UnitSide side, Flight* to) {
  Activity now = snapshot_(side);
  if (to) accumulate(to->activity, difference(now, marks_[int(side)]));
  marks_[int(side)] = std::move(now);
}

void Controller::switch_side(UnitSide side, Flight* next) {
  charge(side, open_[int(side)]);
  open_[int(side)] = next;
}

void Controller::check_extents(const Layer& l, const LayerDescriptor& d) const {
  // Every tensor must end below 2^64: a region that wraps around would pass
  // the memory's own bounds check with the wrong bytes.
  for (const TensorRegion& r : tensor_regions(l, d, cfg_))
    if (r.addr > ~std::uint64_t(0) - r.bytes)
      throw RunError(regs::ErrorCode::invalid_layer,
                     fmt::format("{}: {} region of {} bytes at {:#x} wraps past the end of the address space", l.name,
                                 r.what, r.bytes, r.addr));
}

void Controller::load_post_parameters(Layer& layer, const LayerDescriptor& d, std::vector<std::int32_t>& bias) {
  const unsigned K = layer.out_channels;
  bias.assign(K, 0);
  if (!layer.post.enabled) return;
  auto read_words = [&](std::uint64_t addr, std::vector<std::int32_t>& out) {
    std::vector<std::uint8_t> raw(std::size_t(K) * 4);
    read(addr, raw.data(), raw.size());
    out.resize(K);
    for (unsigned k = 0; k < K; ++k)
      out[k] = std::int32_t(raw[4 * k] | raw[4 * k + 1] << 8 | raw[4 * k + 2] << 16 | std::uint32_t(raw[4 * k + 3]) << 24);
  };
  if (d.bias_addr) read_words(d.bias_addr, bias);
  read_words(d.multiplier_addr, layer.post.multiplier);
  layer.post.shift.resize(K);
  read(d.shift_addr, layer.post.shift.data(), K);
  for (unsigned k = 0; k < K; ++k)
    if (layer.post.shift[k] > 62)
      throw RunError(regs::ErrorCode::invalid_layer,
                     fmt::format("{}: shift {} of output channel {} exceeds 62", layer.name, layer.post.shift[k], k));
}

void Controller::read(std::uint64_t addr, std::uint8_t* dst, std::size_t len) {
  xfer_.dir = DmaTransfer::Dir::read;
  xfer_.tensor = Stream::param;
  xfer_.runs.assign(1, DmaRun{addr, 0, len});
  xfer_.dense_bytes = len;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  dma_isock->b_transport(xfer_, delay);
  if (!xfer_.ok) throw DmaError(xfer_.error);
  std::copy(xfer_.data.begin(), xfer_.data.end(), dst);
  wait(delay);
}

}  // namespace sdla
