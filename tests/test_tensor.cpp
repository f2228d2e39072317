// Tensor creation, metadata, conversion, randomness and printing.
#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>

#include <autodiff/autodiff.hpp>
#include <autodiff/tensor_impl.hpp>

namespace xg {
namespace {

TEST(Tensor, DefaultIsUndefined) {
  Tensor t;
  EXPECT_FALSE(t.defined());
  EXPECT_THROW(t.shape(), ValueError);
}

TEST(Tensor, LiteralsFrom0DTo4D) {
  EXPECT_EQ(tensor(0.5).shape(), Shape{});
  EXPECT_EQ(tensor({0.7}).shape(), Shape{1});
  EXPECT_EQ(tensor({{1.0}, {2.0}}).shape(), (Shape{2, 1}));
  EXPECT_EQ(tensor({{{1, 2}, {3, 4}, {5, 6}}}).shape(), (Shape{1, 3, 2}));
  EXPECT_EQ(tensor({{{{1}}, {{2}}}}).shape(), (Shape{1, 2, 1, 1}));
  EXPECT_EQ(tensor({{1, 2.5}, {3, 4}}).to_vector(), (std::vector<double>{1, 2.5, 3, 4}));
  EXPECT_DOUBLE_EQ(tensor(0.5).item(), 0.5);
}

TEST(Tensor, RaggedLiteralIsAShapeError) {
  EXPECT_THROW(tensor({{1.0, 2.0}, {3.0}}), ShapeError);
  EXPECT_THROW(tensor({{1.0}, 2.0}), ShapeError);
}

TEST(Tensor, DtypesAndDefaults) {
  EXPECT_EQ(zeros({2}).dtype(), kFloat32);
  EXPECT_EQ(tensor({1.0}, kFloat64).dtype(), kFloat64);
  auto x = ones({2, 3}, kFloat64);
  EXPECT_EQ(x.numel(), 6u);
  EXPECT_EQ(x.dim(), 2u);
  EXPECT_EQ(full({}, 0.5).item(), 0.5);
  EXPECT_EQ(arange(4).to_vector(), (std::vector<double>{0, 1, 2, 3}));
  EXPECT_EQ(zeros({0, 3}).numel(), 0u);
}

TEST(Tensor, StorageIs64ByteAligned) {
  for (std::size_t n : {1u, 3u, 17u, 1000u}) {
    auto x = zeros({n});
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(x.data_ptr<float>()) % 64, 0u);
  }
}

TEST(Tensor, ItemNeedsOneElement) {
  EXPECT_DOUBLE_EQ(tensor({{3.0}}).item(), 3.0);
  EXPECT_THROW(tensor({1.0, 2.0}).item(), ValueError);
}

TEST(Tensor, XarrayRoundTrip) {
  xt::xarray<double> a = {{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}};
  auto t = from_xarray(a);
  EXPECT_EQ(t.dtype(), kFloat64);
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.to_xarray<double>(), a);
  xt::xarray<float> f = t.to_xarray<float>();
  EXPECT_FLOAT_EQ(f(1, 2), 6.0f);
  EXPECT_EQ(from_xarray(f).dtype(), kFloat32);
}

TEST(Tensor, CastIsDifferentiable) {
  auto x = tensor({1.5, 2.5}, kFloat64).requires_grad_();
  auto y = x.to(kFloat32);
  EXPECT_EQ(y.dtype(), kFloat32);
  (y * 2.0).sum().backward();
  EXPECT_EQ(x.grad().dtype(), kFloat64);
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{2, 2}));
  EXPECT_EQ(x.to(kFloat64).impl(), x.impl());  // same dtype: the tensor itself
}

TEST(Tensor, ManualSeedReproduces) {
  manual_seed(42);
  auto a = randn({100});
  auto b = rand({10});
  manual_seed(42);
  EXPECT_EQ(randn({100}).to_vector(), a.to_vector());
  EXPECT_EQ(rand({10}).to_vector(), b.to_vector());
  manual_seed(43);
  EXPECT_NE(randn({100}).to_vector(), a.to_vector());
}

TEST(Tensor, RandomDistributionsHaveTheRightMoments) {
  manual_seed(1);
  const auto n = randn({20000}, kFloat64).to_vector();
  double mean = 0, var = 0;
  for (double v : n) mean += v;
  mean /= n.size();
  for (double v : n) var += (v - mean) * (v - mean);
  var /= n.size();
  EXPECT_NEAR(mean, 0, 0.03);
  EXPECT_NEAR(var, 1, 0.05);
  for (double v : rand({1000}).to_vector()) {
    EXPECT_GE(v, 0);
    EXPECT_LT(v, 1);
  }
  auto perm = randperm(50);
  std::sort(perm.begin(), perm.end());
  for (std::size_t i = 0; i < 50; ++i) EXPECT_EQ(perm[i], i);
}

TEST(Tensor, PrintsLikePyTorch) {
  EXPECT_EQ(to_string(tensor({{1.0, 2.0}, {3.0, 4.0}})), "tensor([[1., 2.],\n        [3., 4.]])");
  EXPECT_EQ(to_string(tensor({0.5, -1.25})), "tensor([ 0.5000, -1.2500])");
  EXPECT_EQ(to_string(tensor(2.0, kFloat64)), "tensor(2., dtype=float64)");
  auto x = tensor({1.0}).requires_grad_();
  EXPECT_EQ(to_string(x), "tensor([1.], requires_grad=true)");
  EXPECT_EQ(to_string(x * 2.0), "tensor([2.], grad_fn=<mul>)");
  EXPECT_EQ(to_string(tensor({1e-5, 1.0})), "tensor([1.0000e-05, 1.0000e+00])");
  EXPECT_EQ(to_string(zeros({0})), "tensor([])");
  const std::string big = to_string(zeros({100, 100}));
  EXPECT_NE(big.find("..."), std::string::npos);
  EXPECT_LT(big.size(), 400u);
}

TEST(Tensor, FmtFormatterMatchesOstream) {
  auto t = tensor({{1.0, 2.0}});
  std::ostringstream os;
  os << t;
  EXPECT_EQ(fmt::format("{}", t), os.str());
}

TEST(Tensor, CopiesShareState) {
  auto a = zeros({2});
  Tensor b = a;
  {
    NoGradGuard g;
    b.fill_(3.0);
  }
  EXPECT_EQ(a.to_vector(), (std::vector<double>{3, 3}));
  b.requires_grad_();
  EXPECT_TRUE(a.requires_grad());
}

TEST(Tensor, ReshapeSharesStorageCloneDoesNot) {
  auto a = arange(6);
  auto r = a.reshape({2, 3});
  auto c = a.clone();
  a.fill_(1.0);
  EXPECT_EQ(r.to_vector(), std::vector<double>(6, 1.0));
  EXPECT_EQ(c.to_vector(), (std::vector<double>{0, 1, 2, 3, 4, 5}));
}

}  // namespace
}  // namespace xg
