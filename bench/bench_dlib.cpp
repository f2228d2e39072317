// The benchmark workloads (workloads.hpp) on dlib's DNN module (Debian's libdlib-dev), for
// comparison with bench_xgrad and bench_torch: the same data, initial weights and update rule,
// on one thread. See driver.hpp for the command line.
//
// dlib builds a network as a type at compile time, so each MLP workload has its own network type
// below (net_for); the constructor checks it against the table (layer sizes and activations) and
// fails loudly if they differ. One step is what dlib's own dnn_trainer does per mini-batch, minus
// its worker thread and its label/tensor conversion (done once here, as bench_torch builds its
// tensors once): net.compute_parameter_gradients(x, labels) — forward, loss and its gradient,
// back_propagate_error — then net.update_parameters(solvers, lr).
//
// Deviations from PyTorch's definitions, and how the runner makes every update equal anyway:
// - Update. dlib's sgd(weight_decay, momentum) solver computes v = m·v − lr·g, then w += v.
//   With weight_decay 0 and a constant lr this is PyTorch's b = m·b + g, w −= lr·b (v = −lr·b),
//   and plain SGD for m = 0. The bias gets the same lr (fc's bias lr multiplier is 1).
// - MSE. dlib's loss_mean_squared_multioutput is Σ(y − o)² / B (no division by the number of
//   outputs) and its gradient (o − y) / B has no factor 2; PyTorch's mse_loss is Σ(y − o)² / (B·n)
//   with gradient 2(o − y) / (B·n). dlib's gradient is n/2 times PyTorch's, so the runner passes
//   dlib the learning rate lr·2/n (tiny: 1.0 for 0.5; deep-narrow: 0.0625 for 1.0), and reports
//   the loss divided by n, so that both the updates and the printed loss are PyTorch's.
// - Cross-entropy. loss_multiclass_log is the mean of −log softmax over the batch, with the
//   same gradient as PyTorch's cross_entropy; no scaling. (It takes log(max(p, 1e-10)) of the
//   probability rather than a log-sum-exp, so tiny losses agree to fewer digits.)
// - Work. dlib also computes the gradient of the first layer's input (one GEMM more per step
//   than xgrad, libtorch and the floor do); a dlib user cannot switch that off.
// - op-chain has no dlib equivalent (dlib has no general elementwise autodiff): bench_dlib
//   prints "workload=op-chain engine=dlib n/a" for it, which scripts/bench.sh skips.
#include <dlib/dnn.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "driver.hpp"

extern "C" void openblas_set_num_threads(int) __attribute__((weak));

namespace {

using bench::Act;
using bench::Data;
using bench::Workload;

using Input = dlib::input<dlib::matrix<float>>;  // one sample: an in × 1 column

// deep-narrow: N × sig<fc<32, ...>> on the input.
template <int N, class Sub>
struct SigStack {
  using type = dlib::sig<dlib::fc<32, typename SigStack<N - 1, Sub>::type>>;
};
template <class Sub>
struct SigStack<0, Sub> {
  using type = Sub;
};

using TinyNet = dlib::loss_mean_squared_multioutput<dlib::sig<dlib::fc<1, dlib::htan<dlib::fc<8, Input>>>>>;
template <long H1, long H2>
using ReluMlp = dlib::loss_multiclass_log<
    dlib::fc<10, dlib::relu<dlib::fc<H2, dlib::relu<dlib::fc<H1, Input>>>>>>;
using DeepNarrowNet = dlib::loss_mean_squared_multioutput<SigStack<20, Input>::type>;

template <class T>
struct is_fc : std::false_type {};
template <unsigned long N, dlib::fc_bias_mode M>
struct is_fc<dlib::fc_<N, M>> : std::true_type {};

// The layer sequence from the input up, "fc8 htan fc1 sig", from the table and from a net.
std::string describe(const Workload& w) {
  std::string s;
  for (std::size_t l = 0; l + 1 < w.sizes.size(); ++l) {
    s += " fc" + std::to_string(w.sizes[l + 1]);
    switch (l + 2 < w.sizes.size() ? w.hidden : w.output) {
      case Act::Tanh: s += " htan"; break;
      case Act::Sigmoid: s += " sig"; break;
      case Act::Relu: s += " relu"; break;
      case Act::None: break;
    }
  }
  return s;
}

template <class Net>
class MlpRunner : public bench::Runner {
 public:
  static constexpr bool kMse = std::is_same_v<typename Net::loss_details_type, dlib::loss_mean_squared_multioutput_>;

  MlpRunner(const Workload& w, const Data& d) : w_(w) {
    if (kMse != (w.loss == bench::Loss::Mse)) throw std::runtime_error(std::string(w.name) + ": loss differs");
    const std::size_t in = w.sizes.front(), out = w.sizes.back();
    // The batches as dlib tensors, and their labels, once (as bench_torch builds its tensors once).
    for (std::size_t b = 0; b < d.x.size(); ++b) {
      std::vector<dlib::matrix<float>> samples(w.batch, dlib::matrix<float>(static_cast<long>(in), 1));
      for (std::size_t i = 0; i < w.batch; ++i)
        std::memcpy(&samples[i](0, 0), d.x[b].data() + i * in, in * sizeof(float));
      x_.emplace_back();
      net_.to_tensor(samples.begin(), samples.end(), x_.back());
      typename Net::training_label_type dummy{};
      std::vector<typename Net::training_label_type> labels(w.batch, dummy);
      for (std::size_t i = 0; i < w.batch; ++i) {
        if constexpr (kMse) {
          labels[i].set_size(static_cast<long>(out), 1);
          for (std::size_t j = 0; j < out; ++j) labels[i](static_cast<long>(j), 0) = d.y[b][i * out + j];
        } else {
          labels[i] = static_cast<unsigned long>(d.y[b][i]);
        }
      }
      y_.push_back(std::move(labels));
    }
    net_.forward(x_[0]);  // allocates the fc layers' parameters; then overwrite them with the table's
    // The fc layers from the input up, and the layer sequence to check against the table.
    std::vector<dlib::tensor*> params;
    std::vector<std::string> kinds;
    dlib::visit_computational_layers(net_, [&](auto& layer) {
      using L = std::decay_t<decltype(layer)>;
      if constexpr (is_fc<L>::value) {
        params.push_back(&layer.get_layer_params());
        kinds.push_back(" fc" + std::to_string(layer.get_num_outputs()));
      } else if constexpr (std::is_same_v<L, dlib::htan_>) {
        kinds.push_back(" htan");
      } else if constexpr (std::is_same_v<L, dlib::sig_>) {
        kinds.push_back(" sig");
      } else if constexpr (std::is_same_v<L, dlib::relu_>) {
        kinds.push_back(" relu");
      } else {
        kinds.push_back(" ?");
      }
    });
    std::reverse(params.begin(), params.end());  // visited from the loss down
    std::string have;
    for (auto it = kinds.rbegin(); it != kinds.rend(); ++it) have += *it;
    if (have != describe(w) || params.size() + 1 != w.sizes.size())
      throw std::runtime_error(std::string(w.name) + ": dlib net is" + have + ", the table says" + describe(w));
    // fc's parameters are one (in + 1) × out row-major tensor: the weights as in × out (W
    // transposed, PyTorch's W is out × in), then the bias as the last row.
    for (std::size_t l = 0; l < params.size(); ++l) {
      const std::size_t fi = w.sizes[l], fo = w.sizes[l + 1];
      if (params[l]->size() != (fi + 1) * fo) throw std::runtime_error(std::string(w.name) + ": fc layout");
      float* p = params[l]->host();
      for (std::size_t i = 0; i < fi; ++i)
        for (std::size_t o = 0; o < fo; ++o) p[i * fo + o] = d.weight[l][o * fi + i];
      for (std::size_t o = 0; o < fo; ++o) p[fi * fo + o] = d.bias[l][o];
    }
    // PyTorch's SGD / SGD with momentum (see the top of the file); MSE's lr scaled by 2/n.
    lr_ = kMse ? w.lr * 2.0 / static_cast<double>(out) : w.lr;
    loss_scale_ = kMse ? 1.0 / static_cast<double>(out) : 1.0;
    solvers_.assign(Net::num_computational_layers, dlib::sgd(0.0f, static_cast<float>(w.momentum)));
  }

  double step(int b, bool want_loss) override {
    const double loss = net_.compute_parameter_gradients(x_[b], y_[b].begin());
    net_.update_parameters(dlib::make_sstack(solvers_), lr_);
    return want_loss ? loss * loss_scale_ : 0.0;
  }

 private:
  const Workload& w_;
  Net net_;
  std::vector<dlib::sgd> solvers_;
  std::vector<dlib::resizable_tensor> x_;
  std::vector<std::vector<typename Net::training_label_type>> y_;
  double lr_ = 0, loss_scale_ = 1;
};

std::unique_ptr<bench::Runner> make_runner(const Workload& w, const Data& d) {
  const std::string_view n = w.name;
  if (n == "tiny") return std::make_unique<MlpRunner<TinyNet>>(w, d);
  if (n == "mlp-digits") return std::make_unique<MlpRunner<ReluMlp<128, 64>>>(w, d);
  if (n == "mlp-mnist") return std::make_unique<MlpRunner<ReluMlp<256, 128>>>(w, d);
  if (n == "mlp-wide") return std::make_unique<MlpRunner<ReluMlp<1024, 1024>>>(w, d);
  if (n == "deep-narrow") return std::make_unique<MlpRunner<DeepNarrowNet>>(w, d);
  return nullptr;  // op-chain, or a workload without a dlib network
}

}  // namespace

int main(int argc, char** argv) {
  if (openblas_set_num_threads) openblas_set_num_threads(1);
  // Workloads without a dlib network (op-chain) print one n/a line and are not run. The others
  // go to the driver one at a time, in the order asked (all: the table's order).
  std::vector<std::string> args(argv, argv + argc), names, flags;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if ((args[i] == "-w" || args[i] == "--workload") && i + 1 < args.size())
      names.push_back(args[++i]);
    else
      flags.push_back(args[i]);
  }
  const bool list = std::find(flags.begin(), flags.end(), "--list") != flags.end();
  if (list || names.empty()) {
    if (list) return bench::run_main(argc, argv, "dlib", &make_runner);
    for (const auto& w : bench::workloads()) names.emplace_back(w.name);
  }
  int rc = 0;
  for (const auto& n : names) {
    const Workload* w = bench::find_workload(n);
    if (w && w->kind != bench::Kind::Mlp) {
      std::printf("workload=%s engine=dlib n/a (no dlib equivalent)\n", w->name);
      std::fflush(stdout);
      continue;
    }
    std::vector<std::string> one{args[0], "-w", n};  // unknown names go on to the driver, which reports them
    one.insert(one.end(), flags.begin(), flags.end());
    std::vector<char*> av;
    for (auto& a : one) av.push_back(a.data());
    rc = std::max(rc, bench::run_main(static_cast<int>(av.size()), av.data(), "dlib", &make_runner));
  }
  return rc;
}
