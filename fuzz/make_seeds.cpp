// Writes the valid seed files of fuzz/corpus/ (the regression files next to them are kept by
// hand): `make_fuzz_seeds <corpus-dir>`. Each file is the harness's option byte followed by the
// file's bytes (fuzz/README.md); the checkpoint seeds are written by xgrad's own save functions
// for exactly the module and optimizers the harness loads into.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/loader_harness.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;
namespace fl = xg::fuzz_loaders;

std::string g_dir;

void put(const std::string& target, const std::string& name, std::uint8_t option, const Bytes& body) {
  const std::string path = g_dir + "/" + target + "/" + name;
  std::ofstream out(path, std::ios::binary);
  out.put(static_cast<char>(option));
  out.write(reinterpret_cast<const char*>(body.data()), static_cast<std::streamsize>(body.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
  // Every seed must pass through its harness without a finding.
  const Bytes all = [&] {
    Bytes b{option};
    b.insert(b.end(), body.begin(), body.end());
    return b;
  }();
  const fl::Outcome r = target == "csv" ? fl::run_csv(all.data(), all.size())
                        : target == "idx" ? fl::run_idx(all.data(), all.size())
                                          : fl::run_checkpoint(all.data(), all.size());
  std::cout << path << ": " << (r == fl::Outcome::Loaded ? "loads" : "refused") << "\n";
}

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes idx(std::uint8_t code, const std::vector<std::uint32_t>& shape, const Bytes& values) {
  Bytes b{0, 0, code, static_cast<std::uint8_t>(shape.size())};
  for (auto e : shape)
    for (int i = 3; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(e >> (8 * i)));
  b.insert(b.end(), values.begin(), values.end());
  return b;
}

Bytes file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_fuzz_seeds <corpus-dir>\n";
    return 2;
  }
  g_dir = argv[1];

  // ---- CSV (option byte: bit 0 header, bit 1 float64, bits 2-3 delimiter , ; tab space,
  //      bits 4-5 skip_rows, bits 6-7 label column -1 0 1 -2)
  put("csv", "seed-basic", 0x00, text("1,2,0\n3,4,1\n5.5,-6e2,2\n"));
  put("csv", "seed-header-crlf", 0x01, text("a,b,label\r\n1.0, 2.0 ,1\r\n\r\n+3,4,0\r\n"));
  put("csv", "seed-semicolon-f64-label0", 0x46, text("0;1.25;2.5\n1;3.75;5e-3\n"));
  put("csv", "seed-tab-skip", 0x18, text("# comment\n1\t2\t3\n4\t5\t6\n"));
  put("csv", "seed-space-label1", 0x8c, text("1 2 3\n4 5 6\n"));
  put("csv", "seed-ragged", 0x00, text("1,2,3\n4,5\n"));
  put("csv", "seed-nan", 0x00, text("1,nan\n2,3\n"));

  // ---- IDX (option byte: bit 0 float64, bit 1 dataset, bit 2 scale to unit)
  put("idx", "seed-ubyte-2x3", 0x00, idx(0x08, {2, 3}, {0, 1, 2, 253, 254, 255}));
  put("idx", "seed-byte-4", 0x01, idx(0x09, {4}, {0x80, 0xff, 0, 0x7f}));
  put("idx", "seed-int16-2", 0x00, idx(0x0B, {2}, {0x80, 0x00, 0x12, 0x34}));
  put("idx", "seed-int32-1", 0x01, idx(0x0C, {1}, {0xff, 0xff, 0xff, 0xfe}));
  put("idx", "seed-float32-scalar", 0x00, idx(0x0D, {}, {0x3f, 0xc0, 0x00, 0x00}));
  put("idx", "seed-float64-1", 0x01, idx(0x0E, {1}, {0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18}));
  put("idx", "seed-empty-0x5", 0x00, idx(0x08, {0, 5}, {}));
  {
    const Bytes images = idx(0x08, {2, 2, 2}, {0, 64, 128, 255, 1, 2, 3, 4});
    const Bytes labels = idx(0x08, {2}, {3, 7});
    Bytes both{static_cast<std::uint8_t>(images.size() >> 8), static_cast<std::uint8_t>(images.size())};
    both.insert(both.end(), images.begin(), images.end());
    both.insert(both.end(), labels.begin(), labels.end());
    put("idx", "seed-dataset", 0x06, both);
    put("idx", "seed-dataset-f64", 0x03, both);
  }

  // ---- checkpoints (option byte: bits 0-1 target, bit 2 fix up size and checksum)
  const std::string tmp = "/tmp/xgrad-make-seeds-" + std::to_string(::getpid()) + ".ckpt";
  {
    auto net = fl::make_net();
    xg::nn::save(net, tmp);
    const Bytes b = file_bytes(tmp);
    put("checkpoint", "seed-net", 0x00, b);
    put("checkpoint", "seed-net-fixup", 0x04, b);
  }
  const char* names[] = {"", "adam", "momentum-steplr", "rmsprop-plateau"};
  for (int kind = 1; kind <= 3; ++kind) {
    auto fresh = fl::make_optimizer(kind);
    if (fresh.sched) xg::optim::save_state(*fresh.opt, *fresh.sched, tmp);
    else xg::optim::save_state(*fresh.opt, tmp);
    put("checkpoint", std::string("seed-") + names[kind] + "-fresh", static_cast<std::uint8_t>(kind | 4),
        file_bytes(tmp));
    auto stepped = fl::make_optimizer(kind);
    fl::take_step(stepped);
    if (stepped.sched) xg::optim::save_state(*stepped.opt, *stepped.sched, tmp);
    else xg::optim::save_state(*stepped.opt, tmp);
    const Bytes b = file_bytes(tmp);
    put("checkpoint", std::string("seed-") + names[kind] + "-stepped", static_cast<std::uint8_t>(kind), b);
    put("checkpoint", std::string("seed-") + names[kind] + "-stepped-fixup", static_cast<std::uint8_t>(kind | 4), b);
  }
  std::remove(tmp.c_str());
}
