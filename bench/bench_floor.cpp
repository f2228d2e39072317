// The floor of each MLP workload (workloads.hpp): only the step's GEMMs, called straight through
// cblas, plus one fused update loop over the parameters — no engine, no activations, no loss.
// No engine can take a step in less time on the same BLAS kernels, so time − floor is what an
// engine spends outside the GEMMs (see "Where the time goes" in docs/performance.md).
//
// Per layer (B = batch, W out×in): forward Y = X·Wᵀ + b; backward dW = dYᵀ·X, and dX = dY·W except
// in the first layer (its input needs no gradient); then per parameter v = μ·v + g,
// p −= lr·v (with lr = 0, see step()).
// Prints the same lines as bench_xgrad with engine=floor; op-chain has no floor and is skipped.
#include <cblas.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "driver.hpp"

namespace {

using bench::Data;
using bench::Workload;

// 64-byte aligned storage, as xgrad's buffer cache hands out (allocator.hpp, kBufferAlign): the
// GEMM kernels' loads and stores of C then never straddle cache lines.
template <class T>
struct Aligned64 {
  using value_type = T;
  Aligned64() = default;
  template <class U>
  Aligned64(const Aligned64<U>&) {}
  T* allocate(std::size_t n) {
    const std::size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
    if (void* p = std::aligned_alloc(64, bytes)) return static_cast<T*>(p);
    throw std::bad_alloc();
  }
  void deallocate(T* p, std::size_t) { std::free(p); }
  friend bool operator==(const Aligned64&, const Aligned64&) { return true; }
};
using Buffer = std::vector<float, Aligned64<float>>;

class FloorRunner : public bench::Runner {
 public:
  FloorRunner(const Workload& w, const Data& d) : w_(w) {
    for (const auto& xb : d.x) x_.emplace_back(xb.begin(), xb.end());
    const std::size_t layers = w.sizes.size() - 1;
    bench::Rng rng(42);
    for (std::size_t l = 0; l < layers; ++l) {
      const std::size_t in = w.sizes[l], out = w.sizes[l + 1];
      weight_.emplace_back(d.weight[l].begin(), d.weight[l].end());
      weight_grad_.emplace_back(out * in, 0.0f);
      weight_velocity_.emplace_back(out * in, 0.0f);
      bias_.emplace_back(d.bias[l].begin(), d.bias[l].end());
      bias_grad_.emplace_back(out, 0.0f);
      bias_velocity_.emplace_back(out, 0.0f);
      activation_.emplace_back(w.batch * out, 0.0f);
      Buffer dy(w.batch * out);  // a fixed, small output gradient
      for (auto& v : dy) v = static_cast<float>(rng.uniform(-1e-3, 1e-3));
      output_grad_.push_back(std::move(dy));
      input_grad_.emplace_back(w.batch * in, 0.0f);
    }
  }

  double step(int b, bool) override {
    const auto B = static_cast<blasint>(w_.batch);
    const std::size_t layers = weight_.size();
    const float* input = x_[static_cast<std::size_t>(b)].data();
    // Each product accumulates (beta = 1) onto a buffer filled first — the bias rows, or zeros:
    // OpenBLAS's beta = 0 path clears C column by column, slower than one fill.
    for (std::size_t l = 0; l < layers; ++l) {  // forward: Y = X·Wᵀ + b
      const auto in = static_cast<blasint>(w_.sizes[l]), out = static_cast<blasint>(w_.sizes[l + 1]);
      for (std::size_t i = 0; i < w_.batch; ++i)
        std::memcpy(activation_[l].data() + i * w_.sizes[l + 1], bias_[l].data(), w_.sizes[l + 1] * sizeof(float));
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, out, in, 1.0f, input, in, weight_[l].data(), in, 1.0f,
                  activation_[l].data(), out);
      input = activation_[l].data();
    }
    for (std::size_t l = layers; l-- > 0;) {  // backward: dW = dYᵀ·X, dX = dY·W (not layer 0)
      const auto in = static_cast<blasint>(w_.sizes[l]), out = static_cast<blasint>(w_.sizes[l + 1]);
      const float* layer_input = l == 0 ? x_[static_cast<std::size_t>(b)].data() : activation_[l - 1].data();
      std::fill(weight_grad_[l].begin(), weight_grad_[l].end(), 0.0f);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, B, 1.0f, output_grad_[l].data(), out, layer_input,
                  in, 1.0f, weight_grad_[l].data(), in);
      if (l > 0) {
        std::fill(input_grad_[l].begin(), input_grad_[l].end(), 0.0f);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, in, out, 1.0f, output_grad_[l].data(), out,
                    weight_[l].data(), in, 1.0f, input_grad_[l].data(), in);
      }
    }
    // The update does a real update's arithmetic with a learning rate of 0, so the weights keep
    // their initial values: with a fixed output gradient they would otherwise drift without bound
    // (and large or non-finite activations would change what the GEMMs cost).
    const float lr = frozen_lr_, mu = static_cast<float>(w_.momentum);
    for (std::size_t l = 0; l < layers; ++l) {
      update(weight_[l], weight_grad_[l], weight_velocity_[l], lr, mu);
      update(bias_[l], bias_grad_[l], bias_velocity_[l], lr, mu);
    }
    return 0.0;
  }

 private:
  static void update(Buffer& p, const Buffer& g, Buffer& v, float lr, float mu) {
    float* pp = p.data();
    const float* gp = g.data();
    float* vp = v.data();
    for (std::size_t i = 0, n = p.size(); i < n; ++i) {
      vp[i] = mu * vp[i] + gp[i];
      pp[i] -= lr * vp[i];
    }
  }

  const Workload& w_;
  volatile float frozen_lr_ = 0.0f;  // read at run time: the compiler cannot drop the update
  std::vector<Buffer> x_;
  std::vector<Buffer> weight_, weight_grad_, weight_velocity_;
  std::vector<Buffer> bias_, bias_grad_, bias_velocity_;
  std::vector<Buffer> activation_, output_grad_, input_grad_;
};

std::unique_ptr<bench::Runner> make_runner(const Workload& w, const Data& d) {
  return std::make_unique<FloorRunner>(w, d);
}

}  // namespace

int main(int argc, char** argv) {
  // Every MLP workload unless some are named; op-chain has no GEMM floor.
  std::vector<std::string> args(argv, argv + argc);
  bool named = false;
  for (const auto& a : args) named = named || a == "-w" || a == "--workload" || a == "--list";
  if (!named)
    for (const auto& w : bench::workloads())
      if (w.kind == bench::Kind::Mlp) args.insert(args.end(), {"-w", w.name});
  for (std::size_t i = 0; i + 1 < args.size(); ++i)
    if ((args[i] == "-w" || args[i] == "--workload") && args[i + 1] == "op-chain") {
      std::fprintf(stderr, "%s: op-chain has no GEMM floor\n", argv[0]);
      return 2;
    }
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  return bench::run_main(static_cast<int>(cargs.size()), cargs.data(), "floor", &make_runner);
}
