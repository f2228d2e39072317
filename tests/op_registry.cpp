#include "op_registry.hpp"

#include <random>

#include <nn/nn.hpp>

namespace xg::testing {

namespace {

using In = const std::vector<Tensor>&;

// A custom op through the extension point, to prove it behaves like a built-in.
struct Cube : Function<Cube> {
  static constexpr const char* name = "cube";
  static Tensor forward(Context& ctx, const Tensor& x) {
    ctx.save_for_backward({x});
    return x * x * x;
  }
  static std::vector<Tensor> backward(Context& ctx, const Tensor& g) {
    const Tensor x = ctx.saved(0);
    return {g * 3.0 * x * x};
  }
};

const Domain kPositive{0.5, 3.0};
const Domain kAwayFromZero{-2, 2, true};

// Fills a tensor (a float32 parameter or buffer) with fixed values in place.
void nn_set(Tensor t, const std::vector<double>& values) {
  NoGradGuard no_grad;
  t.copy_(from_vector(values, t.shape(), kFloat64));
}

// A module whose parameters hold the fixed values ((5k) mod 9)/8 − 1/2 for k = 0, 1, 2, ... across
// all its parameters in order: deterministic whatever the seed, and exact in float32.
template <class M>
M nn_fixed(M m) {
  int k = 0;
  for (Tensor& p : m.parameters()) {
    std::vector<double> v(p.numel());
    for (auto& e : v) e = ((k++ * 5) % 9) / 8.0 - 0.5;
    nn_set(p, v);
  }
  return m;
}

std::vector<OpCase> build() {
  std::vector<OpCase> c;
  auto add = [&](std::string name, std::function<Tensor(In)> fn, std::vector<Shape> shapes,
                 std::vector<Domain> domains = {}) {
    c.push_back(OpCase{std::move(name), std::move(fn), std::move(shapes), std::move(domains)});
    return &c.back();
  };
  // ---------------------------------------------------------------- arithmetic
  add("add", [](In x) { return x[0] + x[1]; }, {{2, 3}, {2, 3}});
  add("add_broadcast_rows", [](In x) { return x[0] + x[1]; }, {{3, 2}, {1, 2}});
  add("add_broadcast_rank", [](In x) { return x[0] + x[1]; }, {{2, 1, 3}, {4, 1}});
  add("add_scalar_tensor", [](In x) { return x[0] + x[1]; }, {{}, {2, 3}});
  add("add_0d", [](In x) { return x[0] + x[1]; }, {{}, {}});
  add("add_double", [](In x) { return 2.5 + x[0]; }, {{3}});
  add("sub_broadcast", [](In x) { return x[0] - x[1]; }, {{2, 3}, {3}});
  add("sub_double", [](In x) { return 1.0 - x[0]; }, {{3}});
  add("mul", [](In x) { return x[0] * x[1]; }, {{2, 3}, {2, 3}});
  add("mul_broadcast", [](In x) { return x[0] * x[1]; }, {{4, 1}, {1, 3}});
  add("mul_0d", [](In x) { return x[0] * x[1]; }, {{}, {}});
  add("mul_self", [](In x) { return x[0] * x[0]; }, {{5}});
  add("div", [](In x) { return x[0] / x[1]; }, {{2, 3}, {2, 3}}, {Domain{}, kPositive});
  add("div_broadcast", [](In x) { return x[0] / x[1]; }, {{2, 3}, {3}}, {Domain{}, kPositive});
  add("div_double_numerator", [](In x) { return 1.0 / x[0]; }, {{4}}, {kPositive});
  add("neg", [](In x) { return -x[0]; }, {{2, 2}});
  // ---------------------------------------------------------------- math
  add("pow_3", [](In x) { return pow(x[0], 3); }, {{2, 3}});
  add("pow_half", [](In x) { return pow(x[0], 0.5); }, {{2, 3}}, {kPositive});
  add("pow_negative", [](In x) { return pow(x[0], -1.5); }, {{4}}, {kPositive});
  add("pow_0", [](In x) { return pow(x[0], 0) * x[0]; }, {{3}});
  add("exp", [](In x) { return exp(x[0]); }, {{2, 3}});
  add("log", [](In x) { return log(x[0]); }, {{2, 3}}, {kPositive});
  add("sqrt", [](In x) { return sqrt(x[0]); }, {{2, 3}}, {kPositive});
  add("abs", [](In x) { return abs(x[0]); }, {{2, 3}}, {kAwayFromZero});
  add("clamp", [](In x) { return clamp(x[0], -0.5, 0.7); }, {{3, 4}});
  add("maximum", [](In x) { return maximum(x[0], x[1]); }, {{2, 3}, {2, 3}});
  add("maximum_broadcast", [](In x) { return maximum(x[0], x[1]); }, {{2, 3}, {3}});
  add("minimum", [](In x) { return minimum(x[0], x[1]); }, {{2, 3}, {1, 3}});
  add("where", [](In x) { return where(tensor({{1, 0, 1}, {0, 0, 1}}), x[0], x[1]); }, {{2, 3}, {2, 3}});
  add("where_broadcast", [](In x) { return where(tensor({1, 0, 1}), x[0], x[1]); }, {{2, 1}, {2, 3}});
  add("where_method", [](In x) { return x[0].where(tensor({1, 0}), x[1]); }, {{2}, {}});
  // ---------------------------------------------------------------- activations
  add("sigmoid", [](In x) { return sigmoid(x[0]); }, {{2, 3}}, {Domain{-6, 6}});
  add("tanh", [](In x) { return tanh(x[0]); }, {{2, 3}});
  add("relu", [](In x) { return relu(x[0]); }, {{2, 3}}, {kAwayFromZero});
  add("leaky_relu", [](In x) { return leaky_relu(x[0], 0.1); }, {{2, 3}}, {kAwayFromZero});
  add("elu", [](In x) { return elu(x[0], 0.7); }, {{2, 3}}, {kAwayFromZero});
  add("prelu_shared", [](In x) { return prelu(x[0], x[1]); }, {{2, 3}, {1}}, {kAwayFromZero, Domain{0.1, 0.5}});
  add("prelu_channels", [](In x) { return prelu(x[0], x[1]); }, {{2, 3, 2}, {3}}, {kAwayFromZero, Domain{0.1, 0.5}});
  add("step", [](In x) { return step(x[0]) * x[0]; }, {{2, 3}}, {kAwayFromZero});
  add("identity", [](In x) { return identity(x[0]) * 2.0; }, {{3}});
  add("softmax_last", [](In x) { return softmax(x[0]); }, {{2, 4}});
  add("softmax_dim0", [](In x) { return softmax(x[0], 0); }, {{3, 2}});
  add("softmax_3d_mid", [](In x) { return softmax(x[0], 1); }, {{2, 3, 2}});
  add("log_softmax_last", [](In x) { return log_softmax(x[0]); }, {{2, 4}});
  add("log_softmax_dim0", [](In x) { return log_softmax(x[0], 0); }, {{3, 2}});
  // ---------------------------------------------------------------- reductions
  add("sum_all", [](In x) { return sum(x[0]); }, {{2, 3}});
  add("sum_dim0", [](In x) { return sum(x[0], {0}); }, {{2, 3}});
  add("sum_last_keepdim", [](In x) { return sum(x[0], {-1}, true); }, {{2, 3}});
  add("sum_two_dims", [](In x) { return sum(x[0], {0, 2}); }, {{2, 3, 2}});
  add("sum_mid_dim", [](In x) { return x[0].sum({1}); }, {{2, 3, 2}});
  add("mean_all", [](In x) { return mean(x[0]); }, {{2, 3}});
  add("mean_dim_keepdim", [](In x) { return mean(x[0], {1}, true); }, {{2, 3}});
  add("max_dim0", [](In x) { return max(x[0], 0); }, {{3, 4}});
  add("max_last_keepdim", [](In x) { return max(x[0], -1, true); }, {{2, 3, 4}});
  // ---------------------------------------------------------------- shape
  add("reshape", [](In x) { return reshape(x[0], {3, 2}) * tensor({1.0, 2.0}); }, {{2, 3}});
  add("transpose", [](In x) { return transpose(x[0], 0, 2); }, {{2, 3, 4}});
  add("t", [](In x) { return x[0].t(); }, {{2, 3}});
  add("flatten", [](In x) { return flatten(x[0]); }, {{2, 3, 2}});
  add("expand", [](In x) { return expand(x[0], {4, 3}); }, {{1, 3}});
  add("expand_rank", [](In x) { return expand(x[0], {2, 2, 3}); }, {{3}});
  add("slice_mid", [](In x) { return slice(x[0], 1, 1, 3); }, {{2, 4}});
  add("slice_edge", [](In x) { return slice(x[0], 0, 0, 1); }, {{3, 2}});
  add("concat_dim0", [](In x) { return concat({x[0], x[1], x[2]}, 0); }, {{1, 3}, {2, 3}, {1, 3}});
  add("concat_dim1_shared", [](In x) { return concat({x[0], x[1], x[0]}, 1); }, {{2, 1}, {2, 2}});
  add("index_select_repeats", [](In x) { return index_select(x[0], 0, {2, 0, 2}); }, {{3, 2}});
  add("index_select_dim1", [](In x) { return index_select(x[0], 1, {1}); }, {{2, 3}});
  add("index_add", [](In x) { return index_add(x[0], 0, {1, 1, 0}, 3); }, {{3, 2}});
  // ---------------------------------------------------------------- linear algebra
  add("matmul_2d", [](In x) { return matmul(x[0], x[1]); }, {{3, 4}, {4, 2}});
  add("matmul_dot", [](In x) { return matmul(x[0], x[1]); }, {{4}, {4}});
  add("matmul_vec_mat", [](In x) { return matmul(x[0], x[1]); }, {{3}, {3, 2}});
  add("matmul_mat_vec", [](In x) { return matmul(x[0], x[1]); }, {{2, 3}, {3}});
  add("matmul_batched", [](In x) { return matmul(x[0], x[1]); }, {{2, 3, 4}, {2, 4, 2}});
  add("matmul_batch_broadcast", [](In x) { return matmul(x[0], x[1]); }, {{1, 2, 3}, {3, 3, 2}});
  add("matmul_3d_2d", [](In x) { return matmul(x[0], x[1]); }, {{2, 3, 4}, {4, 2}});
  add("matmul_2d_3d", [](In x) { return matmul(x[0], x[1]); }, {{3, 4}, {2, 4, 2}});
  add("matmul_t_a", [](In x) { return matmul_t(x[0], x[1], true, false); }, {{4, 3}, {4, 2}});
  add("matmul_t_b", [](In x) { return matmul_t(x[0], x[1], false, true); }, {{3, 4}, {2, 4}});
  add("matmul_t_ab", [](In x) { return matmul_t(x[0], x[1], true, true); }, {{4, 3}, {2, 4}});
  add("matmul_t_batched", [](In x) { return matmul_t(x[0], x[1], true, true); }, {{2, 4, 3}, {2, 2, 4}});
  // ---------------------------------------------------------------- casts and mixed dtypes
  auto* cast = add("to_float32_and_back", [](In x) { return x[0].to(kFloat32).to(kFloat64) * 3.0; }, {{3}});
  cast->options.eps = 1e-3;  // finite differences through a float32 value need a larger step
  cast->second_order = false;
  // ---------------------------------------------------------------- fused losses
  add("softmax_cross_entropy", [](In x) { return fused::softmax_cross_entropy(x[0], {2, 0, 1}); }, {{3, 4}});
  add("bce_with_logits", [](In x) { return fused::bce_with_logits(x[0], x[1]); }, {{2, 3}, {2, 3}},
      {Domain{-4, 4}, Domain{0, 1}});
  add("bce", [](In x) { return fused::bce(x[0], x[1]); }, {{2, 3}, {2, 3}}, {Domain{0.05, 0.95}, Domain{0, 1}});
  // ---------------------------------------------------------------- nn layers and losses
  // Every nn module and loss through the sweep. Modules are built inside the case (their
  // float32 parameters set to fixed dyadic values, exact in float32): with a float64 input they
  // compute in float64 and the parameters are constants of the checked function. The
  // parameters' own gradients are checked through the functional forms (prelu_* above with the
  // weight as an input, mlp_layer below for Linear's x·Wᵀ + b) and against PyTorch in
  // test_nn_reference.cpp.
  add("nn_linear", [](In x) { return nn_fixed(nn::Linear(3, 2))(x[0]); }, {{4, 3}});
  add("nn_linear_1d", [](In x) { return nn_fixed(nn::Linear(3, 2))(x[0]); }, {{3}});
  add("nn_linear_3d", [](In x) { return nn_fixed(nn::Linear(3, 2))(x[0]); }, {{2, 2, 3}});
  add("nn_linear_no_bias", [](In x) { return nn_fixed(nn::Linear(3, 2, false))(x[0]); }, {{4, 3}});
  add("nn_sequential", [](In x) {
        return nn_fixed(nn::Sequential(nn::Linear(3, 4), nn::Tanh(), nn::Linear(4, 2)))(x[0]);
      }, {{5, 3}});
  add("nn_relu_module", [](In x) { return nn::ReLU()(x[0]); }, {{2, 3}}, {kAwayFromZero});
  add("nn_sigmoid_module", [](In x) { return nn::Sigmoid()(x[0]); }, {{2, 3}}, {Domain{-6, 6}});
  add("nn_tanh_module", [](In x) { return nn::Tanh()(x[0]); }, {{2, 3}});
  add("nn_leaky_relu_module", [](In x) { return nn::LeakyReLU(0.2)(x[0]); }, {{2, 3}}, {kAwayFromZero});
  add("nn_elu_module", [](In x) { return nn::ELU()(x[0]); }, {{2, 3}}, {kAwayFromZero});
  add("nn_prelu_module", [](In x) { return nn_fixed(nn::PReLU())(x[0]); }, {{2, 3}}, {kAwayFromZero});
  add("nn_prelu_module_channels", [](In x) { return nn_fixed(nn::PReLU(3))(x[0]); }, {{2, 3, 2}},
      {kAwayFromZero});
  add("nn_softmax_module", [](In x) { return nn::Softmax(1)(x[0]); }, {{2, 3, 2}});
  add("nn_identity_module", [](In x) { return nn::Identity()(x[0]) * 2.0; }, {{3}});
  add("nn_step_module", [](In x) { return nn::Step()(x[0]) * x[0]; }, {{2, 3}}, {kAwayFromZero});
  add("nn_batchnorm_train_2d", [](In x) { return nn_fixed(nn::BatchNorm1d(3))(x[0]); }, {{4, 3}});
  add("nn_batchnorm_train_3d", [](In x) { return nn_fixed(nn::BatchNorm1d(3, 1e-3, 0.3))(x[0]); }, {{2, 3, 3}});
  add("nn_batchnorm_eval", [](In x) {
        nn::BatchNorm1d bn = nn_fixed(nn::BatchNorm1d(3));
        nn_set(bn.running_mean, {0.5, -0.25, 0.125});
        nn_set(bn.running_var, {0.75, 1.5, 2.0});
        bn.eval();
        return bn(x[0]);
      }, {{2, 3, 2}});
  add("nn_dropout_eval", [](In x) {
        nn::Dropout drop(0.5);
        drop.eval();
        return drop(x[0]) * 2.0;
      }, {{2, 3}});
  add("nn_dropout_train_seeded", [](In x) {
        manual_seed(5);  // the same mask on every call: the checked function is x ↦ x·mask
        return nn::Dropout(0.4)(x[0]);
      }, {{4, 5}});
  using nn::functional::Reduction;
  namespace nnf = nn::functional;
  add("nn_mse_loss", [](In x) { return nnf::mse_loss(x[0], x[1]); }, {{2, 3}, {2, 3}});
  add("nn_mse_loss_sum", [](In x) { return nnf::mse_loss(x[0], x[1], Reduction::Sum); }, {{4}, {4}});
  add("nn_mse_loss_none", [](In x) { return nnf::mse_loss(x[0], x[1], Reduction::None); }, {{2, 2}, {2, 2}});
  add("nn_mse_loss_module", [](In x) { return nn::MSELoss()(x[0], x[1]); }, {{3, 2}, {3, 2}});
  add("nn_cross_entropy", [](In x) { return nnf::cross_entropy(x[0], tensor({2, 0, 3})); }, {{3, 4}});
  add("nn_cross_entropy_sum_float64_labels", [](In x) {
        return nnf::cross_entropy(x[0], tensor({1, 1, 0}, kFloat64), Reduction::Sum);
      }, {{3, 2}});
  add("nn_cross_entropy_none", [](In x) { return nnf::cross_entropy(x[0], tensor({0, 2}), Reduction::None); },
      {{2, 3}});
  add("nn_cross_entropy_one_sample", [](In x) { return nnf::cross_entropy(x[0], tensor(2)); }, {{4}});
  add("nn_cross_entropy_probabilities", [](In x) { return nnf::cross_entropy(x[0], x[1]); }, {{3, 4}, {3, 4}},
      {Domain{}, Domain{0, 1}});
  add("nn_cross_entropy_loss_module", [](In x) { return nn::CrossEntropyLoss()(x[0], tensor({1, 0})); }, {{2, 3}});
  add("nn_bce", [](In x) { return nnf::binary_cross_entropy(x[0], x[1]); }, {{2, 3}, {2, 3}},
      {Domain{0.05, 0.95}, Domain{0, 1}});
  add("nn_bce_none", [](In x) { return nnf::binary_cross_entropy(x[0], x[1], Reduction::None); }, {{4}, {4}},
      {Domain{0.05, 0.95}, Domain{0, 1}});
  add("nn_bce_loss_module", [](In x) { return nn::BCELoss(Reduction::Sum)(x[0], x[1]); }, {{3}, {3}},
      {Domain{0.05, 0.95}, Domain{0, 1}});
  add("nn_bce_with_logits", [](In x) { return nnf::binary_cross_entropy_with_logits(x[0], x[1]); },
      {{2, 3}, {2, 3}}, {Domain{-4, 4}, Domain{0, 1}});
  add("nn_bce_with_logits_none", [](In x) {
        return nnf::binary_cross_entropy_with_logits(x[0], x[1], Reduction::None);
      }, {{4}, {4}}, {Domain{-4, 4}, Domain{0, 1}});
  add("nn_bce_with_logits_loss_module", [](In x) { return nn::BCEWithLogitsLoss()(x[0], x[1]); }, {{3, 2}, {3, 2}},
      {Domain{-4, 4}, Domain{0, 1}});
  // ---------------------------------------------------------------- compositions
  add("custom_function", [](In x) { return Cube::apply(x[0]) + x[0]; }, {{2, 2}});
  add("shared_subexpression", [](In x) {
        Tensor h = tanh(x[0] * x[1]);
        return sum(h * h + h, {1});
      }, {{2, 3}, {1, 3}});
  add("mlp_layer", [](In x) { return sigmoid(matmul_t(x[0], x[1], false, true) + x[2]); }, {{4, 3}, {2, 3}, {2}});
  return c;
}

}  // namespace

const std::vector<OpCase>& op_cases() {
  static const std::vector<OpCase> cases = build();
  return cases;
}

std::vector<Tensor> make_inputs(const OpCase& c) {
  std::mt19937_64 rng(std::hash<std::string>{}(c.name));
  std::vector<Tensor> inputs;
  for (std::size_t i = 0; i < c.shapes.size(); ++i) {
    const Domain d = i < c.domains.size() ? c.domains[i] : Domain{};
    std::uniform_real_distribution<double> u(d.lo, d.hi);
    std::vector<double> values(shape_numel(c.shapes[i]));
    for (auto& v : values) {
      v = u(rng);
      if (d.away_from_zero && std::abs(v) < 0.1) v = v < 0 ? v - 0.1 : v + 0.1;
    }
    inputs.push_back(from_vector(values, c.shapes[i], kFloat64));
  }
  return inputs;
}

std::set<std::string> recorded_ops(const Tensor& root) {
  std::set<std::string> names;
  if (!root.defined() || !root.grad_fn()) return names;
  std::vector<Node*> stack{root.grad_fn().get()};
  std::set<Node*> seen{stack.back()};
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    names.insert(n->name());
    for (const auto& e : n->edges())
      if (e.node && seen.insert(e.node.get()).second) stack.push_back(e.node.get());
  }
  return names;
}

}  // namespace xg::testing
