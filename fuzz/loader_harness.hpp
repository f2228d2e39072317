#pragma once
// The loader fuzzers' harness, shared by the libFuzzer targets (fuzz/fuzz_*.cpp) and by the
// corpus replay in the ordinary test suite (tests/test_loader_corpus.cpp), so that every file
// in fuzz/corpus/ runs through exactly the same code under every build of the tests.
//
// An input is one option byte followed by the file's bytes (see fuzz/README.md). The file goes
// to an anonymous in-memory file (memfd), which the loader opens by its /proc/self/fd path.
//
// Contract checked here: a loader either succeeds or throws one of xgrad's typed errors
// (xg::ValueError, xg::ShapeError, xg::GraphError) — run_* catch those and return Refused.
// Anything else escapes: std::bad_alloc, another exception, or a HarnessFinding, which the
// harness throws itself when a refused checkpoint load changed the module or optimizer it was
// loading into (load and load_state promise all or nothing). Crashes, sanitizer reports and
// allocations over libFuzzer's -malloc_limit_mb are findings too.
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nn/nn.hpp>
#include <optim/optim.hpp>

namespace xg::fuzz_loaders {

/// A contract violation the harness detects itself (not one of xgrad's typed errors).
struct HarnessFinding : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class Outcome { Loaded, Refused };

/// One reusable in-memory file per slot; path() names it for the loaders.
class MemFile {
 public:
  explicit MemFile(const char* name) : fd_(::memfd_create(name, MFD_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error(std::string("memfd_create: ") + std::strerror(errno));
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;

  const std::string& path() const { return path_; }
  void assign(const std::uint8_t* data, std::size_t size) {
    if (::ftruncate(fd_, 0) != 0) throw std::runtime_error("ftruncate failed");
    std::size_t done = 0;
    while (done < size) {
      const ssize_t w = ::pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) throw std::runtime_error(std::string("pwrite: ") + std::strerror(errno));
      done += static_cast<std::size_t>(w);
    }
  }

 private:
  int fd_;
  std::string path_;
};

inline MemFile& slot(int i) {
  static MemFile a("xgrad-fuzz-a"), b("xgrad-fuzz-b");
  return i == 0 ? a : b;
}

/// Runs `f`, mapping xgrad's typed errors to Refused; everything else propagates.
template <class F>
Outcome guarded(F&& f) {
  try {
    f();
    return Outcome::Loaded;
  } catch (const ValueError&) {
    return Outcome::Refused;
  } catch (const ShapeError&) {
    return Outcome::Refused;
  } catch (const GraphError&) {
    return Outcome::Refused;
  }
}

// ------------------------------------------------------------------------------------ CSV
// Option byte: bit 0 has_header; bit 1 float64; bits 2-3 delimiter (, ; tab space);
// bits 4-5 skip_rows (0..3); bits 6-7 label_column (-1, 0, 1, -2).
inline Outcome run_csv(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return Outcome::Refused;
  const std::uint8_t opt = data[0];
  static constexpr char kDelims[] = {',', ';', '\t', ' '};
  static constexpr int kLabels[] = {-1, 0, 1, -2};
  nn::CsvOptions o;
  o.has_header = opt & 1;
  o.dtype = (opt & 2) ? kFloat64 : kFloat32;
  o.delimiter = kDelims[(opt >> 2) & 3];
  o.skip_rows = (opt >> 4) & 3;
  o.label_column = kLabels[(opt >> 6) & 3];
  slot(0).assign(data + 1, size - 1);
  return guarded([&] {
    const nn::TensorDataset ds = nn::load_csv(slot(0).path(), o);
    (void)ds.size();
  });
}

// ------------------------------------------------------------------------------------ IDX
// Option byte: bit 0 float64; bit 1 two files through load_idx_dataset (the next two bytes, big
// endian, give the length of the first file, capped at what is there); bit 2 scale_to_unit.
inline Outcome run_idx(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return Outcome::Refused;
  const std::uint8_t opt = data[0];
  const Dtype dtype = (opt & 1) ? kFloat64 : kFloat32;
  ++data;
  --size;
  if (!(opt & 2)) {
    slot(0).assign(data, size);
    return guarded([&] { (void)nn::load_idx(slot(0).path(), dtype); });
  }
  if (size < 2) return Outcome::Refused;
  std::size_t first = (std::size_t{data[0]} << 8) | data[1];
  data += 2;
  size -= 2;
  if (first > size) first = size;
  slot(0).assign(data, first);
  slot(1).assign(data + first, size - first);
  return guarded([&] { (void)nn::load_idx_dataset(slot(0).path(), slot(1).path(), opt & 4, dtype); });
}

// ------------------------------------------------------------------------------ checkpoints
// Option byte: bits 0-1 what loads the file: 0 nn::load into net(), 1 optim::load_state into
// Adam over its parameters, 2 into Momentum with a StepLR schedule, 3 into RMSprop with
// ReduceLROnPlateau. Bit 2: before writing the file, set its size field (offset 12) to the real
// size and its last 8 bytes to the checksum of the rest, so that mutations get past the envelope
// checks into the parser (fuzzing the structure behind a checksum).

/// The module nn::load fills: Linear(3, 4), BatchNorm1d(4) (two buffers), ReLU, Linear(4, 2).
inline nn::Sequential make_net() {
  manual_seed(7);
  return nn::Sequential(nn::Linear(3, 4), nn::BatchNorm1d(4), nn::ReLU(), nn::Linear(4, 2));
}

inline void fix_envelope(std::vector<std::uint8_t>& f) {
  if (f.size() >= 20) {
    const std::uint64_t n = f.size();
    for (int i = 0; i < 8; ++i) f[12 + i] = static_cast<std::uint8_t>(n >> (8 * i));
  }
  if (f.size() >= 36) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (std::size_t i = 0; i + 8 < f.size(); ++i) h = (h ^ f[i]) * 0x100000001b3ULL;
    for (int i = 0; i < 8; ++i) f[f.size() - 8 + i] = static_cast<std::uint8_t>(h >> (8 * i));
  }
}

/// Every bit of a set of tensors (and whether each is defined), to compare before and after.
inline std::vector<std::uint8_t> snapshot_tensors(const std::vector<Tensor>& ts) {
  std::vector<std::uint8_t> out;
  for (const auto& t : ts) {
    out.push_back(t.defined() ? 1 : 0);
    if (!t.defined()) continue;
    const std::vector<double> v = t.to_vector();
    const auto* p = reinterpret_cast<const std::uint8_t*>(v.data());
    out.insert(out.end(), p, p + v.size() * sizeof(double));
    for (auto e : t.shape()) out.push_back(static_cast<std::uint8_t>(e));
  }
  return out;
}

struct OptimizerUnderTest {
  nn::Sequential net = make_net();
  std::unique_ptr<optim::Optimizer> opt;
  std::unique_ptr<optim::Scheduler> sched;
};

/// The optimizers (with their schedules) load_state fills, built once; kind 1..3.
inline OptimizerUnderTest make_optimizer(int kind) {
  OptimizerUnderTest u;
  if (kind == 1) {
    u.opt = std::make_unique<optim::Adam>(u.net.parameters(), optim::AdamOptions{.lr = 0.01});
  } else if (kind == 2) {
    u.opt = std::make_unique<optim::Momentum>(u.net.parameters(), optim::MomentumOptions{.lr = 0.1});
    u.sched = std::make_unique<optim::StepLR>(*u.opt, 2, 0.5);
  } else {
    u.opt = std::make_unique<optim::RMSprop>(u.net.parameters(), optim::RMSpropOptions{.lr = 0.01});
    u.sched = std::make_unique<optim::ReduceLROnPlateau>(*u.opt);
  }
  return u;
}

/// One training step, so that every state slot holds something (for the seed files).
inline void take_step(OptimizerUnderTest& u) {
  u.net.train();
  auto x = from_vector({0.5, -1.0, 2.0, 1.5, 0.25, -0.75}, {2, 3});
  auto loss = (u.net(x) * u.net(x)).mean();
  loss.backward();
  u.opt->step();
  if (auto* plateau = dynamic_cast<optim::ReduceLROnPlateau*>(u.sched.get())) plateau->step(loss.item());
  else if (auto* lr = dynamic_cast<optim::LRScheduler*>(u.sched.get())) lr->step();
}

inline std::vector<std::uint8_t> snapshot_optimizer(OptimizerUnderTest& u) {
  std::vector<std::uint8_t> out;
  auto put = [&](const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    out.insert(out.end(), b, b + n);
  };
  const double lr = u.opt->lr();
  put(&lr, sizeof lr);
  const optim::StateSlots slots = u.opt->state_slots();
  for (const auto& [name, vec] : slots.tensors) {
    const auto s = snapshot_tensors(*vec);
    out.insert(out.end(), s.begin(), s.end());
    out.push_back(static_cast<std::uint8_t>(vec->size()));
  }
  for (const auto& [name, vec] : slots.counts) {
    put(vec->data(), vec->size() * sizeof(std::size_t));
    out.push_back(static_cast<std::uint8_t>(vec->size()));
  }
  if (u.sched) {
    const optim::SchedulerState s = u.sched->state();
    put(&s.last_epoch, sizeof s.last_epoch);
    put(&s.base_lr, sizeof s.base_lr);
    put(&s.last_lr, sizeof s.last_lr);
    put(&s.best, sizeof s.best);
    put(&s.num_bad_epochs, sizeof s.num_bad_epochs);
    put(&s.cooldown_counter, sizeof s.cooldown_counter);
  }
  return out;
}

inline Outcome run_checkpoint(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return Outcome::Refused;
  const std::uint8_t opt = data[0];
  std::vector<std::uint8_t> file(data + 1, data + size);
  if (opt & 4) fix_envelope(file);
  slot(0).assign(file.data(), file.size());
  const int kind = opt & 3;
  if (kind == 0) {
    static nn::Sequential net = make_net();
    std::vector<Tensor> state = net.parameters();
    for (auto& [name, t] : net.named_buffers()) state.push_back(t);
    const auto before = snapshot_tensors(state);
    const Outcome r = guarded([&] { nn::load(net, slot(0).path()); });
    if (r == Outcome::Refused && snapshot_tensors(state) != before)
      throw HarnessFinding("nn::load refused the file but changed the module");
    return r;
  }
  static OptimizerUnderTest under_test[3] = {make_optimizer(1), make_optimizer(2), make_optimizer(3)};
  OptimizerUnderTest& u = under_test[kind - 1];
  const auto before = snapshot_optimizer(u);
  const Outcome r = guarded([&] {
    if (u.sched) optim::load_state(*u.opt, *u.sched, slot(0).path());
    else optim::load_state(*u.opt, slot(0).path());
  });
  if (r == Outcome::Refused && snapshot_optimizer(u) != before)
    throw HarnessFinding(std::string("optim::load_state refused the file but changed the ") + u.opt->name() +
                         " optimizer or its schedule");
  return r;
}

}  // namespace xg::fuzz_loaders
