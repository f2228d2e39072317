#include <autodiff/autodiff.hpp>
#include <iostream>
int main() {
  auto x = xg::tensor({{1.0, 2.0}, {3.0, 4.0}}).requires_grad_();
  auto y = (x * x + x).sum();
  y.backward();
  std::cout << y << "\n" << x.grad() << "\n";
  auto w = xg::randn({3, 2}).requires_grad_();
  auto z = xg::matmul(x, w.t()).sigmoid().mean();
  z.backward();
  std::cout << w.grad() << "\n";
  auto r = xg::gradcheck([](const std::vector<xg::Tensor>& in) { return xg::matmul(in[0], in[1]).tanh(); },
                         {xg::randn({3, 4}), xg::randn({4, 2})});
  std::cout << r.ok << " " << r.report << "\n";
}
