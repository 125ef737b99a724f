#include "rtl_test_util.hpp"

#include "seed.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#if SDLA_TEST_FST
#include "gtkwave/fstapi.h"
#endif

namespace sdla::test {

std::uint64_t test_seed() {
  static const std::uint64_t s = seed(20240611);  // tests/support/seed.hpp: prints "seed N"
  return s;
}

std::vector<std::int64_t> golden_psums(const MacPass& p) {
  std::vector<std::int64_t> out(std::size_t(p.vectors) * p.atomic_k, 0);
  std::vector<std::int64_t> dense(std::size_t(p.atomic_k) * p.act_lanes, 0);
  for (unsigned k = 0; k < p.columns; ++k)
    for (unsigned i = 0; i < p.lanes; ++i) {
      const std::size_t at = std::size_t(k) * p.lanes + i;
      if (p.weight_zero[at]) continue;
      const unsigned lane = p.format == WeightFormat::dense ? i : 4 * (i / 2) + p.weight_index[at];
      dense[std::size_t(k) * p.act_lanes + lane] += p.weights[at];
    }
  for (unsigned v = 0; v < p.vectors; ++v)
    for (unsigned k = 0; k < p.atomic_k; ++k) {
      std::int64_t sum = 0;
      for (unsigned l = 0; l < p.lanes_valid; ++l) {
        const std::size_t a = std::size_t(v) * p.act_lanes + l;
        if (!p.act_zero[a]) sum += dense[std::size_t(k) * p.act_lanes + l] * p.acts[a];
      }
      out[std::size_t(v) * p.atomic_k + k] = sum;
    }
  return out;
}

std::string to_string(const MacActivity& a) {
  std::ostringstream s;
  s << "{cycles " << a.cycles << ", random " << a.mac_random << ", gated " << a.mac_gated << ", idle "
    << a.mac_idle << ", act_toggles " << a.act_toggles << ", weight_toggles " << a.weight_toggles << "}";
  return s.str();
}

void set_shape(MacPass& p, unsigned columns, unsigned lanes_valid, unsigned vectors) {
  p.columns = columns;
  p.lanes_valid = lanes_valid;
  p.vectors = vectors;
}

std::int16_t PassGen::value(Precision precision) {
  const int lo = precision == Precision::int8 ? -128 : -32768;
  const int hi = precision == Precision::int8 ? 127 : 32767;
  switch (uniform(0, 9)) {
    case 0: return std::int16_t(lo);
    case 1: return std::int16_t(hi);
    case 2: return 0;
    case 3: return std::int16_t(int(uniform(0, 6)) - 3);
    default: return std::int16_t(std::uniform_int_distribution<int>(lo, hi)(rng_));
  }
}

void PassGen::sanitize(MacPass& p) {
  if (p.precision != Precision::int8) return;
  for (auto& w : p.weights)
    if (w < -128 || w > 127) w = value(Precision::int8);
  for (auto& a : p.acts)
    if (a < -128 || a > 127) a = value(Precision::int8);
}

void PassGen::legal_pair(std::uint8_t& idx0, std::uint8_t& idx1) {
  static const std::uint8_t pairs[6][2] = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};
  const unsigned n = uniform(0, 5);
  idx0 = pairs[n][0];
  idx1 = pairs[n][1];
}

void PassGen::random_pass(MacPass& p, const AcceleratorConfig& cfg, Precision precision, WeightFormat format,
                          unsigned max_vectors) {
  p.configure(cfg, precision, format, max_vectors);
  const bool sparse = format == WeightFormat::sparse_2_4;
  const unsigned max_lanes = sparse ? p.act_lanes : p.lanes;
  static const double densities[] = {0.0, 0.0, 0.05, 0.3, 0.5, 0.9, 1.0};
  const double wz = densities[uniform(0, 6)];
  const double az = densities[uniform(0, 6)];
  const unsigned columns = chance(0.6) ? p.atomic_k : uniform(0, p.atomic_k);
  const unsigned lanes_valid = chance(0.6) ? max_lanes : uniform(0, max_lanes);
  const unsigned vectors = chance(0.05) ? 0 : uniform(1, max_vectors);
  set_shape(p, columns, lanes_valid, vectors);

  // Values that never reach a register (zero-lined, invalid column or lane)
  // may be anything, even outside the int8 range.
  const bool int8 = precision == Precision::int8;
  for (std::size_t at = 0; at < p.weights.size(); ++at) {
    p.weights[at] = value(precision);
    p.weight_zero[at] = chance(wz) ? std::uint8_t(1 + uniform(0, 254)) : 0;  // any non-zero byte sets the line
    if (int8 && (p.weight_zero[at] || at / p.lanes >= columns) && chance(0.05)) p.weights[at] = 1000;
  }
  if (sparse) {
    for (std::size_t at = 0; at + 1 < p.weight_index.size(); at += 2) legal_pair(p.weight_index[at], p.weight_index[at + 1]);
    if (p.lanes % 2) p.weight_index.back() = std::uint8_t(uniform(0, 1));  // unpaired last lane
  } else {
    for (auto& idx : p.weight_index) idx = std::uint8_t(uniform(0, 255));  // ignored in dense mode
  }
  for (unsigned v = 0; v < vectors; ++v)
    for (unsigned l = 0; l < p.act_lanes; ++l) {
      const std::size_t at = std::size_t(v) * p.act_lanes + l;
      p.act_zero[at] = chance(az) ? 1 : 0;
      p.acts[at] = value(precision);
      if (int8 && (p.act_zero[at] || l >= lanes_valid) && chance(0.05)) p.acts[at] = -1000;
    }
  p.psums.assign(p.psums.size(), 0x5a5a5a5a5a5aLL);  // stale garbage must be overwritten
}

}  // namespace sdla::test

namespace sdla::test {

Vcd read_fst(const std::string& path) {
#if SDLA_TEST_FST
  // The header block opens every FST: block type FST_BL_HDR (0), then its
  // length, 329 bytes, as a big-endian 64-bit number.
  {
    std::ifstream in(path, std::ios::binary);
    unsigned char head[9] = {};
    if (!in.read(reinterpret_cast<char*>(head), sizeof head))
      throw std::runtime_error(path + ": shorter than an FST header");
    std::uint64_t len = 0;
    for (int i = 1; i < 9; ++i) len = len << 8 | head[i];
    if (head[0] != FST_BL_HDR || len != 329) throw std::runtime_error(path + ": no FST header block");
  }
  void* ctx = fstReaderOpen(path.c_str());
  if (!ctx) throw std::runtime_error(path + ": the FST reader cannot open it");
  Vcd out;
  out.bytes = std::size_t(std::filesystem::file_size(path));
  const int exponent = fstReaderGetTimescale(ctx);  // 10^exponent seconds
  const int unit = exponent >= 0 ? 0 : -((-exponent + 2) / 3) * 3;
  static const char* const units[] = {"s", "ms", "us", "ns", "ps", "fs", "as"};
  out.timescale = (exponent - unit == 0 ? "1" : exponent - unit == 1 ? "10" : "100") + std::string(units[-unit / 3]);
  // Scopes and variables; GTKWave shows a variable as its scopes, its name
  // and its range ("act [7:0]" in the file is "act[7:0]").
  std::vector<std::string> scopes;
  fstReaderIterateHierRewind(ctx);
  while (const fstHier* h = fstReaderIterateHier(ctx)) {
    if (h->htyp == FST_HT_SCOPE) {
      scopes.emplace_back(h->u.scope.name, h->u.scope.name_length);
    } else if (h->htyp == FST_HT_UPSCOPE) {
      if (scopes.empty()) throw std::runtime_error(path + ": unbalanced upscope");
      scopes.pop_back();
    } else if (h->htyp == FST_HT_VAR) {
      std::string full;
      for (const auto& sc : scopes) full += sc + ".";
      for (char c : std::string(h->u.var.name, h->u.var.name_length))
        if (c != ' ') full += c;
      out.signals.insert(full);
    }
  }
  if (!scopes.empty()) throw std::runtime_error(path + ": unbalanced scope");
  std::set<std::uint64_t> times;
  fstReaderSetFacProcessMaskAll(ctx);
  const int ok = fstReaderIterBlocks(
      ctx, [](void* user, std::uint64_t time, fstHandle, const unsigned char*) {
        static_cast<std::set<std::uint64_t>*>(user)->insert(time);
      },
      &times, nullptr);
  fstReaderClose(ctx);
  if (!ok) throw std::runtime_error(path + ": the FST reader cannot read its value changes");
  out.times.assign(times.begin(), times.end());
  return out;
#else
  throw std::runtime_error("read_fst(" + path + "): this build has no FST (SDLA_RTL_FST is off)");
#endif
}

Vcd read_vcd(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  Vcd vcd;
  std::vector<std::string> scopes;
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    vcd.bytes += line.size() + 1;
    std::istringstream words(line);
    std::string w;
    if (!(words >> w)) continue;
    if (header) {
      if (w == "$timescale") {
        std::string t;
        while (words >> t && t != "$end") vcd.timescale += t;
        if (vcd.timescale.empty() && std::getline(in, line)) {  // value on the next line
          std::istringstream next(line);
          next >> vcd.timescale;
        }
      } else if (w == "$scope") {
        std::string kind, name;
        words >> kind >> name;
        scopes.push_back(name);
      } else if (w == "$upscope") {
        if (scopes.empty()) throw std::runtime_error(path + ": unbalanced $upscope");
        scopes.pop_back();
      } else if (w == "$var") {
        std::string type, width, code, name, range;
        words >> type >> width >> code >> name >> range;
        std::string full;
        for (const auto& s : scopes) full += s + ".";
        full += name;
        if (range != "$end") full += range;
        vcd.signals.insert(full);
      } else if (w == "$enddefinitions") {
        header = false;
      }
      continue;
    }
    if (w[0] == '#') vcd.times.push_back(std::stoull(w.substr(1)));
  }
  if (header) throw std::runtime_error(path + ": no $enddefinitions (file incomplete)");
  if (!scopes.empty()) throw std::runtime_error(path + ": unbalanced $scope");
  return vcd;
}

std::vector<std::string> gtkw_signals(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '@' || line[0] == '[' || line[0] == '-' || line[0] == '*') continue;
    // "+{alias} TOP.signal": the signal is what follows the alias.
    if (line.rfind("+{", 0) == 0) line = line.substr(line.find("} ") + 2);
    out.push_back(line);
  }
  return out;
}

std::vector<std::string> gtkw_groups(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  std::string line, prev;
  while (std::getline(in, line)) {
    if (prev == "@800200" && !line.empty() && line[0] == '-') out.push_back(line.substr(1));
    prev = line;
  }
  return out;
}

}  // namespace sdla::test
