// Every error path: the right type, and a message naming the op and the shapes or values.
#include <gtest/gtest.h>

#include <autodiff/autodiff.hpp>

namespace xg {
namespace {

template <class E, class F>
void expect_error(F f, std::initializer_list<const char*> fragments) {
  try {
    f();
    ADD_FAILURE() << "no exception";
  } catch (const E& e) {
    const std::string what = e.what();
    for (const char* frag : fragments) EXPECT_NE(what.find(frag), std::string::npos) << "'" << frag << "' not in: " << what;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

TEST(Errors, TypedFamilies) {
  static_assert(std::is_base_of_v<std::invalid_argument, ShapeError>);
  static_assert(std::is_base_of_v<std::invalid_argument, ValueError>);
  static_assert(std::is_base_of_v<std::logic_error, GraphError>);
}

TEST(Errors, BroadcastMismatchNamesOpAndBothShapes) {
  expect_error<ShapeError>([] { ones({2, 3}) + ones({4, 3}); }, {"add", "[2, 3]", "[4, 3]"});
  expect_error<ShapeError>([] { ones({2, 3}) * ones({2}); }, {"mul", "[2, 3]", "[2]"});
  expect_error<ShapeError>([] { ones({3}) / ones({2}); }, {"div", "[3]", "[2]"});
  expect_error<ShapeError>([] { ones({3}) - ones({2}); }, {"sub", "[3]", "[2]"});
  expect_error<ShapeError>([] { maximum(ones({3}), ones({2})); }, {"maximum", "[3]", "[2]"});
  expect_error<ShapeError>([] { where(ones({3}), ones({2}), ones({2})); }, {"where", "[3]", "[2]"});
}

TEST(Errors, Matmul) {
  expect_error<ShapeError>([] { matmul(ones({2, 3}), ones({4, 5})); }, {"matmul", "[2, 3]", "[4, 5]"});
  expect_error<ShapeError>([] { matmul(ones({3}), ones({4})); }, {"matmul", "[3]", "[4]"});
  expect_error<ShapeError>([] { matmul(ones({}), ones({4})); }, {"matmul", "[]"});
  expect_error<ShapeError>([] { matmul(ones({2, 2, 2, 2}), ones({2, 2})); }, {"matmul", "[2, 2, 2, 2]"});
  expect_error<ShapeError>([] { matmul(ones({2, 3, 4}), ones({3, 4, 5})); }, {"matmul", "[2, 3, 4]", "[3, 4, 5]"});
}

TEST(Errors, ReductionsAndDims) {
  expect_error<ShapeError>([] { sum(ones({2, 3}), {2}); }, {"sum", "dim 2", "[2, 3]"});
  expect_error<ShapeError>([] { sum(ones({2, 3}), {-3}); }, {"sum", "[2, 3]"});
  expect_error<ShapeError>([] { sum(ones({2, 3}), {1, -1}); }, {"sum", "twice"});
  expect_error<ShapeError>([] { mean(ones({2}), {5}); }, {"mean", "[2]"});
  expect_error<ShapeError>([] { max(ones({2, 0}), 1); }, {"max", "[2, 0]"});
  expect_error<ShapeError>([] { softmax(ones({2, 3}), 2); }, {"softmax", "[2, 3]"});
  expect_error<ShapeError>([] { log_softmax(ones({2, 3}), -3); }, {"log_softmax", "[2, 3]"});
}

TEST(Errors, ShapeOps) {
  expect_error<ShapeError>([] { reshape(ones({2, 3}), {4, 2}); }, {"reshape", "[2, 3]", "[4, 2]"});
  expect_error<ShapeError>([] { transpose(ones({2, 3}), 0, 2); }, {"transpose", "[2, 3]"});
  expect_error<ShapeError>([] { t(ones({2, 3, 4})); }, {"t", "[2, 3, 4]"});
  expect_error<ShapeError>([] { expand(ones({2, 3}), {4, 3}); }, {"expand", "[2, 3]", "[4, 3]"});
  expect_error<ShapeError>([] { slice(ones({2, 3}), 1, 2, 5); }, {"slice", "[2, 5)", "[2, 3]"});
  expect_error<ShapeError>([] { concat({ones({2, 3}), ones({2, 4})}, 0); }, {"concat", "[2, 3]", "[2, 4]"});
  expect_error<ShapeError>([] { concat({ones({}), ones({})}, 0); }, {"concat", "0-D"});
  expect_error<ValueError>([] { concat({}, 0); }, {"concat"});
  expect_error<ValueError>([] { index_select(ones({2, 3}), 0, {0, 2}); }, {"index_select", "2", "[2, 3]"});
  expect_error<ShapeError>([] { prelu(ones({2, 4}), ones({3})); }, {"prelu", "[3]", "[2, 4]"});
}

TEST(Errors, Values) {
  expect_error<ValueError>([] { clamp(ones({2}), 1.0, -1.0); }, {"clamp", "lo = 1", "hi = -1"});
  expect_error<ValueError>([] { ones({2}).item(); }, {"item", "[2]"});
  expect_error<ValueError>([] { Tensor() + ones({2}); }, {"add", "undefined"});
  expect_error<ValueError>([] { relu(Tensor()); }, {"relu", "undefined"});
  expect_error<ValueError>([] { uniform({2}, 1.0, 0.0); }, {"uniform"});
  expect_error<ShapeError>([] { from_vector({1, 2, 3}, {2, 2}); }, {"from_vector", "[2, 2]"});
}

TEST(Errors, Graph) {
  expect_error<GraphError>([] { ones({1}).backward(); }, {"does not require grad"});
  expect_error<GraphError>([] {
    auto x = ones({2}).requires_grad_();
    (x * 2.0).backward();
  }, {"[2]", "one-element"});
  expect_error<ShapeError>([] {
    auto x = ones({2}).requires_grad_();
    (x * 2.0).backward(ones({3}));
  }, {"grad_output", "[3]", "[2]"});
  expect_error<GraphError>([] {
    auto x = ones({2}).requires_grad_();
    auto y = (x * 2.0).sum();
    y.requires_grad_(false);
  }, {"requires_grad_", "'sum'"});
  expect_error<ValueError>([] {
    Context ctx;
    ctx.get<double>("missing");
  }, {"missing"});
  expect_error<ValueError>([] {
    Context ctx;
    ctx.set("alpha", 1);
    ctx.get<double>("alpha");
  }, {"alpha", "type"});
}

}  // namespace
}  // namespace xg
