#pragma once
// The user model of API.md, section xg::nn, written exactly as the contract shows it; shared by
// the tests that use it (module system, checkpoints, contract).
#include <nn/nn.hpp>

namespace xg::testing {

struct Net : xg::nn::Module {  // must compile and work exactly like this
  xg::nn::Linear fc1{784, 128}, fc2{128, 10};
  Net() { register_module("fc1", fc1); register_module("fc2", fc2); }
  xg::Tensor forward(const xg::Tensor& x) override { return fc2(xg::relu(fc1(x))); }
};

}  // namespace xg::testing
