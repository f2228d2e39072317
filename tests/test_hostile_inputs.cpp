// Hostile inputs (the reliability issue, part 5):
//  - shapes whose element count overflows std::size_t, or whose buffer would exceed the memory
//    limit (autodiff/shape_check.hpp), are a ShapeError naming the op and the shape — checked
//    before anything is allocated, so never an abort, a sanitizer report or a std::bad_alloc;
//  - NaN and ±inf in the inputs of the losses give what PyTorch 1.13 gives (values and
//    gradients below were produced with torch; see docs/nn.md, "Non-finite inputs");
//  - mixed float32/float64 operands follow PyTorch's promotion.
// The loaders' hostile files are covered by test_loader_corpus.cpp (the fuzzers' corpus).
#include <gtest/gtest.h>

#include "expect_error.hpp"

#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <unistd.h>

#include <autodiff/anomaly.hpp>
#include <autodiff/shape_check.hpp>
#include <nn/nn.hpp>

namespace {

using xg::Shape;
using xg::Tensor;
namespace F = xg::nn::functional;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kBig = std::size_t{1} << 32;  // {kBig, kBig}: 2^64 elements, overflows

using xg::testing::expect_error;

// ------------------------------------------------------------------------ shape overflow

struct CreationOp {
  const char* name;
  std::function<Tensor(const Shape&)> make;
};

std::vector<CreationOp> creation_ops() {
  return {
      {"empty", [](const Shape& s) { return xg::empty(s); }},
      {"zeros", [](const Shape& s) { return xg::zeros(s); }},
      {"ones", [](const Shape& s) { return xg::ones(s, xg::kFloat64); }},
      {"full", [](const Shape& s) { return xg::full(s, 0.5); }},
      {"rand", [](const Shape& s) { return xg::rand(s); }},
      {"randn", [](const Shape& s) { return xg::randn(s, xg::kFloat64); }},
      {"uniform", [](const Shape& s) { return xg::uniform(s, -1, 1); }},
      {"normal", [](const Shape& s) { return xg::normal(s, 0, 1); }},
      {"from_vector", [](const Shape& s) { return xg::from_vector({1.0, 2.0}, s); }},
      {"reshape", [](const Shape& s) { return xg::ones({4}).reshape(s); }},
      {"expand", [](const Shape& s) { return xg::expand(xg::ones({1}), s); }},
  };
}

TEST(HostileShapes, ElementCountOverflowIsAShapeErrorNamingTheOpAndShape) {
  for (const auto& op : creation_ops()) {
    SCOPED_TRACE(op.name);
    expect_error<xg::ShapeError>([&] { op.make({kBig, kBig}); },
                                 {std::string(op.name) + ":", "[4294967296, 4294967296]", "overflows"});
    // The overflow hides anywhere in the product, also after a wrap to a small number.
    expect_error<xg::ShapeError>([&] { op.make({3, kBig, kBig + 1}); }, {std::string(op.name) + ":", "overflows"});
    const std::size_t max = std::numeric_limits<std::size_t>::max();
    expect_error<xg::ShapeError>([&] { op.make({max, 2}); }, {std::string(op.name) + ":", "overflows"});
  }
}

TEST(HostileShapes, AbsurdByteSizeIsRefusedBeforeAllocating) {
  // 2^46 float32 elements = 2^48 bytes: over the absolute limit, whatever the machine.
  const Shape huge{std::size_t{1} << 46};
  for (const auto& op : creation_ops()) {
    if (std::string(op.name) == "reshape") continue;  // a view: allocates nothing
    SCOPED_TRACE(op.name);
    expect_error<xg::ShapeError>([&] { op.make(huge); }, {std::string(op.name) + ":", "[70368744177664]", "bytes"});
  }
  expect_error<xg::ShapeError>([] { xg::arange(std::numeric_limits<std::size_t>::max()); },
                               {"arange:", "[18446744073709551615]", "more than 2^64 bytes"});
  expect_error<xg::ShapeError>([] { xg::arange(std::size_t{1} << 50, xg::kFloat64); }, {"arange:", "bytes"});
  expect_error<xg::ValueError>([] { xg::randperm(std::numeric_limits<std::size_t>::max()); }, {"randperm:"});
  // The reshape of a real tensor to a shape of the wrong count stays the usual ShapeError.
  expect_error<xg::ShapeError>([&] { xg::ones({4}).reshape(huge); }, {"reshape:", "cannot view"});
}

TEST(HostileShapes, LimitIsPhysicalMemoryOrTwoToThe48) {
  const std::size_t limit = xg::max_tensor_bytes();
  EXPECT_LE(limit, std::size_t{1} << 48);
  EXPECT_GT(limit, std::size_t{1} << 26);  // any machine that runs the tests has 64 MiB
  // Just over the limit: refused, naming the limit.
  const std::size_t n = limit / 8 + 1;
  expect_error<xg::ShapeError>([&] { xg::zeros({n}, xg::kFloat64); }, {"zeros:", std::to_string(limit)});
}

TEST(HostileShapes, BroadcastingToAnAbsurdShapeIsAShapeError) {
  // Small operands, a huge result: {2^20, 1} + {1, 2^20} is 2^40 elements (4 TiB of float32).
  if (xg::max_tensor_bytes() >= (std::size_t{4} << 40)) GTEST_SKIP() << "a machine with 4 TiB of memory";
  const Tensor a = xg::zeros({std::size_t{1} << 20, 1}), b = xg::zeros({1, std::size_t{1} << 20});
  expect_error<xg::ShapeError>([&] { (void)(a + b); }, {"[1048576, 1048576]", "bytes"});
  expect_error<xg::ShapeError>([&] { (void)xg::maximum(a, b); }, {"[1048576, 1048576]"});
  // No elements in, 2^40 out: {2^20, 0} · {0, 2^20}.
  const Tensor p = xg::zeros({std::size_t{1} << 20, 0}), q = xg::zeros({0, std::size_t{1} << 20});
  expect_error<xg::ShapeError>([&] { (void)xg::matmul(p, q); }, {"[1048576, 1048576]"});
}

TEST(HostileShapes, ZeroSizedShapesWithHugeExtentsAreValidAsInPyTorch) {
  // torch.zeros(0, 2**40, 2**40) is a valid empty tensor: no element, no allocation.
  const Tensor z = xg::zeros({0, std::size_t{1} << 40, std::size_t{1} << 40});
  EXPECT_EQ(z.numel(), 0u);
  EXPECT_EQ(z.sum().item(), 0.0);
  EXPECT_EQ(xg::checked_numel("test", {kBig, 0, kBig}), 0u);
}

TEST(HostileShapes, CheckedNumelIsExact) {
  EXPECT_EQ(xg::checked_numel("t", {}), 1u);
  EXPECT_EQ(xg::checked_numel("t", {kBig, kBig - 1}), kBig * (kBig - 1));
  EXPECT_EQ(xg::checked_numel("t", {std::numeric_limits<std::size_t>::max()}), std::numeric_limits<std::size_t>::max());
  EXPECT_THROW(xg::checked_numel("t", {kBig, kBig}), xg::ShapeError);
}

// ------------------------------------------------------------------------ hostile files
// (the fuzzers' corpus is replayed by test_loader_corpus.cpp; these are the cases it cannot
// express: options, directories, and a readable assertion of each message)

std::string write_file(const std::string& name, const std::string& bytes) {
  const std::string path = ::testing::TempDir() + "xgrad_hostile_" + std::to_string(::getpid()) + "_" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

TEST(HostileFiles, CsvValueOutOfFloat32RangeIsRefusedNotInf) {
  const std::string path = write_file("big.csv", "1e39,0\n2,1\n");
  expect_error<xg::ValueError>([&] { xg::nn::load_csv(path); },
                               {"load_csv:", path + ":1", "field 1", "out of the range of float32", "'1e39'"});
  const auto ds = xg::nn::load_csv(path, {.dtype = xg::kFloat64});  // fits a double
  EXPECT_EQ(ds.inputs().to_vector().front(), 1e39);
  const std::string beyond = write_file("beyond.csv", "1e400,0\n");
  expect_error<xg::ValueError>([&] { xg::nn::load_csv(beyond, {.dtype = xg::kFloat64}); },
                               {"out of the range of float64", "'1e400'"});
  std::remove(path.c_str());
  std::remove(beyond.c_str());
}

TEST(HostileFiles, CsvHugeSkipRowsDoesNotWrapAround) {
  // skip_rows + 1 (for the header) used to wrap to 0 for SIZE_MAX: the header was parsed as data.
  const std::string path = write_file("skip.csv", "a,b\n1,2\n");
  expect_error<xg::ValueError>(
      [&] { xg::nn::load_csv(path, {.has_header = true, .skip_rows = std::numeric_limits<std::size_t>::max()}); },
      {"load_csv:", "no data rows"});
  std::remove(path.c_str());
}

TEST(HostileFiles, LoadersRefuseADirectoryByName) {
  const std::string dir = ::testing::TempDir();
  expect_error<xg::ValueError>([&] { xg::nn::load_csv(dir); }, {"load_csv:", "is a directory"});
  expect_error<xg::ValueError>([&] { xg::nn::load_idx(dir); }, {"load_idx:", "is a directory"});
  xg::nn::Sequential net(xg::nn::Linear(1, 1));
  expect_error<xg::ValueError>([&] { xg::nn::load(net, dir); }, {"load:", "Is a directory"});
}

TEST(HostileFiles, IdxHugeDeclaredShapeIsRefusedBeforeAllocating) {
  // Three extents of 2^32 - 1 float64 values in a 16-byte header and 1 byte of data.
  const std::string path = write_file("huge.idx", std::string("\0\0\x0e\x03", 4) + std::string(12, '\xff') + "x");
  expect_error<xg::ValueError>([&] { xg::nn::load_idx(path); },
                               {"load_idx:", "[4294967295, 4294967295, 4294967295]", "more than 2^64"});
  std::remove(path.c_str());
}

// ---------------------------------------------------------------- non-finite loss inputs

struct LossCase {
  const char* loss;  // mse, ce (class indices), ce_prob, bcel, bce
  std::vector<double> x;
  Shape x_shape;
  std::vector<double> t;
  Shape t_shape;
  double loss_value;            // PyTorch 1.13's, mean reduction
  std::vector<double> grad;     // PyTorch 1.13's d loss / d x
};

// Generated with /usr/bin/python3 (torch 1.13), float32, e.g.
//   x = torch.tensor([[inf, 0.]], requires_grad=True); l = F.cross_entropy(x, torch.tensor([0]))
//   l.backward(); print(l.item(), x.grad)
const std::vector<LossCase>& loss_cases() {
  static const std::vector<LossCase> cases = {
      {"mse", {kInf, 1}, {2}, {0, 1}, {2}, kInf, {kInf, 0}},
      {"mse", {kInf}, {1}, {kInf}, {1}, kNaN, {kNaN}},
      {"mse", {kNaN, 1}, {2}, {0, 1}, {2}, kNaN, {kNaN, 0}},
      {"mse", {1}, {1}, {kNaN}, {1}, kNaN, {kNaN}},
      {"mse", {-kInf}, {1}, {1}, {1}, kInf, {-kInf}},
      {"ce", {kInf, 0}, {1, 2}, {0}, {1}, kNaN, {kNaN, kNaN}},
      {"ce", {kInf, 0}, {1, 2}, {1}, {1}, kNaN, {kNaN, kNaN}},
      {"ce", {-kInf, 0}, {1, 2}, {0}, {1}, kInf, {-1, 1}},
      {"ce", {-kInf, 0}, {1, 2}, {1}, {1}, 0, {0, 0}},
      {"ce", {-kInf, -kInf}, {1, 2}, {0}, {1}, kNaN, {kNaN, kNaN}},
      {"ce", {kNaN, 0}, {1, 2}, {1}, {1}, kNaN, {kNaN, kNaN}},
      {"ce", {1, 2, kNaN, 0}, {2, 2}, {0, 1}, {2}, kNaN, {-0.36552929878234863, 0.36552929878234863, kNaN, kNaN}},
      {"ce", {1e30, 0}, {1, 2}, {1}, {1}, 1.0000000150474662e+30, {1, -1}},
      {"ce_prob", {-kInf, 0}, {1, 2}, {0, 1}, {1, 2}, kNaN, {0, 0}},
      {"ce_prob", {-kInf, 0}, {1, 2}, {0.5, 0.5}, {1, 2}, kInf, {-0.5, 0.5}},
      {"ce_prob", {1, 2}, {1, 2}, {kNaN, 1}, {1, 2}, kNaN, {kNaN, kNaN}},
      {"ce_prob", {kInf, 0}, {1, 2}, {1, 0}, {1, 2}, kNaN, {kNaN, kNaN}},
      {"ce_prob", {1, 2}, {1, 2}, {kInf, 0}, {1, 2}, kInf, {kNaN, kInf}},
      {"bcel", {kInf}, {1}, {1}, {1}, kNaN, {0}},
      {"bcel", {kInf}, {1}, {0}, {1}, kInf, {1}},
      {"bcel", {-kInf}, {1}, {0}, {1}, kNaN, {0}},
      {"bcel", {-kInf}, {1}, {1}, {1}, kNaN, {-1}},
      {"bcel", {kNaN}, {1}, {1}, {1}, kNaN, {kNaN}},
      {"bcel", {0}, {1}, {kNaN}, {1}, kNaN, {kNaN}},
      {"bcel", {kInf}, {1}, {0.5}, {1}, kInf, {0.5}},
      {"bce", {0.5}, {1}, {kNaN}, {1}, kNaN, {kNaN}},
      {"bce", {0}, {1}, {1}, {1}, 100, {-999999995904.0}},
      {"bce", {1}, {1}, {0}, {1}, 100, {999999995904.0}},
      {"bce", {0}, {1}, {0}, {1}, 0, {0}},
      {"bce", {0.5}, {1}, {kInf}, {1}, kNaN, {-kInf}},
  };
  return cases;
}

Tensor apply_loss(const std::string& loss, const Tensor& x, const Tensor& t) {
  if (loss == "mse") return F::mse_loss(x, t);
  if (loss == "ce" || loss == "ce_prob") return F::cross_entropy(x, t);
  if (loss == "bcel") return F::binary_cross_entropy_with_logits(x, t);
  return F::binary_cross_entropy(x, t);
}

/// NaN matches NaN (any sign), infinities match exactly, finite values to 1e-6 relative (the
/// float32 1e12 of BCE's clamped gradient to 1e-6 of itself).
bool same(double expected, double actual) {
  if (std::isnan(expected)) return std::isnan(actual);
  if (std::isinf(expected)) return expected == actual;
  return std::abs(expected - actual) <= 1e-6 * std::max(1.0, std::abs(expected));
}

TEST(HostileLosses, NonFiniteInputsGivePyTorchsLossesAndGradients) {
  for (const xg::Dtype dtype : {xg::kFloat32, xg::kFloat64}) {
    for (const auto& c : loss_cases()) {
      SCOPED_TRACE(::testing::Message() << c.loss << " x=" << ::testing::PrintToString(c.x)
                                        << " t=" << ::testing::PrintToString(c.t) << " " << xg::dtype_name(dtype));
      Tensor x = xg::from_vector(c.x, c.x_shape, dtype).requires_grad_();
      const Tensor t = xg::from_vector(c.t, c.t_shape, dtype);
      Tensor loss;
      ASSERT_NO_THROW(loss = apply_loss(c.loss, x, t));
      EXPECT_TRUE(same(c.loss_value, loss.item())) << "loss " << loss.item() << ", PyTorch " << c.loss_value;
      ASSERT_NO_THROW(loss.backward());
      const auto g = x.grad().to_vector();
      ASSERT_EQ(g.size(), c.grad.size());
      for (std::size_t i = 0; i < g.size(); ++i)
        EXPECT_TRUE(same(c.grad[i], g[i])) << "grad[" << i << "] " << g[i] << ", PyTorch " << c.grad[i];
    }
  }
}

TEST(HostileLosses, SoftmaxWithInfinitiesIsNaNAsInPyTorch) {
  // torch.softmax / log_softmax of [inf, 0], [inf, -inf], [-inf, -inf]: all NaN; [-inf, 0]: [0, 1].
  for (const auto& row : std::vector<std::vector<double>>{{kInf, 0}, {kInf, -kInf}, {-kInf, -kInf}, {kInf, kInf}}) {
    for (double v : xg::softmax(xg::from_vector(row, {2})).to_vector()) EXPECT_TRUE(std::isnan(v));
    for (double v : xg::log_softmax(xg::from_vector(row, {2})).to_vector()) EXPECT_TRUE(std::isnan(v));
  }
  EXPECT_EQ(xg::softmax(xg::from_vector({-kInf, 0}, {2})).to_vector(), (std::vector<double>{0, 1}));
  EXPECT_EQ(xg::log_softmax(xg::from_vector({-kInf, 0}, {2})).to_vector(), (std::vector<double>{-kInf, 0}));
}

TEST(HostileLosses, BinaryCrossEntropyRefusesNaNProbabilitiesAsPyTorchDoes) {
  // PyTorch: RuntimeError "all elements of input should be between 0 and 1"; here ValueError.
  for (double p : {kNaN, kInf, -kInf, 1.5, -0.1}) {
    SCOPED_TRACE(p);
    expect_error<xg::ValueError>([&] { F::binary_cross_entropy(xg::from_vector({0.5, p}, {2}), xg::ones({2})); },
                                 {"binary_cross_entropy", "flat index 1", "not a probability"});
  }
}

TEST(HostileLosses, NonFiniteClassIndicesAreValueErrors) {
  // PyTorch's class targets are int64 and cannot hold NaN or inf; here they are refused by name.
  for (double label : {kNaN, kInf, -kInf, 2.5, -1.0, 2.0}) {
    SCOPED_TRACE(label);
    expect_error<xg::ValueError>(
        [&] { F::cross_entropy(xg::zeros({2, 2}), xg::from_vector({0, label}, {2})); },
        {"cross_entropy", "position 1"});
  }
}

TEST(HostileLosses, SumAndNoneReductionsKeepNaNLocal) {
  // One NaN sample poisons the mean and the sum, not the other samples' per-sample losses.
  const Tensor x = xg::from_vector({1, 2, kNaN, 0}, {2, 2});
  const Tensor y = xg::from_vector({0, 1}, {2});
  const auto none = F::cross_entropy(x, y, F::Reduction::None).to_vector();
  EXPECT_NEAR(none[0], 1.3132616875182228, 1e-6);  // torch: 1.3132617473602295
  EXPECT_TRUE(std::isnan(none[1]));
  EXPECT_TRUE(std::isnan(F::cross_entropy(x, y, F::Reduction::Sum).item()));
}

TEST(HostileLosses, DetectAnomalyTurnsANaNLossIntoAnError) {
  // Without the guard a NaN flows through (as in PyTorch); with it, the op that made it throws.
  const Tensor x = xg::from_vector({kNaN, 1}, {2}).requires_grad_();
  EXPECT_NO_THROW(F::mse_loss(x, xg::zeros({2})));
  xg::DetectAnomalyGuard anomaly;
  EXPECT_THROW(F::mse_loss(x, xg::zeros({2})), xg::ValueError);
}

// --------------------------------------------------------------------------- dtype mixes

TEST(HostileDtypes, BinaryOpsPromoteToFloat64) {
  const Tensor a = xg::from_vector({1, 2}, {2});                    // float32
  const Tensor b = xg::from_vector({0.5, 4}, {2}, xg::kFloat64);     // float64
  for (const Tensor& r : {a + b, b - a, a * b, a / b, xg::maximum(a, b), xg::minimum(b, a),
                          xg::where(xg::from_vector({1, 0}, {2}), a, b), xg::concat({a, b}, 0)})
    EXPECT_EQ(r.dtype(), xg::kFloat64);
  EXPECT_EQ((a * b).to_vector(), (std::vector<double>{0.5, 8}));
  // A Python-style scalar does not promote (torch: float32 * 2.0 stays float32).
  EXPECT_EQ((a * 2.0).dtype(), xg::kFloat32);
}

TEST(HostileDtypes, GradientsKeepTheLeafsDtype) {
  // torch: x float32, b float64: (x * b).sum().backward() gives x.grad in float32.
  Tensor x = xg::from_vector({1, 2}, {2}).requires_grad_();
  Tensor b = xg::from_vector({0.5, 4}, {2}, xg::kFloat64).requires_grad_();
  (x * b).sum().backward();
  EXPECT_EQ(x.grad().dtype(), xg::kFloat32);
  EXPECT_EQ(b.grad().dtype(), xg::kFloat64);
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{0.5, 4}));
}

TEST(HostileDtypes, LossesPromoteMixedOperandsAsPyTorch) {
  const Tensor a = xg::from_vector({1, 2}, {2});
  const Tensor b = xg::from_vector({0.5, 4}, {2}, xg::kFloat64);
  // Reference values: torch 1.13, same operands.
  const Tensor mse = F::mse_loss(a, b);
  EXPECT_EQ(mse.dtype(), xg::kFloat64);
  EXPECT_DOUBLE_EQ(mse.item(), 2.125);
  EXPECT_EQ(F::mse_loss(b, a).dtype(), xg::kFloat64);
  const Tensor bcel = F::binary_cross_entropy_with_logits(a, b);
  EXPECT_EQ(bcel.dtype(), xg::kFloat64);
  // torch's value is 3e-9 off the exact one (its log(e^-m + e^(-x-m)) loses bits that log1p keeps).
  EXPECT_NEAR(bcel.item(), -2.5299051478505135, 1e-8);
  const Tensor ce_prob = F::cross_entropy(xg::from_vector({1, 2}, {1, 2}), xg::from_vector({0.25, 0.75}, {1, 2}, xg::kFloat64));
  EXPECT_EQ(ce_prob.dtype(), xg::kFloat64);
  EXPECT_NEAR(ce_prob.item(), 0.5632616505026817, 1e-7);
  // Class indices are labels, not values: the logits' dtype decides (torch: int64 targets).
  const Tensor ce_idx = F::cross_entropy(xg::from_vector({1, 2}, {1, 2}, xg::kFloat64), xg::from_vector({1}, {1}));
  EXPECT_EQ(ce_idx.dtype(), xg::kFloat64);
  EXPECT_NEAR(ce_idx.item(), 0.31326168751822286, 1e-12);
  EXPECT_EQ(F::cross_entropy(xg::from_vector({1, 2}, {1, 2}), xg::from_vector({1}, {1}, xg::kFloat64)).dtype(),
            xg::kFloat32);
  // torch refuses binary_cross_entropy(float32, float64) ("Found dtype Double but expected
  // Float"); xgrad promotes, which gives the float64 result.
  const Tensor bce = F::binary_cross_entropy(xg::from_vector({0.3, 0.6}, {2}), xg::from_vector({0, 1}, {2}, xg::kFloat64));
  EXPECT_EQ(bce.dtype(), xg::kFloat64);
  EXPECT_NEAR(bce.item(), 0.4337502838523616, 1e-7);
}

}  // namespace
