// Checkpoints (nn::save / nn::load): round trips, the documented byte layout, refusals that
// leave the module unchanged (other architectures, truncation, corruption, crafted sizes),
// and atomic saves that never damage an existing file.
#include <gtest/gtest.h>

#include "contract_net.hpp"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nn/nn.hpp>

#include "temp_dir.hpp"

namespace xg {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<unsigned char>;

using xg::testing::Net;

/// A float parameter, a 0-D buffer and an empty buffer, all of one dtype.
struct Mixed : nn::Module {
  Tensor w, count, nothing;
  explicit Mixed(Dtype d) {
    w = register_parameter("w", randn({2, 3}, d));
    count = register_buffer("count", full({}, 7.0, d));
    nothing = register_buffer("nothing", zeros({0, 4}, d));
  }
};

struct XAsParameter : nn::Module {
  XAsParameter() { register_parameter("x", ones({2})); }
};
struct XAsBuffer : nn::Module {
  XAsBuffer() { register_buffer("x", zeros({2})); }
};

nn::Sequential make_mlp(std::size_t hidden) {
  return nn::Sequential(nn::Linear(4, hidden), nn::BatchNorm1d(hidden), nn::ReLU(), nn::Linear(hidden, 3));
}

/// One training-mode forward: moves BatchNorm's running statistics away from their defaults.
void run_training_forward(nn::Module& model, std::size_t in = 4) {
  model.train();
  model(randn({16, in}) * 3.0 + 1.0);
}

// ---------------------------------------------------------------------------------- helpers

using xg::testing::TempDir;

Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

/// Every parameter and buffer by name, with its values: what "unchanged" compares.
using Snapshot = std::vector<std::pair<std::string, std::vector<double>>>;
Snapshot snapshot(const nn::Module& m) {
  Snapshot out;
  for (const auto& [name, t] : m.named_parameters()) out.emplace_back("param " + name, t.to_vector());
  for (const auto& [name, t] : m.named_buffers()) out.emplace_back("buffer " + name, t.to_vector());
  return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// Loads `path` into `model`, expecting a ValueError and an unchanged model; returns the message.
std::string refused(nn::Module& model, const std::string& path) {
  const Snapshot before = snapshot(model);
  std::string message;
  try {
    nn::load(model, path);
    ADD_FAILURE() << "load accepted " << path;
  } catch (const ValueError& e) {
    message = e.what();
  }
  EXPECT_EQ(snapshot(model), before) << "a refused load changed the module";
  return message;
}

void expect_mentions(const std::string& message, std::initializer_list<std::string> parts) {
  for (const auto& p : parts) EXPECT_TRUE(contains(message, p)) << "message lacks \"" << p << "\":\n  " << message;
}

// An independent implementation of the documented format (docs/checkpoints.md), for crafting
// files the writer would never produce.

std::uint64_t fnv1a64(const unsigned char* p, std::size_t n) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

void put_le(Bytes& b, std::size_t at, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b[at + i] = static_cast<unsigned char>(v >> (8 * i));
}

std::uint64_t get_le(const Bytes& b, std::size_t at, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= std::uint64_t{b[at + i]} << (8 * i);
  return v;
}

/// Rewrites the size field and the checksum so that only the deliberate change is "wrong".
void reseal(Bytes& b) {
  put_le(b, 12, b.size(), 8);
  put_le(b, b.size() - 8, fnv1a64(b.data(), b.size() - 8), 8);
}

struct Builder {
  Bytes b;
  explicit Builder(std::uint64_t count, std::uint32_t version = 1) {
    for (char c : std::string("XGRADCKP")) b.push_back(static_cast<unsigned char>(c));
    u32(version);
    u64(0);  // file size: set by finish
    u64(count);
  }
  Builder& u8(std::uint8_t v) { return le(v, 1); }
  Builder& u32(std::uint32_t v) { return le(v, 4); }
  Builder& u64(std::uint64_t v) { return le(v, 8); }
  Builder& str(const std::string& s) {
    u32(static_cast<std::uint32_t>(s.size()));
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Builder& f32(float v) {
    std::uint32_t u;
    std::memcpy(&u, &v, 4);
    return u32(u);
  }
  Builder& le(std::uint64_t v, int n) {
    b.resize(b.size() + static_cast<std::size_t>(n));
    put_le(b, b.size() - static_cast<std::size_t>(n), v, n);
    return *this;
  }
  Bytes finish() {
    u64(0);
    reseal(b);
    return b;
  }
};

/// Entry "x": kind, float32, shape {2}, values {a, b}.
Builder& x_entry(Builder& f, std::uint8_t kind = 0, float a = 5, float b = 6) {
  return f.u8(kind).str("x").u8(0).u32(1).u64(2).f32(a).f32(b);
}

/// RAII: a soft limit on the size of files this process writes (EFBIG past it, as a full disk
/// would fail a write), with SIGXFSZ ignored so the failure is an error code, not a signal.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    previous_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    rlimit lowered = saved_;
    lowered.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &lowered);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    ::signal(SIGXFSZ, previous_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
  void (*previous_handler_)(int) = nullptr;
};

// ---------------------------------------------------------------------------------- round trips

TEST(Checkpoint, RoundTripSequentialWithBatchNorm) {
  TempDir dir;
  const std::string path = dir.file("mlp.ckpt");
  manual_seed(1);
  auto a = make_mlp(8);
  run_training_forward(a);
  auto* bn = dynamic_cast<nn::BatchNorm1d*>(&a[1]);
  ASSERT_NE(bn, nullptr);
  EXPECT_NE(bn->running_mean.to_vector(), std::vector<double>(8, 0.0)) << "the forward should move the stats";
  nn::save(a, path);

  manual_seed(2);
  auto b = make_mlp(8);
  ASSERT_NE(snapshot(a), snapshot(b));
  const Tensor b_weight = b.named_parameters()[0].second;  // a handle an optimizer would hold
  nn::load(b, path);
  EXPECT_EQ(snapshot(b), snapshot(a));
  EXPECT_EQ(b_weight.to_vector(), a.named_parameters()[0].second.to_vector()) << "loaded in place";
  for (const auto& p : b.parameters()) {
    EXPECT_TRUE(p.requires_grad());
    EXPECT_TRUE(p.is_leaf());
  }

  a.eval();
  b.eval();
  const Tensor x = randn({5, 4});
  EXPECT_EQ(a(x).to_vector(), b(x).to_vector());
  b.train();
  b(randn({5, 4})).sum().backward();  // still trainable after a load
  EXPECT_TRUE(b_weight.grad().defined());
}

TEST(Checkpoint, UserSubclassFromTheContractRoundTrips) {
  TempDir dir;
  const std::string path = dir.file("net.ckpt");
  manual_seed(3);
  Net a;
  manual_seed(4);
  Net b;
  ASSERT_NE(snapshot(a), snapshot(b));
  nn::save(a, path);
  nn::load(b, path);
  EXPECT_EQ(snapshot(b), snapshot(a));
  const Tensor x = randn({2, 784});
  EXPECT_EQ(a(x).to_vector(), b(x).to_vector());
  EXPECT_EQ(b.fc1.weight.to_vector(), a.fc1.weight.to_vector()) << "the member handles see the values";
}

TEST(Checkpoint, Float64ScalarAndEmptyTensorsRoundTrip) {
  TempDir dir;
  const std::string path = dir.file("mixed.ckpt");
  manual_seed(5);
  Mixed a(kFloat64);
  {
    NoGradGuard no_grad;
    a.count.fill_(0.1);  // a value float32 cannot hold exactly
  }
  Mixed b(kFloat64);
  nn::save(a, path);
  nn::load(b, path);
  EXPECT_EQ(snapshot(b), snapshot(a));
  EXPECT_EQ(b.count.item(), 0.1);
  EXPECT_EQ(b.nothing.shape(), (Shape{0, 4}));
}

TEST(Checkpoint, FileLayoutIsTheDocumentedOne) {
  TempDir dir;
  const std::string path = dir.file("linear.ckpt");
  nn::Linear lin(2, 1);
  nn::save(lin, path);
  const Bytes b = read_bytes(path);
  ASSERT_EQ(b.size(), 28u + 40u + 26u + 8u);
  EXPECT_EQ(std::string(b.begin(), b.begin() + 8), "XGRADCKP");
  EXPECT_EQ(get_le(b, 8, 4), 1u);        // version
  EXPECT_EQ(get_le(b, 12, 8), b.size());  // file size
  EXPECT_EQ(get_le(b, 20, 8), 2u);       // entries
  // entry 0: parameter "weight", float32, {1, 2}
  EXPECT_EQ(b[28], 0);
  EXPECT_EQ(get_le(b, 29, 4), 6u);
  EXPECT_EQ(std::string(b.begin() + 33, b.begin() + 39), "weight");
  EXPECT_EQ(b[39], 0);
  EXPECT_EQ(get_le(b, 40, 4), 2u);
  EXPECT_EQ(get_le(b, 44, 8), 1u);
  EXPECT_EQ(get_le(b, 52, 8), 2u);
  float w[2];
  std::memcpy(w, b.data() + 60, 8);  // the test host is little-endian, as the file
  EXPECT_EQ(w[0], lin.weight.data_ptr<float>()[0]);
  EXPECT_EQ(w[1], lin.weight.data_ptr<float>()[1]);
  // entry 1: parameter "bias", float32, {1}
  EXPECT_EQ(b[68], 0);
  EXPECT_EQ(get_le(b, 69, 4), 4u);
  EXPECT_EQ(std::string(b.begin() + 73, b.begin() + 77), "bias");
  EXPECT_EQ(get_le(b, 78, 4), 1u);
  EXPECT_EQ(get_le(b, 82, 8), 1u);
  // checksum: FNV-1a 64 over everything before it
  EXPECT_EQ(get_le(b, b.size() - 8, 8), fnv1a64(b.data(), b.size() - 8));

  // And a file built from the documentation alone loads.
  XAsParameter m;
  Builder f(1);
  write_bytes(path, x_entry(f).finish());
  nn::load(m, path);
  EXPECT_EQ(m.named_parameters()[0].second.to_vector(), (std::vector<double>{5, 6}));
}

TEST(Checkpoint, SavingTwiceReplacesTheFileAndLeavesNoTemporaryFile) {
  TempDir dir;
  const std::string path = dir.file("m.ckpt");
  manual_seed(6);
  auto a = make_mlp(4);
  nn::save(a, path);
  run_training_forward(a);
  nn::save(a, path);
  EXPECT_EQ(dir.listing(), (std::vector<std::string>{"m.ckpt"}));
  auto b = make_mlp(4);
  nn::load(b, path);
  EXPECT_EQ(snapshot(b), snapshot(a));
}

// ---------------------------------------------------------------------------------- mismatches

TEST(Checkpoint, OtherLayerSizesAreRefusedNamingTheEntries) {
  TempDir dir;
  const std::string path = dir.file("h8.ckpt");
  nn::save(make_mlp(8), path);
  auto other = make_mlp(6);
  const std::string msg = refused(other, path);
  expect_mentions(msg, {path, "'0.weight'", "[6, 4]", "[8, 4]", "'1.running_mean'", "'3.weight'", "[3, 6]"});

  // Many mismatches: the message lists the first few and counts the rest.
  nn::Sequential narrow, wide;
  for (int i = 0; i < 10; ++i) {
    narrow.push_back(nn::Linear(2, 2));
    wide.push_back(nn::Linear(3, 3));
  }
  nn::save(narrow, path);
  expect_mentions(refused(wide, path), {"'0.weight'", "12 more mismatched entries"});
}

TEST(Checkpoint, ExtraOrMissingLayersAreRefusedNamingTheEntries) {
  TempDir dir;
  const std::string path = dir.file("h8.ckpt");
  nn::save(make_mlp(8), path);

  nn::Sequential deeper(nn::Linear(4, 8), nn::BatchNorm1d(8), nn::ReLU(), nn::Linear(8, 3), nn::ReLU(),
                        nn::Linear(3, 2));
  expect_mentions(refused(deeper, path), {path, "missing", "'5.weight'", "'5.bias'"});

  nn::Sequential shallower(nn::Linear(4, 8), nn::BatchNorm1d(8));
  expect_mentions(refused(shallower, path), {path, "unexpected", "'3.weight'", "'3.bias'"});

  Net net;
  expect_mentions(refused(net, path), {"missing", "'fc1.weight'", "unexpected", "'0.weight'"});
}

TEST(Checkpoint, DtypeMismatchIsRefusedNotConverted) {
  TempDir dir;
  const std::string path = dir.file("f64.ckpt");
  nn::save(Mixed(kFloat64), path);
  Mixed f32(kFloat32);
  expect_mentions(refused(f32, path), {path, "'w'", "float32", "float64", "'count'"});
}

TEST(Checkpoint, KindMismatchIsRefused) {
  TempDir dir;
  const std::string path = dir.file("x.ckpt");
  nn::save(XAsParameter(), path);
  XAsBuffer m;
  expect_mentions(refused(m, path), {path, "'x'", "buffer", "parameter"});
}

// ---------------------------------------------------------------------------------- damaged files

TEST(Checkpoint, TruncationAtEveryOffsetIsRefused) {
  TempDir dir;
  const std::string good = dir.file("good.ckpt"), cut = dir.file("cut.ckpt");
  manual_seed(7);
  nn::Sequential saved(nn::Linear(3, 2), nn::BatchNorm1d(2));
  run_training_forward(saved, 3);
  nn::save(saved, good);
  const Bytes bytes = read_bytes(good);
  nn::Sequential model(nn::Linear(3, 2), nn::BatchNorm1d(2));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    write_bytes(cut, Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n)));
    const std::string msg = refused(model, cut);
    EXPECT_TRUE(contains(msg, cut)) << "cut at " << n << ": " << msg;
  }
  nn::load(model, good);  // and the model still takes the whole file
  EXPECT_EQ(snapshot(model), snapshot(saved));
}

TEST(Checkpoint, AFlippedByteAnywhereIsRefused) {
  TempDir dir;
  const std::string good = dir.file("good.ckpt"), bad = dir.file("bad.ckpt");
  manual_seed(8);
  nn::Sequential saved(nn::Linear(3, 2), nn::BatchNorm1d(2));
  nn::save(saved, good);
  const Bytes bytes = read_bytes(good);
  nn::Sequential model(nn::Linear(3, 2), nn::BatchNorm1d(2));
  std::size_t checksum_errors = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (unsigned char mask : {0x01, 0x80, 0xff}) {
      Bytes b = bytes;
      b[i] ^= mask;
      write_bytes(bad, b);
      const std::string msg = refused(model, bad);
      EXPECT_TRUE(contains(msg, bad)) << "byte " << i << " ^ " << int{mask} << ": " << msg;
      checksum_errors += contains(msg, "checksum");
    }
  }
  // Outside the magic, version and size fields, the checksum is what catches it.
  EXPECT_EQ(checksum_errors, 3 * (bytes.size() - 20));
}

TEST(Checkpoint, HugeDeclaredSizesAreRefusedWithoutAllocating) {
  TempDir dir;
  const std::string path = dir.file("crafted.ckpt");
  XAsParameter model;
  auto expect_refused = [&](Bytes bytes, std::initializer_list<std::string> parts) {
    write_bytes(path, bytes);
    expect_mentions(refused(model, path), parts);
  };
  // Each file has a valid size field and checksum: only the structure can catch it.
  expect_refused(Builder(~std::uint64_t{0}).finish(), {"18446744073709551615 entries"});
  expect_refused(Builder(1).u8(0).u32(0xffffffffu).u64(0).u64(0).finish(), {"entry 0", "name", "4294967295"});
  expect_refused(Builder(1).u8(0).str("x").u8(0).u32(0xffffffffu).finish(), {"'x'", "4294967295 dimensions"});
  expect_refused(Builder(1).u8(0).str("x").u8(1).u32(1).u64(std::uint64_t{1} << 62).finish(),
                 {"'x'", "4611686018427387904"});
  expect_refused(Builder(1).u8(0).str("x").u8(0).u32(3).u64(1ull << 32).u64(1ull << 32).u64(1ull << 32).finish(),
                 {"'x'", "overflow"});
  // A size field that disagrees with the file.
  Builder honest(1);
  Bytes lying = x_entry(honest).finish();
  put_le(lying, 12, ~std::uint64_t{0}, 8);
  expect_refused(lying, {"declares", "truncated"});
}

TEST(Checkpoint, MalformedEntriesAreRefused) {
  TempDir dir;
  const std::string path = dir.file("crafted.ckpt");
  XAsParameter model;
  auto check = [&](Builder& f, std::initializer_list<std::string> parts) {
    write_bytes(path, f.finish());
    expect_mentions(refused(model, path), parts);
  };
  Builder unknown_kind(1);
  check(x_entry(unknown_kind, 2), {"'x'", "kind"});
  Builder unknown_dtype(1);
  check(unknown_dtype.u8(0).str("x").u8(7).u32(1).u64(2).u64(0), {"'x'", "dtype"});
  Builder duplicate(2);
  x_entry(duplicate);
  check(x_entry(duplicate), {"'x'", "more than once"});
  Builder trailing(1);
  x_entry(trailing).u32(0);
  check(trailing, {"after the last entry"});
  Builder short_count(2);
  check(x_entry(short_count), {"entry 1"});
  Builder odd_name(1);
  check(odd_name.u8(0).str("y\n").u8(0).u32(0).f32(1), {"unexpected", "'y\\x0a'", "missing", "'x'"});
}

TEST(Checkpoint, WrongMagicOrVersionIsRefused) {
  TempDir dir;
  const std::string good = dir.file("good.ckpt"), bad = dir.file("bad.ckpt");
  nn::Linear model(2, 2);
  nn::save(model, good);
  const Bytes bytes = read_bytes(good);

  Bytes b = bytes;
  b[0] = 'Y';
  reseal(b);
  write_bytes(bad, b);
  expect_mentions(refused(model, bad), {bad, "not an xgrad checkpoint"});

  b = bytes;
  put_le(b, 8, 2, 4);
  reseal(b);
  write_bytes(bad, b);
  expect_mentions(refused(model, bad), {bad, "version 2", "version 1"});

  write_bytes(bad, Bytes{'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0});  // a zip file (torch.save)
  expect_mentions(refused(model, bad), {bad, "not an xgrad checkpoint"});
  write_bytes(bad, {});
  expect_mentions(refused(model, bad), {bad, "empty"});
  write_bytes(bad, Bytes{'X', 'G', 'R', 'A', 'D'});
  expect_mentions(refused(model, bad), {bad, "truncated"});
}

// ---------------------------------------------------------------------------------- paths

TEST(Checkpoint, LoadingAMissingFileOrADirectoryNamesThePath) {
  TempDir dir;
  nn::Linear model(2, 2);
  const std::string missing = dir.file("nope.ckpt");
  expect_mentions(refused(model, missing), {missing, "No such file or directory"});
  fs::create_directory(dir.file("sub"));
  expect_mentions(refused(model, dir.file("sub")), {dir.file("sub"), "directory"});
  expect_mentions(refused(model, ""), {"empty"});
}

TEST(Checkpoint, SavingIntoAMissingDirectoryOrUnderAFileNamesThePath) {
  TempDir dir;
  nn::Linear model(2, 2);
  const std::string missing_dir = dir.file("no/such/dir/m.ckpt");
  try {
    nn::save(model, missing_dir);
    ADD_FAILURE() << "saved into a missing directory";
  } catch (const ValueError& e) {
    expect_mentions(e.what(), {missing_dir, "No such file or directory"});
  }
  write_bytes(dir.file("plain"), Bytes{1, 2, 3});
  const std::string under_file = dir.file("plain/m.ckpt");
  try {
    nn::save(model, under_file);
    ADD_FAILURE() << "saved under a regular file";
  } catch (const ValueError& e) {
    expect_mentions(e.what(), {under_file, "Not a directory"});
  }
  EXPECT_THROW(nn::save(model, ""), ValueError);
  EXPECT_EQ(dir.listing(), (std::vector<std::string>{"plain"}));
}

TEST(Checkpoint, SavingIntoAReadOnlyDirectoryNamesThePath) {
  TempDir dir;
  const std::string ro = dir.file("ro");
  fs::create_directory(ro);
  fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
  if (::access(ro.c_str(), W_OK) == 0)
    GTEST_SKIP() << "this process may write into a read-only directory (root?); nothing to test";
  nn::Linear model(2, 2);
  const std::string path = ro + "/m.ckpt";
  try {
    nn::save(model, path);
    ADD_FAILURE() << "saved into a read-only directory";
  } catch (const ValueError& e) {
    expect_mentions(e.what(), {path, "Permission denied"});
  }
}

TEST(Checkpoint, AFailedSaveKeepsThePreviousFileAndLeavesNoTemporaryFile) {
  TempDir dir;
  const std::string path = dir.file("model.ckpt");
  manual_seed(9);
  auto model = make_mlp(8);
  nn::save(model, path);
  const Bytes good = read_bytes(path);
  const Snapshot saved = snapshot(model);

  run_training_forward(model);  // a different checkpoint this time
  {
    FileSizeLimit limit(64);  // the write fails part-way, as on a full disk
    try {
      nn::save(model, path);
      ADD_FAILURE() << "the save should have failed";
    } catch (const ValueError& e) {
      expect_mentions(e.what(), {path, "File too large"});
    }
  }
  EXPECT_EQ(read_bytes(path), good) << "the previous checkpoint was damaged";
  EXPECT_EQ(dir.listing(), (std::vector<std::string>{"model.ckpt"})) << "a temporary file was left behind";
  auto fresh = make_mlp(8);
  nn::load(fresh, path);
  EXPECT_EQ(snapshot(fresh), saved);
}

TEST(Checkpoint, SavingOverADirectoryFailsAtTheRenameAndCleansUp) {
  TempDir dir;
  const std::string path = dir.file("taken");
  fs::create_directory(path);
  nn::Linear model(2, 2);
  try {
    nn::save(model, path);
    ADD_FAILURE() << "saved over a directory";
  } catch (const ValueError& e) {
    expect_mentions(e.what(), {path, "renaming"});
  }
  EXPECT_EQ(dir.listing(), (std::vector<std::string>{"taken"}));
  EXPECT_TRUE(fs::is_empty(path));
}

}  // namespace
}  // namespace xg
