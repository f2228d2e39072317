// Hostile inputs (the reliability issue): empty tensors — a zero-size dimension — through every
// op. The behaviour is PyTorch 1.13's: the same output shape (and values: the sum over nothing
// is 0, the mean over nothing NaN, a product with inner extent 0 is zeros) and gradients of the
// inputs' shapes, or — where PyTorch raises — a typed xg error (ShapeError / ValueError) whose
// message names the op. Never a crash, an abort, a sanitizer report or uninitialised values.
//
// 1. Every case of the op registry (tests/op_registry.cpp) is run on zero-size variants of its
//    input shapes, derived automatically (derive_variants): for each dim position, counted from
//    the right as broadcasting aligns them, that extent is set to 0 in every input that has it
//    with an extent other than 1 (extents of 1 stay, to stretch to 0; if all are 1, all become
//    0). table() gives PyTorch's outcome for each variant, plus hand-picked variants where the
//    derived ones all fail (matmul's inner dim 0). Each row was produced by running the same
//    function in torch 1.13 (float64; tests/empty_tensors_reference.py): an error row means
//    PyTorch raises there too. A registry case whose variants have no row fails
//    EveryRegistryCaseHasZeroSizeExpectations (its variants still run against the generic
//    contract), so a new op gets its empty-input check as soon as it is registered.
//    For an Ok row the test also runs backward of sum(output), checks that every input gets a
//    gradient of its own shape (all zeros when the output is empty, as PyTorch), gradchecks the
//    non-empty inputs' gradients (and gradgradchecks), and repeats the forward in float32.
// 2. Targeted tests: creation, printing, item()/to_vector, mean/softmax/losses over nothing,
//    concat with an empty piece, reshape/slice/index_select to and from empty, and the bugs
//    this file found (see the regression tests at the end).
//
// Deliberate divergences from PyTorch (docs/ops.md, "Empty tensors"):
//  - BatchNorm1d with an input whose channel extent is not its feature count is a ShapeError
//    even when the input is empty; PyTorch's empty-input shortcut skips that check.
//  - concat does not skip legacy 1-D {0} pieces among pieces of another rank (torch.cat does):
//    a ShapeError; give the empty piece the other pieces' shape ({0, 3} for {N, 3} pieces).
//  - Under DetectAnomalyGuard the NaN of a mean over nothing is reported at the forward op
//    (xgrad checks forward outputs too; PyTorch's anomaly mode checks backward only).
#include <gtest/gtest.h>

#include "expect_error.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <autodiff/anomaly.hpp>
#include <autodiff/ops/linear.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

#include "op_registry.hpp"

namespace xg::testing {
namespace {

namespace F = nn::functional;

// ------------------------------------------------------------------------ expectations

enum class Fill { Empty, Zeros, NaN, Finite };  // Ok: the output's values
enum class Err { None, Shape, Value };

struct Expect {
  Err error = Err::None;
  Shape out;       // Ok: the output shape
  Fill fill = Fill::Empty;
  std::string op;  // Error: the message must name it
};

Expect empty_out(Shape s) { return {Err::None, std::move(s), Fill::Empty, {}}; }
Expect zero_out(Shape s) { return {Err::None, std::move(s), Fill::Zeros, {}}; }
Expect nan_out(Shape s) { return {Err::None, std::move(s), Fill::NaN, {}}; }
Expect finite_out(Shape s) { return {Err::None, std::move(s), Fill::Finite, {}}; }
Expect shape_error(std::string op) { return {Err::Shape, {}, Fill::Empty, std::move(op)}; }
Expect value_error(std::string op) { return {Err::Value, {}, Fill::Empty, std::move(op)}; }

struct Row {
  std::string case_name;
  std::vector<Shape> shapes;  // the inputs, in the case's order
  Expect expect;
};

// Per op family, PyTorch 1.13's outcome for each zero-size variant of each registry case.
const std::vector<Row>& table() {
  static const std::vector<Row> rows = {
    // ---- arithmetic: broadcasting (a zero extent broadcasts like any other; 1 stretches to 0)
    {"add", {{2, 0}, {2, 0}}, empty_out({2, 0})},
    {"add", {{0, 3}, {0, 3}}, empty_out({0, 3})},
    {"add_broadcast_rows", {{3, 0}, {1, 0}}, empty_out({3, 0})},
    {"add_broadcast_rows", {{0, 2}, {1, 2}}, empty_out({0, 2})},
    {"add_broadcast_rank", {{2, 1, 0}, {4, 1}}, empty_out({2, 4, 0})},
    {"add_broadcast_rank", {{2, 1, 3}, {0, 1}}, empty_out({2, 0, 3})},
    {"add_broadcast_rank", {{0, 1, 3}, {4, 1}}, empty_out({0, 4, 3})},
    {"add_scalar_tensor", {{}, {2, 0}}, empty_out({2, 0})},
    {"add_scalar_tensor", {{}, {0, 3}}, empty_out({0, 3})},
    {"add_double", {{0}}, empty_out({0})},
    {"sub_broadcast", {{2, 0}, {0}}, empty_out({2, 0})},
    {"sub_broadcast", {{0, 3}, {3}}, empty_out({0, 3})},
    {"sub_double", {{0}}, empty_out({0})},
    {"mul", {{2, 0}, {2, 0}}, empty_out({2, 0})},
    {"mul", {{0, 3}, {0, 3}}, empty_out({0, 3})},
    {"mul_broadcast", {{4, 1}, {1, 0}}, empty_out({4, 0})},
    {"mul_broadcast", {{0, 1}, {1, 3}}, empty_out({0, 3})},
    {"mul_self", {{0}}, empty_out({0})},
    {"div", {{2, 0}, {2, 0}}, empty_out({2, 0})},
    {"div", {{0, 3}, {0, 3}}, empty_out({0, 3})},
    {"div_broadcast", {{2, 0}, {0}}, empty_out({2, 0})},
    {"div_broadcast", {{0, 3}, {3}}, empty_out({0, 3})},
    {"div_double_numerator", {{0}}, empty_out({0})},
    {"neg", {{2, 0}}, empty_out({2, 0})},
    {"neg", {{0, 2}}, empty_out({0, 2})},
    // ---- math
    {"pow_3", {{2, 0}}, empty_out({2, 0})},
    {"pow_3", {{0, 3}}, empty_out({0, 3})},
    {"pow_half", {{2, 0}}, empty_out({2, 0})},
    {"pow_half", {{0, 3}}, empty_out({0, 3})},
    {"pow_negative", {{0}}, empty_out({0})},
    {"pow_0", {{0}}, empty_out({0})},
    {"exp", {{2, 0}}, empty_out({2, 0})},
    {"exp", {{0, 3}}, empty_out({0, 3})},
    {"log", {{2, 0}}, empty_out({2, 0})},
    {"log", {{0, 3}}, empty_out({0, 3})},
    {"sqrt", {{2, 0}}, empty_out({2, 0})},
    {"sqrt", {{0, 3}}, empty_out({0, 3})},
    {"abs", {{2, 0}}, empty_out({2, 0})},
    {"abs", {{0, 3}}, empty_out({0, 3})},
    {"clamp", {{3, 0}}, empty_out({3, 0})},
    {"clamp", {{0, 4}}, empty_out({0, 4})},
    {"maximum", {{2, 0}, {2, 0}}, empty_out({2, 0})},
    {"maximum", {{0, 3}, {0, 3}}, empty_out({0, 3})},
    {"maximum_broadcast", {{2, 0}, {0}}, empty_out({2, 0})},
    {"maximum_broadcast", {{0, 3}, {3}}, empty_out({0, 3})},
    {"minimum", {{2, 0}, {1, 0}}, empty_out({2, 0})},
    {"minimum", {{0, 3}, {1, 3}}, empty_out({0, 3})},
    // ---- where: the constant mask does not broadcast against a zeroed extent
    {"where", {{2, 0}, {2, 0}}, shape_error("where")},
    {"where", {{0, 3}, {0, 3}}, shape_error("where")},
    {"where_broadcast", {{2, 1}, {2, 0}}, shape_error("where")},
    {"where_broadcast", {{0, 1}, {0, 3}}, empty_out({0, 3})},
    {"where_method", {{0}, {}}, shape_error("where")},
    // ---- activations
    {"sigmoid", {{2, 0}}, empty_out({2, 0})},
    {"sigmoid", {{0, 3}}, empty_out({0, 3})},
    {"tanh", {{2, 0}}, empty_out({2, 0})},
    {"tanh", {{0, 3}}, empty_out({0, 3})},
    {"relu", {{2, 0}}, empty_out({2, 0})},
    {"relu", {{0, 3}}, empty_out({0, 3})},
    {"leaky_relu", {{2, 0}}, empty_out({2, 0})},
    {"leaky_relu", {{0, 3}}, empty_out({0, 3})},
    {"elu", {{2, 0}}, empty_out({2, 0})},
    {"elu", {{0, 3}}, empty_out({0, 3})},
    {"prelu_shared", {{2, 0}, {1}}, empty_out({2, 0})},
    {"prelu_shared", {{0, 3}, {1}}, empty_out({0, 3})},
    // ---- prelu: the weight's extent must match the channels
    {"prelu_channels", {{2, 3, 0}, {0}}, shape_error("prelu")},
    {"prelu_channels", {{2, 0, 2}, {3}}, shape_error("prelu")},
    {"prelu_channels", {{0, 3, 2}, {3}}, empty_out({0, 3, 2})},
    {"prelu_channels", {{2, 3, 0}, {3}}, empty_out({2, 3, 0})},  // hand-picked
    {"step", {{2, 0}}, empty_out({2, 0})},
    {"step", {{0, 3}}, empty_out({0, 3})},
    {"identity", {{0}}, empty_out({0})},
    // ---- softmax / log_softmax: a zero-size slice is fine
    {"softmax_last", {{2, 0}}, empty_out({2, 0})},
    {"softmax_last", {{0, 4}}, empty_out({0, 4})},
    {"softmax_dim0", {{3, 0}}, empty_out({3, 0})},
    {"softmax_dim0", {{0, 2}}, empty_out({0, 2})},
    {"softmax_3d_mid", {{2, 3, 0}}, empty_out({2, 3, 0})},
    {"softmax_3d_mid", {{2, 0, 2}}, empty_out({2, 0, 2})},
    {"softmax_3d_mid", {{0, 3, 2}}, empty_out({0, 3, 2})},
    {"log_softmax_last", {{2, 0}}, empty_out({2, 0})},
    {"log_softmax_last", {{0, 4}}, empty_out({0, 4})},
    {"log_softmax_dim0", {{3, 0}}, empty_out({3, 0})},
    {"log_softmax_dim0", {{0, 2}}, empty_out({0, 2})},
    // ---- reductions: the sum over nothing is 0, the mean NaN; max over an empty dim raises
    {"sum_all", {{2, 0}}, zero_out({})},
    {"sum_all", {{0, 3}}, zero_out({})},
    {"sum_dim0", {{2, 0}}, empty_out({0})},
    {"sum_dim0", {{0, 3}}, zero_out({3})},
    {"sum_last_keepdim", {{2, 0}}, zero_out({2, 1})},
    {"sum_last_keepdim", {{0, 3}}, empty_out({0, 1})},
    {"sum_two_dims", {{2, 3, 0}}, zero_out({3})},
    {"sum_two_dims", {{2, 0, 2}}, empty_out({0})},
    {"sum_two_dims", {{0, 3, 2}}, zero_out({3})},
    {"sum_mid_dim", {{2, 3, 0}}, empty_out({2, 0})},
    {"sum_mid_dim", {{2, 0, 2}}, zero_out({2, 2})},
    {"sum_mid_dim", {{0, 3, 2}}, empty_out({0, 2})},
    {"mean_all", {{2, 0}}, nan_out({})},
    {"mean_all", {{0, 3}}, nan_out({})},
    {"mean_dim_keepdim", {{2, 0}}, nan_out({2, 1})},
    {"mean_dim_keepdim", {{0, 3}}, empty_out({0, 1})},
    {"max_dim0", {{3, 0}}, empty_out({0})},
    {"max_dim0", {{0, 4}}, shape_error("max")},
    {"max_last_keepdim", {{2, 3, 0}}, shape_error("max")},
    {"max_last_keepdim", {{2, 0, 4}}, empty_out({2, 0, 1})},
    {"max_last_keepdim", {{0, 3, 4}}, empty_out({0, 3, 1})},
    // ---- shape ops
    {"reshape", {{2, 0}}, shape_error("reshape")},
    {"reshape", {{0, 3}}, shape_error("reshape")},
    {"transpose", {{2, 3, 0}}, empty_out({0, 3, 2})},
    {"transpose", {{2, 0, 4}}, empty_out({4, 0, 2})},
    {"transpose", {{0, 3, 4}}, empty_out({4, 3, 0})},
    {"t", {{2, 0}}, empty_out({0, 2})},
    {"t", {{0, 3}}, empty_out({3, 0})},
    {"flatten", {{2, 3, 0}}, empty_out({2, 0})},
    {"flatten", {{2, 0, 2}}, empty_out({2, 0})},
    {"flatten", {{0, 3, 2}}, empty_out({0, 6})},
    {"expand", {{1, 0}}, shape_error("expand")},
    {"expand", {{0, 3}}, shape_error("expand")},
    {"expand_rank", {{0}}, shape_error("expand")},
    {"slice_mid", {{2, 0}}, shape_error("slice")},
    {"slice_mid", {{0, 4}}, empty_out({0, 2})},
    {"slice_edge", {{3, 0}}, empty_out({1, 0})},
    {"slice_edge", {{0, 2}}, shape_error("slice")},
    {"concat_dim0", {{1, 0}, {2, 0}, {1, 0}}, empty_out({4, 0})},
    {"concat_dim0", {{1, 3}, {0, 3}, {1, 3}}, finite_out({2, 3})},
    {"concat_dim1_shared", {{2, 1}, {2, 0}}, finite_out({2, 2})},
    {"concat_dim1_shared", {{0, 1}, {0, 2}}, empty_out({0, 4})},
    {"concat_dim1_shared", {{2, 0}, {2, 2}}, finite_out({2, 2})},  // hand-picked
    {"index_select_repeats", {{3, 0}}, empty_out({3, 0})},
    {"index_select_repeats", {{0, 2}}, value_error("index_select")},
    {"index_select_dim1", {{2, 0}}, value_error("index_select")},
    {"index_select_dim1", {{0, 3}}, empty_out({0, 1})},
    {"index_add", {{3, 0}}, empty_out({3, 0})},
    {"index_add", {{0, 2}}, shape_error("index_add")},
    // ---- linear algebra: inner extent 0 gives zeros, outer 0 empty; batch 1 stretches to 0
    {"matmul_2d", {{3, 0}, {4, 0}}, shape_error("matmul")},
    {"matmul_2d", {{0, 4}, {0, 2}}, shape_error("matmul")},
    {"matmul_2d", {{0, 4}, {4, 2}}, empty_out({0, 2})},  // hand-picked
    {"matmul_2d", {{3, 0}, {0, 2}}, zero_out({3, 2})},  // hand-picked
    {"matmul_2d", {{3, 4}, {4, 0}}, empty_out({3, 0})},  // hand-picked
    {"matmul_dot", {{0}, {0}}, zero_out({})},
    {"matmul_vec_mat", {{0}, {3, 0}}, shape_error("matmul")},
    {"matmul_vec_mat", {{3}, {0, 2}}, shape_error("matmul")},
    {"matmul_vec_mat", {{0}, {0, 2}}, zero_out({2})},  // hand-picked
    {"matmul_vec_mat", {{3}, {3, 0}}, empty_out({0})},  // hand-picked
    {"matmul_mat_vec", {{2, 0}, {0}}, zero_out({2})},
    {"matmul_mat_vec", {{0, 3}, {3}}, empty_out({0})},
    {"matmul_batched", {{2, 3, 0}, {2, 4, 0}}, shape_error("matmul")},
    {"matmul_batched", {{2, 0, 4}, {2, 0, 2}}, shape_error("matmul")},
    {"matmul_batched", {{0, 3, 4}, {0, 4, 2}}, empty_out({0, 3, 2})},
    {"matmul_batched", {{2, 3, 0}, {2, 0, 2}}, zero_out({2, 3, 2})},  // hand-picked
    {"matmul_batched", {{2, 0, 4}, {2, 4, 2}}, empty_out({2, 0, 2})},  // hand-picked
    {"matmul_batched", {{2, 3, 4}, {2, 4, 0}}, empty_out({2, 3, 0})},  // hand-picked
    {"matmul_batch_broadcast", {{1, 2, 0}, {3, 3, 0}}, shape_error("matmul")},
    {"matmul_batch_broadcast", {{1, 0, 3}, {3, 0, 2}}, shape_error("matmul")},
    {"matmul_batch_broadcast", {{1, 2, 3}, {0, 3, 2}}, empty_out({0, 2, 2})},
    {"matmul_batch_broadcast", {{1, 2, 0}, {3, 0, 2}}, zero_out({3, 2, 2})},  // hand-picked
    {"matmul_batch_broadcast", {{0, 2, 3}, {1, 3, 2}}, empty_out({0, 2, 2})},  // hand-picked
    {"matmul_3d_2d", {{2, 3, 0}, {4, 0}}, shape_error("matmul")},
    {"matmul_3d_2d", {{2, 0, 4}, {0, 2}}, shape_error("matmul")},
    {"matmul_3d_2d", {{0, 3, 4}, {4, 2}}, empty_out({0, 3, 2})},
    {"matmul_3d_2d", {{2, 3, 0}, {0, 2}}, zero_out({2, 3, 2})},  // hand-picked
    {"matmul_3d_2d", {{2, 0, 4}, {4, 2}}, empty_out({2, 0, 2})},  // hand-picked
    {"matmul_2d_3d", {{3, 0}, {2, 4, 0}}, shape_error("matmul")},
    {"matmul_2d_3d", {{0, 4}, {2, 0, 2}}, shape_error("matmul")},
    {"matmul_2d_3d", {{3, 4}, {0, 4, 2}}, empty_out({0, 3, 2})},
    {"matmul_2d_3d", {{3, 0}, {2, 0, 2}}, zero_out({2, 3, 2})},  // hand-picked
    {"matmul_2d_3d", {{3, 4}, {2, 4, 0}}, empty_out({2, 3, 0})},  // hand-picked
    {"matmul_t_a", {{4, 0}, {4, 0}}, empty_out({0, 0})},
    {"matmul_t_a", {{0, 3}, {0, 2}}, zero_out({3, 2})},
    {"matmul_t_a", {{4, 0}, {4, 2}}, empty_out({0, 2})},  // hand-picked
    {"matmul_t_b", {{3, 0}, {2, 0}}, zero_out({3, 2})},
    {"matmul_t_b", {{0, 4}, {0, 4}}, empty_out({0, 0})},
    {"matmul_t_b", {{3, 4}, {0, 4}}, empty_out({3, 0})},  // hand-picked
    {"matmul_t_ab", {{4, 0}, {2, 0}}, shape_error("matmul")},
    {"matmul_t_ab", {{0, 3}, {0, 4}}, shape_error("matmul")},
    {"matmul_t_ab", {{0, 3}, {2, 0}}, zero_out({3, 2})},  // hand-picked
    {"matmul_t_batched", {{2, 4, 0}, {2, 2, 0}}, shape_error("matmul")},
    {"matmul_t_batched", {{2, 0, 3}, {2, 0, 4}}, shape_error("matmul")},
    {"matmul_t_batched", {{0, 4, 3}, {0, 2, 4}}, empty_out({0, 3, 2})},
    {"matmul_t_batched", {{2, 0, 3}, {2, 2, 0}}, zero_out({2, 3, 2})},  // hand-picked
    // ---- casts
    {"to_float32_and_back", {{0}}, empty_out({0})},
    // ---- fused losses (unreduced)
    {"softmax_cross_entropy", {{3, 0}}, value_error("softmax_cross_entropy")},
    {"softmax_cross_entropy", {{0, 4}}, shape_error("softmax_cross_entropy")},
    {"bce_with_logits", {{2, 0}, {2, 0}}, empty_out({2, 0})},
    {"bce_with_logits", {{0, 3}, {0, 3}}, empty_out({0, 3})},
    {"bce", {{2, 0}, {2, 0}}, empty_out({2, 0})},
    {"bce", {{0, 3}, {0, 3}}, empty_out({0, 3})},
    // ---- nn modules
    {"nn_linear", {{4, 0}}, shape_error("Linear")},
    {"nn_linear", {{0, 3}}, empty_out({0, 2})},
    {"nn_linear_1d", {{0}}, shape_error("Linear")},
    {"nn_linear_3d", {{2, 2, 0}}, shape_error("Linear")},
    {"nn_linear_3d", {{2, 0, 3}}, empty_out({2, 0, 2})},
    {"nn_linear_3d", {{0, 2, 3}}, empty_out({0, 2, 2})},
    {"nn_linear_no_bias", {{4, 0}}, shape_error("Linear")},
    {"nn_linear_no_bias", {{0, 3}}, empty_out({0, 2})},
    {"nn_sequential", {{5, 0}}, shape_error("Linear")},
    {"nn_sequential", {{0, 3}}, empty_out({0, 2})},
    {"nn_relu_module", {{2, 0}}, empty_out({2, 0})},
    {"nn_relu_module", {{0, 3}}, empty_out({0, 3})},
    {"nn_sigmoid_module", {{2, 0}}, empty_out({2, 0})},
    {"nn_sigmoid_module", {{0, 3}}, empty_out({0, 3})},
    {"nn_tanh_module", {{2, 0}}, empty_out({2, 0})},
    {"nn_tanh_module", {{0, 3}}, empty_out({0, 3})},
    {"nn_leaky_relu_module", {{2, 0}}, empty_out({2, 0})},
    {"nn_leaky_relu_module", {{0, 3}}, empty_out({0, 3})},
    {"nn_elu_module", {{2, 0}}, empty_out({2, 0})},
    {"nn_elu_module", {{0, 3}}, empty_out({0, 3})},
    {"nn_prelu_module", {{2, 0}}, empty_out({2, 0})},
    {"nn_prelu_module", {{0, 3}}, empty_out({0, 3})},
    {"nn_prelu_module_channels", {{2, 3, 0}}, empty_out({2, 3, 0})},
    {"nn_prelu_module_channels", {{2, 0, 2}}, shape_error("prelu")},
    {"nn_prelu_module_channels", {{0, 3, 2}}, empty_out({0, 3, 2})},
    {"nn_softmax_module", {{2, 3, 0}}, empty_out({2, 3, 0})},
    {"nn_softmax_module", {{2, 0, 2}}, empty_out({2, 0, 2})},
    {"nn_softmax_module", {{0, 3, 2}}, empty_out({0, 3, 2})},
    {"nn_identity_module", {{0}}, empty_out({0})},
    {"nn_step_module", {{2, 0}}, empty_out({2, 0})},
    {"nn_step_module", {{0, 3}}, empty_out({0, 3})},
    {"nn_batchnorm_train_2d", {{4, 0}}, shape_error("BatchNorm1d")},  // divergence: PyTorch returns {4, 0} (see above)
    {"nn_batchnorm_train_2d", {{0, 3}}, empty_out({0, 3})},
    {"nn_batchnorm_train_3d", {{2, 3, 0}}, empty_out({2, 3, 0})},
    {"nn_batchnorm_train_3d", {{2, 0, 3}}, shape_error("BatchNorm1d")},  // divergence: PyTorch returns {2, 0, 3} (see above)
    {"nn_batchnorm_train_3d", {{0, 3, 3}}, empty_out({0, 3, 3})},
    {"nn_batchnorm_eval", {{2, 3, 0}}, empty_out({2, 3, 0})},
    {"nn_batchnorm_eval", {{2, 0, 2}}, shape_error("BatchNorm1d")},  // divergence: PyTorch returns {2, 0, 2} (see above)
    {"nn_batchnorm_eval", {{0, 3, 2}}, empty_out({0, 3, 2})},
    {"nn_dropout_eval", {{2, 0}}, empty_out({2, 0})},
    {"nn_dropout_eval", {{0, 3}}, empty_out({0, 3})},
    {"nn_dropout_train_seeded", {{4, 0}}, empty_out({4, 0})},
    {"nn_dropout_train_seeded", {{0, 5}}, empty_out({0, 5})},
    // ---- nn losses: the mean over N = 0 is NaN, the sum 0
    {"nn_mse_loss", {{2, 0}, {2, 0}}, nan_out({})},
    {"nn_mse_loss", {{0, 3}, {0, 3}}, nan_out({})},
    {"nn_mse_loss_sum", {{0}, {0}}, zero_out({})},
    {"nn_mse_loss_none", {{2, 0}, {2, 0}}, empty_out({2, 0})},
    {"nn_mse_loss_none", {{0, 2}, {0, 2}}, empty_out({0, 2})},
    {"nn_mse_loss_module", {{3, 0}, {3, 0}}, nan_out({})},
    {"nn_mse_loss_module", {{0, 2}, {0, 2}}, nan_out({})},
    {"nn_cross_entropy", {{3, 0}}, value_error("cross_entropy")},
    {"nn_cross_entropy", {{0, 4}}, shape_error("cross_entropy")},
    {"nn_cross_entropy_sum_float64_labels", {{3, 0}}, value_error("cross_entropy")},
    {"nn_cross_entropy_sum_float64_labels", {{0, 2}}, shape_error("cross_entropy")},
    {"nn_cross_entropy_none", {{2, 0}}, value_error("cross_entropy")},
    {"nn_cross_entropy_none", {{0, 3}}, shape_error("cross_entropy")},
    {"nn_cross_entropy_one_sample", {{0}}, value_error("cross_entropy")},
    {"nn_cross_entropy_probabilities", {{3, 0}, {3, 0}}, nan_out({})},
    {"nn_cross_entropy_probabilities", {{0, 4}, {0, 4}}, nan_out({})},
    {"nn_cross_entropy_loss_module", {{2, 0}}, value_error("cross_entropy")},
    {"nn_cross_entropy_loss_module", {{0, 3}}, shape_error("cross_entropy")},
    {"nn_bce", {{2, 0}, {2, 0}}, nan_out({})},
    {"nn_bce", {{0, 3}, {0, 3}}, nan_out({})},
    {"nn_bce_none", {{0}, {0}}, empty_out({0})},
    {"nn_bce_loss_module", {{0}, {0}}, zero_out({})},
    {"nn_bce_with_logits", {{2, 0}, {2, 0}}, nan_out({})},
    {"nn_bce_with_logits", {{0, 3}, {0, 3}}, nan_out({})},
    {"nn_bce_with_logits_none", {{0}, {0}}, empty_out({0})},
    {"nn_bce_with_logits_loss_module", {{3, 0}, {3, 0}}, nan_out({})},
    {"nn_bce_with_logits_loss_module", {{0, 2}, {0, 2}}, nan_out({})},
    // ---- compositions
    {"custom_function", {{2, 0}}, empty_out({2, 0})},
    {"custom_function", {{0, 2}}, empty_out({0, 2})},
    {"shared_subexpression", {{2, 0}, {1, 0}}, zero_out({2})},
    {"shared_subexpression", {{0, 3}, {1, 3}}, empty_out({0})},
    {"mlp_layer", {{4, 0}, {2, 0}, {0}}, shape_error("add")},
    {"mlp_layer", {{0, 3}, {0, 3}, {2}}, shape_error("add")},
    {"mlp_layer", {{4, 0}, {2, 0}, {2}}, finite_out({4, 2})},  // hand-picked
    {"mlp_layer", {{0, 3}, {2, 3}, {2}}, empty_out({0, 2})},  // hand-picked
  };
  return rows;
}

// Registry cases whose inputs are all 0-D: no extent can be 0.
const std::set<std::string> kNoZeroSizeVariant = {"add_0d", "mul_0d"};

// ------------------------------------------------------------------------ helpers

std::string shapes_str(const std::vector<Shape>& shapes) {
  std::vector<std::string> parts;
  for (const auto& s : shapes) parts.push_back(shape_str(s));
  return fmt::format("({})", fmt::join(parts, ", "));
}

/// The zero-size variants of a case's input shapes (see the file comment).
std::vector<std::vector<Shape>> derive_variants(const std::vector<Shape>& shapes) {
  std::vector<std::vector<Shape>> out;
  std::size_t rank = 0;
  for (const auto& s : shapes) rank = std::max(rank, s.size());
  for (std::size_t p = 0; p < rank; ++p) {
    std::vector<Shape> v = shapes;
    bool any = false;
    for (auto& s : v)
      if (s.size() > p && s[s.size() - 1 - p] != 1) {
        s[s.size() - 1 - p] = 0;
        any = true;
      }
    if (!any)
      for (auto& s : v)
        if (s.size() > p) s[s.size() - 1 - p] = 0;
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  return out;
}

const Row* find_row(const std::string& name, const std::vector<Shape>& shapes) {
  for (const auto& r : table())
    if (r.case_name == name && r.shapes == shapes) return &r;
  return nullptr;
}

/// Derived variants first, then the table's hand-picked ones for the case.
std::vector<std::vector<Shape>> variants_of(const OpCase& c) {
  auto vs = derive_variants(c.shapes);
  for (const auto& r : table())
    if (r.case_name == c.name && std::find(vs.begin(), vs.end(), r.shapes) == vs.end()) vs.push_back(r.shapes);
  return vs;
}

bool all_of_values(const Tensor& t, const std::function<bool(double)>& p) {
  for (double v : t.to_vector())
    if (!p(v)) return false;
  return true;
}

void expect_fill(const Tensor& y, Fill fill, const char* what) {
  switch (fill) {
    case Fill::Empty: EXPECT_EQ(y.numel(), 0u) << what; break;
    case Fill::Zeros:
      EXPECT_GT(y.numel(), 0u) << what;
      EXPECT_TRUE(all_of_values(y, [](double v) { return v == 0; })) << what << ": " << y;
      break;
    case Fill::NaN:
      EXPECT_GT(y.numel(), 0u) << what;
      EXPECT_TRUE(all_of_values(y, [](double v) { return std::isnan(v); })) << what << ": " << y;
      break;
    case Fill::Finite:
      EXPECT_GT(y.numel(), 0u) << what;
      EXPECT_TRUE(all_of_values(y, [](double v) { return std::isfinite(v); })) << what << ": " << y;
      break;
  }
}

const char* err_name(Err e) { return e == Err::Shape ? "ShapeError" : e == Err::Value ? "ValueError" : "no error"; }

/// One variant of one case: forward (and backward, gradcheck, float32) against its row, or,
/// with no row, against the generic contract (a typed error or input-shaped gradients).
void check_variant(const OpCase& c, const std::vector<Shape>& shapes, const Expect* expect) {
  SCOPED_TRACE(fmt::format("case '{}' with inputs {}", c.name, shapes_str(shapes)));
  OpCase v = c;
  v.shapes = shapes;
  std::vector<Tensor> inputs = make_inputs(v);
  for (auto& x : inputs) x.requires_grad_(true);
  Tensor y;
  auto on_error = [&](Err kind, const char* what) {
    if (!expect) return;  // a typed error is within the generic contract
    if (expect->error == Err::None) {
      ADD_FAILURE() << "expected an output of shape " << shape_str(expect->out) << ", got " << err_name(kind)
                    << ": " << what;
    } else {
      EXPECT_EQ(err_name(kind), std::string(err_name(expect->error))) << what;
      EXPECT_NE(std::string(what).find(expect->op), std::string::npos)
          << "the message should name '" << expect->op << "': " << what;
    }
  };
  try {
    y = c.fn(inputs);
  } catch (const ShapeError& e) {
    return on_error(Err::Shape, e.what());
  } catch (const ValueError& e) {
    return on_error(Err::Value, e.what());
  } catch (const GraphError& e) {
    ADD_FAILURE() << "GraphError on a forward: " << e.what();
    return;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "an untyped exception: " << e.what();
    return;
  }
  ASSERT_TRUE(y.defined());
  if (expect) {
    if (expect->error != Err::None) {
      ADD_FAILURE() << "expected a " << err_name(expect->error) << " naming '" << expect->op
                    << "', got an output of shape " << shape_str(y.shape());
      return;
    }
    EXPECT_EQ(shape_str(y.shape()), shape_str(expect->out));
    expect_fill(y, expect->fill, "float64 output");
  }

  // backward of sum(output): every input gets a gradient of its shape; zeros if y is empty.
  ASSERT_TRUE(y.requires_grad());
  sum(y).backward();
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor g = inputs[i].grad();
    ASSERT_TRUE(g.defined()) << "input " << i << " got no gradient";
    EXPECT_EQ(shape_str(g.shape()), shape_str(inputs[i].shape())) << "gradient of input " << i;
    EXPECT_EQ(g.dtype(), kFloat64);
    EXPECT_TRUE(all_of_values(g, [](double x) { return std::isfinite(x); })) << "gradient of input " << i << ": " << g;
    if (y.numel() == 0) {
      EXPECT_TRUE(all_of_values(g, [](double x) { return x == 0; })) << "gradient of input " << i << ": " << g;
    }
  }

  // The non-empty inputs' gradients against finite differences (zero-size ones have no elements).
  std::vector<Tensor> fresh = make_inputs(v);
  for (auto& x : fresh) x.requires_grad_(true);
  const auto first = gradcheck(c.fn, fresh, c.options);
  EXPECT_TRUE(first.ok) << first.report;
  if (c.second_order) {
    const auto second = gradgradcheck(c.fn, fresh, c.options);
    EXPECT_TRUE(second.ok) << second.report;
  }

  // float32: the same shape and kind of values, and a backward that runs.
  std::vector<Tensor> narrow;
  for (const auto& x : make_inputs(v)) narrow.push_back(x.to(kFloat32).requires_grad_(true));
  const Tensor y32 = c.fn(narrow);
  EXPECT_EQ(shape_str(y32.shape()), shape_str(y.shape()));
  if (expect) expect_fill(y32, expect->fill, "float32 output");
  sum(y32).backward();
  for (std::size_t i = 0; i < narrow.size(); ++i) {
    ASSERT_TRUE(narrow[i].grad().defined());
    EXPECT_EQ(narrow[i].grad().shape(), narrow[i].shape());
  }
}

// ------------------------------------------------------------------------ the registry sweep

class EmptyInputs : public ::testing::TestWithParam<OpCase> {};

TEST_P(EmptyInputs, MatchPyTorch) {
  const OpCase& c = GetParam();
  for (const auto& shapes : variants_of(c)) check_variant(c, shapes, [&]() -> const Expect* {
      const Row* r = find_row(c.name, shapes);
      return r ? &r->expect : nullptr;
    }());
}

INSTANTIATE_TEST_SUITE_P(Registry, EmptyInputs, ::testing::ValuesIn(op_cases()),
                         [](const ::testing::TestParamInfo<OpCase>& info) { return info.param.name; });

// The meta-check: every registry case was tried with zero-size inputs, against a table row.
TEST(EmptyTensors, EveryRegistryCaseHasZeroSizeExpectations) {
  std::set<std::string> names;
  std::size_t tried = 0;
  for (const auto& c : op_cases()) {
    names.insert(c.name);
    const auto derived = derive_variants(c.shapes);
    if (derived.empty()) {
      EXPECT_TRUE(kNoZeroSizeVariant.count(c.name))
          << "case '" << c.name << "' has no zero-size variant: list it in kNoZeroSizeVariant";
      continue;
    }
    EXPECT_FALSE(kNoZeroSizeVariant.count(c.name)) << c.name;
    for (const auto& shapes : derived) {
      ++tried;
      EXPECT_TRUE(find_row(c.name, shapes))
          << "case '" << c.name << "': no expectation for its zero-size inputs " << shapes_str(shapes)
          << " — run the same function in PyTorch and add a row to the table in tests/test_empty_tensors.cpp";
    }
  }
  for (const auto& r : table()) {
    EXPECT_TRUE(names.count(r.case_name)) << "row for unknown case '" << r.case_name << "'";
    bool has_zero = false;
    for (const auto& s : r.shapes) has_zero = has_zero || std::find(s.begin(), s.end(), 0) != s.end();
    EXPECT_TRUE(has_zero) << r.case_name << " " << shapes_str(r.shapes);
  }
  EXPECT_GT(tried, op_cases().size());
}

// ------------------------------------------------------------------------ targeted checks

using xg::testing::expect_error;

TEST(EmptyTensors, CreationOps) {
  const std::vector<std::pair<const char*, Tensor>> made = {
      {"zeros", zeros({0, 3})},        {"ones", ones({0})},
      {"full", full({2, 0}, 1.5)},     {"empty", empty({3, 0, 2})},
      {"rand", rand({0})},             {"randn", randn({3, 0}, kFloat64)},
      {"uniform", uniform({0, 2}, -1, 1)}, {"normal", normal({0}, 0, 1)},
      {"arange", arange(0)},           {"from_vector", from_vector({}, {0, 3})},
      {"zeros_like", zeros_like(zeros({4, 0}))}, {"tensor", tensor({})},
  };
  for (const auto& [name, t] : made) {
    SCOPED_TRACE(name);
    EXPECT_EQ(t.numel(), 0u);
    EXPECT_TRUE(t.to_vector().empty());
  }
  EXPECT_EQ(zeros({0, 3}).shape(), (Shape{0, 3}));
  EXPECT_EQ(tensor({}).shape(), (Shape{0}));            // torch.tensor([])
  EXPECT_EQ(tensor({{}, {}}).shape(), (Shape{2, 0}));   // torch.tensor([[], []])
  EXPECT_EQ(arange(0).shape(), (Shape{0}));
  expect_error<ShapeError>([] { from_vector({1.0}, {0, 3}); }, {"from_vector", "[0, 3]"});
}

TEST(EmptyTensors, PrintingItemAndValues) {
  // PyTorch: tensor([]), tensor([], size=(0, 3)), ..., dtype=torch.float64
  EXPECT_EQ(to_string(zeros({0})), "tensor([])");
  EXPECT_EQ(to_string(zeros({0, 3})), "tensor([], size=[0, 3])");
  EXPECT_EQ(to_string(zeros({2, 0}, kFloat64).requires_grad_()), "tensor([], size=[2, 0], dtype=float64, requires_grad=true)");
  EXPECT_EQ(to_string(zeros({0, 3}).requires_grad_() * 2.0), "tensor([], size=[0, 3], grad_fn=<mul>)");
  std::ostringstream os;
  os << zeros({3, 0, 2});
  EXPECT_EQ(os.str(), "tensor([], size=[3, 0, 2])");
  expect_error<ValueError>([] { zeros({0}).item(); }, {"item()", "[0]", "0 elements"});
  expect_error<ValueError>([] { zeros({0, 3}).item(); }, {"item()", "[0, 3]"});
  EXPECT_TRUE(zeros({0, 3}).to_vector().empty());
  const auto xa = zeros({0, 3}, kFloat64).to_xarray<float>();
  EXPECT_EQ(xa.size(), 0u);
  EXPECT_EQ(xa.dimension(), 2u);
  EXPECT_EQ(from_xarray(xa).shape(), (Shape{0, 3}));
  // Reading an empty tensor's buffer is fine; there is nothing in it.
  EXPECT_NO_THROW(zeros({0}, kFloat64).data_ptr<double>());
}

TEST(EmptyTensors, SumIsZeroAndMeanIsNaN) {
  // torch: zeros(0, 3).sum() = 0, .mean() = nan, .mean(0) = [nan, nan, nan], .mean(1) = []
  Tensor x = zeros({0, 3}, kFloat64).requires_grad_();
  EXPECT_EQ(sum(x).item(), 0.0);
  EXPECT_EQ(sum(x, {0}).to_vector(), (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(sum(x, {1}).shape(), (Shape{0}));
  const Tensor m = mean(x);
  EXPECT_EQ(m.shape(), Shape{});
  EXPECT_TRUE(std::isnan(m.item()));
  const Tensor m0 = mean(x, {0});
  EXPECT_EQ(m0.shape(), (Shape{3}));
  EXPECT_TRUE(all_of_values(m0, [](double v) { return std::isnan(v); }));
  EXPECT_EQ(mean(x, {1}).shape(), (Shape{0}));
  EXPECT_EQ(mean(x, {1}, true).shape(), (Shape{0, 1}));
  m.backward();  // the gradient of a NaN mean over nothing: an empty gradient, no error
  EXPECT_EQ(x.grad().shape(), (Shape{0, 3}));
  x.zero_grad();
  sum(m0).backward();
  EXPECT_EQ(x.grad().shape(), (Shape{0, 3}));
}

TEST(EmptyTensors, MaxAndArgmaxOverAnEmptyDimRaise) {
  // torch: IndexError "max(): Expected reduction dim 0 to have non-zero size."
  expect_error<ShapeError>([] { max(zeros({0, 3}), 0); }, {"max", "[0, 3]", "extent 0"});
  expect_error<ShapeError>([] { argmax(zeros({2, 0}), -1); }, {"argmax", "[2, 0]"});
  EXPECT_EQ(max(zeros({0, 3}), 1).shape(), (Shape{0}));  // a non-empty dim of an empty tensor
  EXPECT_EQ(argmax(zeros({0, 3}), 1, true).shape(), (Shape{0, 1}));
}

TEST(EmptyTensors, SoftmaxAndLogSoftmaxOverAnEmptyDim) {
  using Op = std::function<Tensor(const Tensor&, int)>;
  for (const Op& op : {Op([](const Tensor& t, int d) { return softmax(t, d); }),
                       Op([](const Tensor& t, int d) { return log_softmax(t, d); })}) {
    Tensor x = zeros({2, 0}, kFloat64).requires_grad_();
    Tensor y = op(x, -1);  // every slice is empty
    EXPECT_EQ(y.shape(), (Shape{2, 0}));
    sum(y).backward();
    EXPECT_EQ(x.grad().shape(), (Shape{2, 0}));
    EXPECT_EQ(op(zeros({0, 3}), 0).shape(), (Shape{0, 3}));  // no slices
    EXPECT_EQ(op(zeros({0}), 0).shape(), (Shape{0}));
  }
}

TEST(EmptyTensors, LossesOverAnEmptyBatch) {
  // torch: F.cross_entropy(zeros(0, 3), zeros(0, long)) = nan; reduction='sum' -> 0; 'none' -> []
  Tensor logits = zeros({0, 3}, kFloat64).requires_grad_();
  const Tensor labels = zeros({0});
  Tensor l = F::cross_entropy(logits, labels);
  EXPECT_TRUE(std::isnan(l.item()));
  l.backward();
  EXPECT_EQ(logits.grad().shape(), (Shape{0, 3}));
  EXPECT_EQ(F::cross_entropy(logits, labels, F::Reduction::Sum).item(), 0.0);
  EXPECT_EQ(F::cross_entropy(logits, labels, F::Reduction::None).shape(), (Shape{0}));
  // Probability targets; with C = 0 PyTorch's mean is NaN too (0 elements / 0 classes).
  EXPECT_TRUE(std::isnan(F::cross_entropy(zeros({0, 3}), zeros({0, 3})).item()));
  EXPECT_TRUE(std::isnan(F::cross_entropy(zeros({3, 0}), zeros({3, 0})).item()));
  EXPECT_TRUE(std::isnan(F::cross_entropy(zeros({0}), zeros({0})).item()));   // one sample, C = 0
  EXPECT_EQ(F::cross_entropy(zeros({3, 0}), zeros({3, 0}), F::Reduction::Sum).item(), 0.0);
  EXPECT_TRUE(std::isnan(F::cross_entropy(zeros({0, 0}), zeros({0})).item()));
  expect_error<ValueError>([] { F::cross_entropy(zeros({0}), tensor(2)); }, {"cross_entropy", "2"});
  // mse, bce, bce_with_logits: mean NaN, sum 0, none empty.
  using Loss = std::function<Tensor(const Tensor&, const Tensor&, F::Reduction)>;
  for (const Loss& loss : {Loss([](const Tensor& p, const Tensor& t, F::Reduction r) { return F::mse_loss(p, t, r); }),
                           Loss([](const Tensor& p, const Tensor& t, F::Reduction r) {
                             return F::binary_cross_entropy(p, t, r);
                           }),
                           Loss([](const Tensor& p, const Tensor& t, F::Reduction r) {
                             return F::binary_cross_entropy_with_logits(p, t, r);
                           })}) {
    Tensor p = zeros({0, 2}, kFloat64).requires_grad_();
    const Tensor t = zeros({0, 2}, kFloat64);
    Tensor mean_loss = loss(p, t, F::Reduction::Mean);
    EXPECT_TRUE(std::isnan(mean_loss.item()));
    mean_loss.backward();
    EXPECT_EQ(p.grad().shape(), (Shape{0, 2}));
    EXPECT_EQ(loss(p, t, F::Reduction::Sum).item(), 0.0);
    EXPECT_EQ(loss(p, t, F::Reduction::None).shape(), (Shape{0, 2}));
  }
  EXPECT_TRUE(std::isnan(nn::MSELoss()(zeros({0}), zeros({0})).item()));
}

TEST(EmptyTensors, ConcatWithAnEmptyPiece) {
  Tensor a = from_vector({1, 2, 3, 4, 5, 6}, {2, 3}, kFloat64).requires_grad_();
  Tensor e = zeros({0, 3}, kFloat64).requires_grad_();
  Tensor y = concat({e, a, e}, 0);
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_EQ(y.to_vector(), a.to_vector());
  sum(y * y).backward();
  EXPECT_EQ(a.grad().to_vector(), (std::vector<double>{2, 4, 6, 8, 10, 12}));
  EXPECT_EQ(e.grad().shape(), (Shape{0, 3}));
  EXPECT_EQ(concat({zeros({2, 0}), zeros({2, 0})}, 1).shape(), (Shape{2, 0}));
  EXPECT_EQ(concat({zeros({0, 3})}, 0).shape(), (Shape{0, 3}));
  // torch.cat skips legacy 1-D {0} pieces; xgrad asks for a piece of the right rank (see above).
  expect_error<ShapeError>([] { concat({ones({2, 3}), zeros({0})}, 0); }, {"concat", "[2, 3]", "[0]"});
  // Empty pieces must still match in the other dims (torch: "Sizes of tensors must match").
  expect_error<ShapeError>([] { concat({ones({2, 3}), zeros({0, 2})}, 0); }, {"concat", "[0, 2]"});
}

TEST(EmptyTensors, ReshapeToAndFromEmpty) {
  Tensor x = zeros({0, 3}, kFloat64).requires_grad_();
  EXPECT_EQ(x.reshape({3, 0}).shape(), (Shape{3, 0}));
  EXPECT_EQ(x.reshape({0}).shape(), (Shape{0}));
  EXPECT_EQ(x.reshape({2, 0, 5}).shape(), (Shape{2, 0, 5}));
  EXPECT_EQ(flatten(zeros({0, 2, 3}), 0).shape(), (Shape{0}));
  EXPECT_EQ(flatten(zeros({4, 0, 3})).shape(), (Shape{4, 0}));
  sum(x.reshape({3, 0})).backward();
  EXPECT_EQ(x.grad().shape(), (Shape{0, 3}));
  // torch: RuntimeError "shape '[]' is invalid for input of size 0"
  expect_error<ShapeError>([] { zeros({0, 3}).reshape({}); }, {"reshape", "[0, 3]", "[]"});
  expect_error<ShapeError>([] { ones({2, 3}).reshape({0, 6}); }, {"reshape", "[2, 3]", "[0, 6]"});
  EXPECT_EQ(transpose(zeros({2, 0, 4}), 0, 2).shape(), (Shape{4, 0, 2}));
  EXPECT_EQ(zeros({0, 3}).t().shape(), (Shape{3, 0}));
}

TEST(EmptyTensors, ExpandToEmpty) {
  // torch: ones(1, 3).expand(0, 3) is empty; the gradient of x is zeros of its shape.
  Tensor x = ones({1, 3}, kFloat64).requires_grad_();
  Tensor y = expand(x, {0, 3});
  EXPECT_EQ(y.shape(), (Shape{0, 3}));
  sum(y).backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(expand(zeros({0}), {2, 0}).shape(), (Shape{2, 0}));
  expect_error<ShapeError>([] { expand(zeros({0}), {3}); }, {"expand", "[0]", "[3]"});
}

TEST(EmptyTensors, SliceGivingEmpty) {
  Tensor x = from_vector({1, 2, 3, 4, 5, 6, 7, 8}, {2, 4}, kFloat64).requires_grad_();
  Tensor y = slice(x, 1, 2, 2);
  EXPECT_EQ(y.shape(), (Shape{2, 0}));
  sum(y).backward();
  EXPECT_EQ(x.grad().to_vector(), std::vector<double>(8, 0.0));
  EXPECT_EQ(slice(x, 1, 4, 4).shape(), (Shape{2, 0}));  // at the end: torch.narrow(x, 1, 4, 0)
  EXPECT_EQ(slice(x, 0, 0, 0).shape(), (Shape{0, 4}));
  EXPECT_EQ(slice(zeros({0, 4}), 1, 1, 3).shape(), (Shape{0, 2}));
  // Past the end: torch.narrow raises ("start (5) + length (0) exceeds dimension size (4)").
  expect_error<ShapeError>([&] { slice(x, 1, 5, 5); }, {"slice", "[5, 5)", "[2, 4]"});
}

TEST(EmptyTensors, IndexSelectAndIndexAddWithNoIndices) {
  // torch: x.index_select(0, tensor([], dtype=long)) -> {0, 2}; the gradient of x is zeros.
  Tensor x = ones({3, 2}, kFloat64).requires_grad_();
  Tensor y = index_select(x, 0, {});
  EXPECT_EQ(y.shape(), (Shape{0, 2}));
  EXPECT_EQ(index_select(x, 1, {}).shape(), (Shape{3, 0}));
  sum(y).backward();
  EXPECT_EQ(x.grad().to_vector(), std::vector<double>(6, 0.0));
  EXPECT_EQ(index_select(zeros({0, 2}), 0, {}).shape(), (Shape{0, 2}));
  expect_error<ValueError>([] { index_select(zeros({0, 2}), 0, {0}); }, {"index_select", "[0, 2]"});
  Tensor src = zeros({0, 2}, kFloat64).requires_grad_();
  const Tensor sum_into = index_add(src, 0, {}, 3);  // zeros({3, 2}).index_add(0, [], src)
  EXPECT_EQ(sum_into.to_vector(), std::vector<double>(6, 0.0));
  sum(sum_into).backward();
  EXPECT_EQ(src.grad().shape(), (Shape{0, 2}));
  EXPECT_EQ(index_add(zeros({2, 0}), 1, {}, 0).shape(), (Shape{2, 0}));
}

TEST(EmptyTensors, BackwardFromAnEmptyOutput) {
  Tensor x = zeros({0, 3}).requires_grad_();
  Tensor y = x * 2.0;
  // torch: "grad can be implicitly created only for scalar outputs"
  expect_error<GraphError>([&] { y.backward(); }, {"one-element", "[0, 3]"});
  y.backward(zeros({0, 3}));
  EXPECT_EQ(x.grad().shape(), (Shape{0, 3}));
  const auto g = grad({sum(x * x)}, {x}, {}, true, true);  // create_graph over an empty tensor
  EXPECT_EQ(g[0].shape(), (Shape{0, 3}));
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return sum(v[0] * 3.0); },
                        {zeros({0, 3}, kFloat64).requires_grad_()}).ok);
  EXPECT_FALSE(to_dot(sum(x * 2.0)).empty());
}

TEST(EmptyTensors, InPlaceOpsAndOptimizersOnEmptyTensors) {
  Tensor a = zeros({0, 3});
  a.add_(1.0).mul_(ones({3})).fill_(2.0).clamp_(0, 1).zero_().copy_(ones({0, 3}));
  EXPECT_EQ(a.shape(), (Shape{0, 3}));
  Tensor p = zeros({0, 3}).requires_grad_();
  sum(p * 2.0).backward();
  optim::Momentum opt({p}, {.lr = 0.1});
  opt.step();
  opt.step();
  opt.zero_grad();
  EXPECT_EQ(p.shape(), (Shape{0, 3}));
  nn::Linear lin(3, 2);
  sum(lin(zeros({0, 3}))).backward();  // a batch of none: zero gradients, as torch
  EXPECT_EQ(lin.weight.grad().to_vector(), std::vector<double>(6, 0.0));
  EXPECT_EQ(lin.bias.grad().to_vector(), std::vector<double>(2, 0.0));
  nn::Dropout drop(0.5);
  EXPECT_EQ(drop(zeros({0, 3})).shape(), (Shape{0, 3}));
}

TEST(EmptyTensors, AnomalyModeReportsTheNaNOfAMeanOverNothing) {
  DetectAnomalyGuard guard;
  Tensor x = zeros({0, 3}).requires_grad_();
  EXPECT_NO_THROW(sum(x * 2.0).backward());  // the sum over nothing is 0: nothing to report
  expect_error<ValueError>([&] { mean(x); }, {"anomaly", "NaN"});
}

// ------------------------------------------------------------------------ regressions (bugs found here)

TEST(EmptyTensors, MatmulBatchOfOneStretchesToZero) {
  // Was: batch = max(1, 0) = 1, an output {1, 3, 2} read from the empty operand's buffer.
  Tensor a = zeros({0, 3, 4}, kFloat64).requires_grad_();
  Tensor b = ones({4, 2}, kFloat64).requires_grad_();
  Tensor y = matmul(a, b);
  EXPECT_EQ(y.shape(), (Shape{0, 3, 2}));  // torch: [0, 3, 2]
  sum(y).backward();
  EXPECT_EQ(a.grad().shape(), (Shape{0, 3, 4}));
  EXPECT_EQ(b.grad().to_vector(), std::vector<double>(8, 0.0));
  EXPECT_EQ(matmul(ones({1, 2, 3}), ones({0, 3, 2})).shape(), (Shape{0, 2, 2}));
  EXPECT_EQ(matmul(ones({3, 4}), ones({0, 4, 2})).shape(), (Shape{0, 3, 2}));
  EXPECT_EQ(matmul_t(ones({0, 4, 3}), ones({1, 2, 4}), true, true).shape(), (Shape{0, 3, 2}));
}

TEST(EmptyTensors, LinearWithZeroInFeaturesIsTheBias) {
  // torch: F.linear(ones(4, 0), ones(2, 0), full((2,), 0.5)) is 0.5 everywhere; d/db = 4 per
  // output. Was: the row count came out 0 (numel / in), leaving the output uninitialised.
  for (bool create_graph : {false, true}) {
    SCOPED_TRACE(create_graph ? "create_graph" : "direct backward");
    Tensor x = ones({4, 0}, kFloat64).requires_grad_();
    Tensor w = ones({2, 0}, kFloat64).requires_grad_();
    Tensor b = full({2}, 0.5, kFloat64).requires_grad_();
    Tensor y = fused::linear(x, w, b);
    EXPECT_EQ(y.shape(), (Shape{4, 2}));
    EXPECT_EQ(y.to_vector(), std::vector<double>(8, 0.5));
    const auto g = grad({sum(y)}, {x, w, b}, {}, false, create_graph);
    EXPECT_EQ(g[0].shape(), (Shape{4, 0}));
    EXPECT_EQ(g[1].shape(), (Shape{2, 0}));
    EXPECT_EQ(g[2].to_vector(), (std::vector<double>{4, 4}));
  }
  EXPECT_EQ(fused::linear(ones({0}), ones({2, 0}), full({2}, 0.5)).to_vector(), (std::vector<double>{0.5, 0.5}));
  EXPECT_EQ(fused::linear(ones({2, 3, 0}), ones({2, 0}), Tensor()).to_vector(), std::vector<double>(12, 0.0));
}

TEST(EmptyTensors, BatchNormOfAnEmptyBatch) {
  // torch: BatchNorm1d(3) in training on zeros(0, 3): an empty output, running stats unchanged,
  // zero gradients for weight and bias. Was: "training needs more than one value per channel".
  nn::BatchNorm1d bn(3);
  for (const Shape& s : {Shape{0, 3}, Shape{0, 3, 4}, Shape{2, 3, 0}}) {
    SCOPED_TRACE(shape_str(s));
    bn.zero_grad();
    Tensor x = zeros(s).requires_grad_();
    Tensor y = bn(x);
    EXPECT_EQ(y.shape(), s);
    sum(y).backward();
    EXPECT_EQ(x.grad().shape(), s);
    EXPECT_EQ(bn.weight.grad().to_vector(), std::vector<double>(3, 0.0));
    EXPECT_EQ(bn.bias.grad().to_vector(), std::vector<double>(3, 0.0));
    EXPECT_EQ(bn.running_mean.to_vector(), std::vector<double>(3, 0.0));
    EXPECT_EQ(bn.running_var.to_vector(), std::vector<double>(3, 1.0));
  }
  bn.eval();
  EXPECT_EQ(bn(zeros({0, 3})).shape(), (Shape{0, 3}));
  bn.train();
  // One value per channel still raises (as torch); a wrong channel count too (see above).
  expect_error<ValueError>([&] { bn(zeros({1, 3})); }, {"BatchNorm1d", "more than one value"});
  expect_error<ShapeError>([&] { bn(zeros({0, 2})); }, {"BatchNorm1d", "[0, 2]"});
}

}  // namespace
}  // namespace xg::testing
