/// \file
/// Stub modules of the unit benches (tests/units/): a source that runs the
/// test's stimulus in an SC_THREAD through a typed initiator socket, and a
/// sink that answers a typed target socket with the test's handler. Each
/// bench binds ONE unit between them and checks what the sinks saw against a
/// reference computed in the test.
///
///     sdla::test::Source<sdla::AtomBatch> src("src");
///     sdla::test::Sink<sdla::BufferRead> buf("buf", [&](sdla::BufferRead& r, sc_core::sc_time&) { ... });
///     src.isock.bind(dec.tsock);
///     dec.buf_isock.bind(buf.tsock);
///     src.run([&](auto& send) { send(batch); });
///     sc_core::sc_start();   // once per process: every TEST runs alone
#pragma once

#include <functional>
#include <utility>

#include <systemc>

#include "sdla/lt_socket.hpp"

namespace sdla::test {

/// Runs `body` once at time 0; body(send) calls send(payload) for each
/// transaction, which b_transports it and then waits out the annotated delay.
template <class Payload>
class Source : public sc_core::sc_module {
 public:
  using Send = std::function<void(Payload&)>;
  LtInitiatorSocket<Payload> isock{"isock"};

  explicit Source(const sc_core::sc_module_name& name) : sc_module(name) { SC_THREAD(thread); }
  void run(std::function<void(const Send&)> body) { body_ = std::move(body); }
  /// Total delay the targets annotated.
  sc_core::sc_time annotated() const { return annotated_; }

 private:
  SC_HAS_PROCESS(Source);
  void thread() {
    if (!body_) return;
    const Send send = [this](Payload& p) {
      sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
      isock->b_transport(p, delay);
      annotated_ += delay;
      wait(delay);
    };
    body_(send);
  }
  std::function<void(const Send&)> body_;
  sc_core::sc_time annotated_ = sc_core::SC_ZERO_TIME;
};

/// A target socket answered by `handler`.
template <class Payload>
class Sink : public sc_core::sc_module {
 public:
  using Handler = typename LtTargetSocket<Payload>::Handler;
  LtTargetSocket<Payload> tsock{"tsock"};

  Sink(const sc_core::sc_module_name& name, Handler handler) : sc_module(name) { tsock.on_transport(std::move(handler)); }
};

}  // namespace sdla::test
