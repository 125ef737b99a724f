// Seeded mutation fuzzing of the three input readers, in process: .npy
// (sdla::npy), layer files (sdla::read_layer_file) and energy tables
// (sdla::EnergyTable::from_file). Each case mutates a valid seed document
// (fuzz_inputs.hpp), writes it to a file and reads it. A case passes when the
// reader either accepts the file, and what it returns holds up (round trips,
// validation, sizes), or throws its own error type (NpyError, LayerError,
// EnergyTableError: what sdla-run reports with exit 2) with a message that
// starts with the file name. Anything else fails the case: another exception
// type (std::out_of_range, a json or YAML exception leaking out, bad_alloc: a
// single allocation over 64 MiB is refused while a reader runs), or a crash,
// which prints the case before the process dies. A failing or crashing case's
// input is kept as BUILD/fuzz_failures/<Reader>-seed<S>-case<I>.<ext> (after a
// UBSan report, which runs no handler, in BUILD/fuzz_failures/work-*/).
// FuzzReaders.Regressions reads every file of tests/data/fuzz_regressions.
//
// Case I of a run depends only on (SDLA_SEED, reader, I):
//   default run (3000 cases per reader):
//     ctest --test-dir BUILD -R FuzzReaders
//   replay one case (prints its mutations and keeps its input in BUILD/fuzz_failures):
//     SDLA_SEED=S SDLA_FUZZ_CASE=I BUILD/bin/test_fuzz_readers --gtest_filter=FuzzReaders.Npy
//   long campaign (any seed; no CTest timeout):
//     SDLA_SEED=$RANDOM SDLA_FUZZ_CASES=200000 BUILD/bin/test_fuzz_readers --gtest_filter='FuzzReaders.*'
#include <cxxabi.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <typeinfo>
#include <vector>

#include "energy_table.hpp"
#include "fuzz_inputs.hpp"
#include "io/layer_file.hpp"
#include "io/npy.hpp"
#include "seed.hpp"

#ifdef SDLA_FUZZ_SANITIZED
#include <sanitizer/common_interface_defs.h>
#endif

#if !defined(SDLA_FUZZ_OUT) || !defined(SDLA_FUZZ_REGRESSIONS)
#error "SDLA_FUZZ_OUT and SDLA_FUZZ_REGRESSIONS must name the failure and regression directories"
#endif

// ---------------------------------------------------------------------------
// No reader needs more than a few MiB for inputs under 1 MiB: while one runs,
// a single allocation over kAllocationCap throws bad_alloc, which fails the
// case, instead of the test quietly allocating gigabytes a file claims.
// (Sanitizer builds keep their own allocator and its size limit.)
namespace {
constexpr std::size_t kAllocationCap = std::size_t(64) << 20;
std::size_t g_allocation_cap = 0;  // 0: no cap

struct AllocationCap {
  AllocationCap() { g_allocation_cap = kAllocationCap; }
  ~AllocationCap() { g_allocation_cap = 0; }
};
}  // namespace

#ifndef SDLA_FUZZ_SANITIZED
// GCC takes free() in a replaced operator delete for a mismatch once both are inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  if (g_allocation_cap && n > g_allocation_cap) throw std::bad_alloc();
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop
#endif

namespace {

namespace fs = std::filesystem;
namespace npy = sdla::npy;
using sdla::fuzz::Rng;
using nlohmann::json;

// ---------------------------------------------------------------------------
// A crash (a signal, or an ASan report) during a case prints which case it
// was and moves its input to the failure directory: all prepared before the
// case, so the handler only calls write() and rename().

namespace crash {
char g_message[2048];
std::size_t g_length = 0;
char g_from[4096], g_to[4096];
volatile std::sig_atomic_t g_armed = 0;

void report() {
  if (!g_armed) return;
  g_armed = 0;
  [[maybe_unused]] const auto written = ::write(2, g_message, g_length);
  if (g_from[0]) std::rename(g_from, g_to);
}

extern "C" void on_signal(int sig) {
  report();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void install() {
  static bool done = false;
  if (done) return;
  done = true;
#ifdef SDLA_FUZZ_SANITIZED
  __sanitizer_set_death_callback(report);  // the sanitizer handles the signals itself
#else
  // Its own stack, so that a stack overflow can still be reported.
  static std::vector<char> stack(1 << 16);
  stack_t ss{};
  ss.ss_sp = stack.data();
  ss.ss_size = stack.size();
  sigaltstack(&ss, nullptr);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) sigaction(sig, &sa, nullptr);
#endif
}

void copy_into(char* dst, std::size_t size, const std::string& s) {
  const std::size_t n = std::min(size - 1, s.size());
  std::memcpy(dst, s.data(), n);
  dst[n] = '\0';
}

void arm(const std::string& message, const std::string& from, const std::string& to) {
  copy_into(g_message, sizeof g_message, message);
  g_length = std::strlen(g_message);
  copy_into(g_from, sizeof g_from, from);
  copy_into(g_to, sizeof g_to, to);
  g_armed = 1;
}

void disarm() { g_armed = 0; }
}  // namespace crash

// ---------------------------------------------------------------------------
// Verdicts

struct Verdict {
  enum Outcome { accepted, rejected, failed } outcome = accepted;
  std::string detail;  ///< rejected: the reader's message; failed: what went wrong
};

std::string type_name(const std::type_info& t) {
  int status = 0;
  char* name = abi::__cxa_demangle(t.name(), nullptr, nullptr, &status);
  std::string s = status == 0 && name ? name : t.name();
  std::free(name);
  return s;
}

/// Runs `read` (a reader call) with the allocation cap. Returns its result;
/// or nullopt with `v` saying whether it was the reader's own error (with a
/// message starting "<path>: ") or anything else.
template <class Error, class Read>
auto guarded(const std::string& path, Verdict& v, Read&& read) -> std::optional<decltype(read())> {
  try {
    AllocationCap cap;
    return read();
  } catch (const Error& e) {
    const std::string m = e.what();
    v = {Verdict::rejected, m};
    if (m.rfind(path + ": ", 0) != 0 || m.size() <= path.size() + 2)
      v = {Verdict::failed, type_name(typeid(e)) + " whose message does not start with \"" + path + ": \": " + m};
  } catch (const std::bad_alloc&) {
    v = {Verdict::failed, "std::bad_alloc: an allocation of more than 64 MiB (or memory exhausted)"};
  } catch (const std::exception& e) {
    v = {Verdict::failed, "foreign exception " + type_name(typeid(e)) + ": " + e.what()};
  } catch (...) {
    v = {Verdict::failed, "an exception not derived from std::exception"};
  }
  return std::nullopt;
}

Verdict failed(std::string what) { return {Verdict::failed, std::move(what)}; }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const std::string& path, const std::string& bytes) {
  // A new file each time: ext4 flushes a file truncated and rewritten in place on close (auto_da_alloc).
  std::remove(path.c_str());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

// ---------------------------------------------------------------------------
// .npy: an accepted file's data is exactly the file's tail and shape-sized,
// read<T> of another dtype is refused, and write() then read() gives it back.

template <class F>
auto with_dtype(npy::DType d, F&& f) {
  switch (d) {
    case npy::DType::i8: return f(std::int8_t{});
    case npy::DType::i16: return f(std::int16_t{});
    case npy::DType::i32: return f(std::int32_t{});
    case npy::DType::i64: return f(std::int64_t{});
    case npy::DType::f32: break;
  }
  return f(float{});
}

template <class T>
std::string bytes_of(const sdla::Tensor<T>& t) {
  return std::string(reinterpret_cast<const char*>(t.data()), t.size() * sizeof(T));
}

Verdict check_npy(const std::string& path, const std::string& scratch) {
  Verdict v;
  const auto h = guarded<npy::NpyError>(path, v, [&] { return npy::read_header(path); });
  if (!h) return v;
  const auto tensor = guarded<npy::NpyError>(path, v, [&] {
    return with_dtype(h->dtype, [&](auto tag) {
      const auto t = npy::read<decltype(tag)>(path);
      return std::pair{t.shape(), bytes_of(t)};
    });
  });
  if (!tensor) return v.outcome == Verdict::rejected ? failed("read_header accepted, read<T> refused: " + v.detail) : v;

  const auto& [shape, data] = *tensor;
  std::uint64_t count = 1;
  for (std::size_t d : h->shape) count *= d;  // wraps only with a 0 dimension, where the product is 0 anyway
  const std::string file = slurp(path);
  if (h->version_major < 1 || h->version_major > 3) return failed("version " + std::to_string(h->version_major));
  if (shape != h->shape) return failed("read<T> gave another shape than read_header");
  if (data.size() != count * npy::item_size(h->dtype))
    return failed("read " + std::to_string(data.size()) + " data bytes for " + std::to_string(count) + " elements");
  if (h->data_offset + data.size() != file.size() || file.compare(h->data_offset, data.size(), data) != 0)
    return failed("the data read is not the file's last " + std::to_string(data.size()) + " bytes");

  // Another dtype is refused, by name.
  const npy::DType other = h->dtype == npy::DType::i32 ? npy::DType::i64 : npy::DType::i32;
  Verdict mismatch;
  with_dtype(other, [&](auto tag) {
    guarded<npy::NpyError>(path, mismatch, [&] { return npy::read<decltype(tag)>(path).size(); });
    return 0;
  });
  if (mismatch.outcome != Verdict::rejected || mismatch.detail.find("dtype") == std::string::npos)
    return failed("read<" + std::string(npy::to_string(other)) + "> of a " + npy::to_string(h->dtype) +
                  " file: " + (mismatch.detail.empty() ? "accepted" : mismatch.detail));

  // write() and read() again: the same dtype, shape and bytes.
  const bool same = with_dtype(h->dtype, [&](auto tag) {
    using T = decltype(tag);
    sdla::Tensor<T> t(shape);
    if (!data.empty()) std::memcpy(t.data(), data.data(), data.size());
    std::remove(scratch.c_str());
    npy::write(scratch, t);
    const auto back = npy::read<T>(scratch);
    return npy::read_header(scratch).dtype == h->dtype && back.shape() == shape && bytes_of(back) == data;
  });
  if (!same) return failed("write() then read() does not give the tensor back");
  return v;
}

// ---------------------------------------------------------------------------
// Layer files: every accepted layer validates, has a name, and to_json ->
// file -> read_layer_file gives the same layers.

Verdict check_layer_file(const std::string& path, const std::string& scratch) {
  Verdict v;
  const auto layers = guarded<sdla::LayerError>(path, v, [&] { return sdla::read_layer_file(path); });
  if (!layers) return v;
  if (layers->empty()) return failed("accepted a file with no layers");
  json list = json::array();
  for (const sdla::Layer& l : *layers) {
    if (l.name.empty()) return failed("a layer without a name");
    try {
      l.validate();
    } catch (const std::exception& e) {
      return failed(std::string("accepted a layer that validate() refuses: ") + e.what());
    }
    list.push_back(sdla::to_json(l));
  }
  spit(scratch, json{{"layers", list}}.dump(1));
  Verdict again;
  const auto back = guarded<sdla::LayerError>(scratch, again, [&] { return sdla::read_layer_file(scratch); });
  if (!back) return failed("to_json of the accepted layers is refused: " + again.detail);
  json back_list = json::array();
  for (const sdla::Layer& l : *back) back_list.push_back(sdla::to_json(l));
  if (back_list != list) return failed("to_json -> read_layer_file changes the layers: " + list.dump());
  return v;
}

// ---------------------------------------------------------------------------
// Energy tables: every accepted energy is finite and non-negative, every
// entry is located in the file, the table overlays the defaults and prices
// an activity, and it survives being written back as YAML.

/// UTF-8 without control characters: what yaml-cpp's emitter writes so that it reads back the same
/// (it writes U+FFFD for bytes that are not UTF-8, and a '\r' in a plain scalar).
bool writable(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    i += n;
  }
  return true;
}

/// The entries as an ERT, or "" when a string is not writable().
std::string as_yaml(const sdla::EnergyTable& t) {
  for (const sdla::EnergyEntry& e : t.entries()) {
    bool ok = writable(e.component) && writable(e.action) && writable(e.source);
    for (const auto& [k, v] : e.arguments) ok = ok && writable(k) && writable(v);
    if (!ok) return "";
  }
  YAML::Emitter out;
  out.SetDoublePrecision(17);
  out << YAML::BeginMap << YAML::Key << "ERT" << YAML::Value << YAML::BeginMap << YAML::Key << "tables"
      << YAML::Value << YAML::BeginSeq;
  for (const sdla::EnergyEntry& e : t.entries()) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << e.component << YAML::Key << "actions"
        << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key << "name" << YAML::Value << e.action
        << YAML::Key << "energy" << YAML::Value << e.pj;
    if (!e.source.empty()) out << YAML::Key << "source" << YAML::Value << e.source;
    if (!e.arguments.empty()) out << YAML::Key << "arguments" << YAML::Value << e.arguments;
    out << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap << YAML::EndMap;
  return out.good() ? std::string(out.c_str()) : std::string();
}

Verdict check_energy_table(const std::string& path, const std::string& scratch) {
  Verdict v;
  const auto table = guarded<sdla::EnergyTableError>(path, v, [&] { return sdla::EnergyTable::from_file(path); });
  if (!table) return v;
  for (const sdla::EnergyEntry& e : table->entries()) {
    if (!std::isfinite(e.pj) || e.pj < 0) return failed("accepted the energy " + std::to_string(e.pj));
    if (e.where.rfind(path + ": ERT.tables[", 0) != 0) return failed("an entry located as \"" + e.where + "\"");
  }
  static const sdla::EnergyTable defaults = sdla::EnergyTable::defaults();
  sdla::EnergyTable all = defaults;
  all.overlay(*table);
  if (all.entries().size() < defaults.entries().size())
    return failed("overlaying the table lost default entries");
  sdla::Activity activity;
  for (const auto& [component, actions] : sdla::known_actions())
    for (const auto& action : actions) activity[component][action] = 1000;
  for (const char* precision : {"int8", "int16"}) {
    const sdla::Energy e = all.evaluate(activity, {{"precision", precision}, {"preset", "small"}});
    if (std::isnan(e.total_pj) || e.total_pj < 0) return failed("total energy " + std::to_string(e.total_pj));
  }
  table->unmatched_entries();  // must not throw

  const std::string yaml = as_yaml(*table);
  if (yaml.empty()) return v;  // a string the emitter cannot write back
  spit(scratch, yaml);
  Verdict again;
  const auto back =
      guarded<sdla::EnergyTableError>(scratch, again, [&] { return sdla::EnergyTable::from_file(scratch); });
  if (!back) return failed("the accepted entries written back as YAML are refused: " + again.detail);
  const auto& a = table->entries();
  const auto& b = back->entries();
  if (a.size() != b.size()) return failed("written back as YAML, the table has another number of entries");
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto diff = [&](const char* field, const std::string& x, const std::string& y) {
      return failed(a[i].where + ": written back as YAML, its " + field + " \"" + x + "\" reads back as \"" + y + "\"");
    };
    if (a[i].component != b[i].component) return diff("component", a[i].component, b[i].component);
    if (a[i].action != b[i].action) return diff("action", a[i].action, b[i].action);
    if (a[i].source != b[i].source) return diff("source", a[i].source, b[i].source);
    const auto args = [](const std::map<std::string, std::string>& m) {
      std::string s;
      for (const auto& [k, v] : m) s += k + "=" + v + " ";
      return s;
    };
    if (a[i].arguments != b[i].arguments) return diff("arguments", args(a[i].arguments), args(b[i].arguments));
    if (a[i].pj != b[i].pj) return diff("energy", std::to_string(a[i].pj), std::to_string(b[i].pj));
  }
  return v;
}

// ---------------------------------------------------------------------------
// The campaign

struct Reader {
  std::string name, ext;
  std::function<std::string(Rng&, std::string&)> mutate;  ///< case's document; appends what it did
  std::function<Verdict(const std::string&, const std::string&)> check;  ///< (input, scratch file)
  std::vector<std::string> seeds;  ///< documents that must be accepted as they are
};

Reader npy_reader() {
  static const std::vector<sdla::fuzz::NpyDoc> docs = sdla::fuzz::npy_seeds();
  static const std::vector<std::string> bytes = [] {
    std::vector<std::string> b;
    for (const auto& d : docs) b.push_back(d.bytes());
    return b;
  }();
  return {"Npy", ".npy", [](Rng& rng, std::string& what) { return sdla::fuzz::mutate_npy(docs, bytes, rng, what); },
          check_npy, bytes};
}

Reader layer_reader() {
  return {"LayerFile", ".json", [](Rng& rng, std::string& what) { return sdla::fuzz::mutate_layer_file(rng, what); },
          check_layer_file, sdla::fuzz::layer_seeds()};
}

Reader energy_reader() {
  return {"EnergyTable", ".yaml", sdla::fuzz::mutate_energy_table, check_energy_table, sdla::fuzz::energy_seeds()};
}

/// A work directory inside the failure directory (one file system, so a
/// crashing case's input can be renamed into place), removed afterwards; the
/// failure directory stays (empty: nothing failed), as tests may run in parallel.
class Workspace {
 public:
  explicit Workspace(const std::string& reader)
      : out_(SDLA_FUZZ_OUT), dir_(out_ / ("work-" + reader + "-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
  }
  ~Workspace() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }
  std::string kept(const std::string& name) const { return (out_ / name).string(); }

 private:
  fs::path out_, dir_;
};

void run_campaign(const Reader& r, std::uint64_t fallback_seed) {
  const std::uint64_t seed = sdla::test::seed(fallback_seed);
  const std::uint64_t cases = sdla::fuzz::env_count("SDLA_FUZZ_CASES", 3000);
  const std::optional<std::uint64_t> only = sdla::fuzz::env_case();
  std::error_code ec;
  const std::string exe = fs::read_symlink("/proc/self/exe", ec).string();
  const std::string filter = (exe.empty() ? "test_fuzz_readers" : exe) + " --gtest_filter=FuzzReaders." + r.name;
  crash::install();
  Workspace ws(r.name);
  const std::string scratch = ws.file("scratch" + r.ext);

  // The seeds themselves are accepted: the mutations start from valid documents.
  for (std::size_t i = 0; i < r.seeds.size(); ++i) {
    const std::string id = r.name + "-seed-document" + std::to_string(i), input = ws.file(id + r.ext);
    spit(input, r.seeds[i]);
    crash::arm("\nFuzzReaders." + r.name + ": seed document " + std::to_string(i) + " crashed the reader; kept as " +
                   ws.kept(id + r.ext) + "\n",
               input, ws.kept(id + r.ext));
    const Verdict v = r.check(input, scratch);
    crash::disarm();
    std::remove(input.c_str());
    EXPECT_EQ(v.outcome, Verdict::accepted) << "seed document " << i << ": " << v.detail;
  }

  std::uint64_t accepted = 0, rejected = 0, failures = 0;
  const std::uint64_t first = only ? *only : 0, end = only ? *only + 1 : cases;
  for (std::uint64_t i = first; i < end; ++i) {
    Rng rng = sdla::fuzz::case_rng(seed, r.name, i);
    std::string what;
    // Named after the case: whatever ends the process (a UBSan report runs no handler), its input stays behind.
    const std::string id = r.name + "-seed" + std::to_string(seed) + "-case" + std::to_string(i);
    const std::string input = ws.file(id + r.ext), keep = ws.kept(id + r.ext);
    spit(input, r.mutate(rng, what));
    const std::string replay =
        "SDLA_SEED=" + std::to_string(seed) + " SDLA_FUZZ_CASE=" + std::to_string(i) + " " + filter;
    if (only) std::cout << "case " << i << ": " << what << std::endl;
    crash::arm("\nFuzzReaders." + r.name + ": case " + std::to_string(i) + " of seed " + std::to_string(seed) + " (" +
                   what + ") crashed the reader; input kept as " + keep + "; replay: " + replay + "\n",
               input, keep);
    Verdict v;
    try {
      v = r.check(input, scratch);
    } catch (const std::exception& e) {  // the checks themselves (a reader call inside is guarded)
      v = failed(std::string("checking the result threw ") + e.what());
    }
    crash::disarm();
    accepted += v.outcome == Verdict::accepted;
    rejected += v.outcome == Verdict::rejected;
    if (only || v.outcome == Verdict::failed) fs::rename(input, keep);
    else std::remove(input.c_str());
    if (only)
      std::cout << "  " << (v.outcome == Verdict::accepted ? "accepted" : v.detail) << "\n  input kept as " << keep
                << "\n";
    if (v.outcome == Verdict::failed) {
      if (++failures <= 20)
        ADD_FAILURE() << "case " << i << " of seed " << seed << " (" << what << "): " << v.detail
                      << "\n  input kept as " << keep << "\n  replay: " << replay;
    }
  }
  std::cout << r.name << ": " << end - first << " cases, " << accepted << " accepted, " << rejected << " rejected, "
            << failures << " failed\n";
  EXPECT_EQ(failures, 0u);
  // The mutations neither break every document nor leave them all valid.
  if (!only && cases >= 200) {
    EXPECT_GT(accepted, cases / 50) << "mutations leave almost nothing valid";
    EXPECT_GT(rejected, cases / 2) << "mutations break almost nothing";
  }
}

TEST(FuzzReaders, Npy) { run_campaign(npy_reader(), 1); }
TEST(FuzzReaders, LayerFile) { run_campaign(layer_reader(), 1); }
TEST(FuzzReaders, EnergyTable) { run_campaign(energy_reader(), 1); }

// ---------------------------------------------------------------------------
// Regressions: inputs that broke a reader or nearly did, by extension; a name
// with ".reject." must be refused with the reader's error, ".accept." taken.

TEST(FuzzReaders, Regressions) {
  const std::vector<std::pair<std::string, Reader>> readers{
      {".npy", npy_reader()}, {".json", layer_reader()}, {".yaml", energy_reader()}};
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(SDLA_FUZZ_REGRESSIONS)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());

  crash::install();
  Workspace ws("Regressions");
  // Too large to keep as files: 400 KB of [[[...]]], and nesting far beyond yaml-cpp's limit and the npy parser's.
  const std::string deep_json = ws.file("deep_brackets.reject.json"), deep_yaml = ws.file("deep_flow.reject.yaml"),
                    deep_npy = ws.file("deep_literal.reject.npy");
  spit(deep_json, std::string(200000, '[') + std::string(200000, ']'));
  spit(deep_yaml, "ERT: " + sdla::fuzz::nested(100000, false, "1") + "\n");
  spit(deep_npy, sdla::fuzz::npy_doc("<i4", sdla::fuzz::nested(50000, false, "1"), "").bytes());
  files.insert(files.end(), {deep_json, deep_yaml, deep_npy});

  std::map<std::string, int> per_extension;
  for (const fs::path& f : files) {
    const std::string name = f.filename().string();
    const auto reader = std::find_if(readers.begin(), readers.end(),
                                     [&](const auto& r) { return r.first == f.extension().string(); });
    if (reader == readers.end()) {
      ADD_FAILURE() << name << ": no reader for this extension (.npy, .json, .yaml)";
      continue;
    }
    ++per_extension[reader->first];
    crash::arm("\nFuzzReaders.Regressions: " + f.string() + " crashed the reader\n", "", "");
    const Verdict v = reader->second.check(f.string(), ws.file("scratch" + reader->first));
    crash::disarm();
    EXPECT_NE(v.outcome, Verdict::failed) << name << ": " << v.detail;
    if (name.find(".reject.") != std::string::npos) {
      EXPECT_EQ(v.outcome, Verdict::rejected) << name << ": accepted";
    }
    if (name.find(".accept.") != std::string::npos) {
      EXPECT_EQ(v.outcome, Verdict::accepted) << name << ": " << v.detail;
    }
  }
  for (const auto& [ext, reader] : readers)
    EXPECT_GE(per_extension[ext], 4) << "regression files " << ext << " in " << SDLA_FUZZ_REGRESSIONS;
}

}  // namespace
