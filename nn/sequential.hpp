#pragma once
// Sequential: a chain of modules.
#include <memory>
#include <type_traits>

#include "nn/module.hpp"

namespace xg::nn {

/// forward(x) = mₙ(…m₂(m₁(x))). Children are named "0", "1", ... in order.
///   Sequential model(Linear(64, 128), ReLU(), Linear(128, 10));
///   model.push_back(Softmax(1));
class Sequential : public Module {
 public:
  Sequential() = default;
  /// One or more modules (a single Sequential argument copies the handle instead).
  template <class... Ms>
    requires(sizeof...(Ms) > 1 || (!std::is_same_v<std::remove_cvref_t<Ms>, Sequential> && ...))
  explicit Sequential(Ms... modules) {
    (push_back(std::move(modules)), ...);
  }

  template <class M>
  void push_back(M module) {
    static_assert(std::is_base_of_v<Module, M>, "Sequential holds modules");
    register_module(std::to_string(size()), std::move(module));
  }

  Tensor forward(const Tensor& x) override;
  std::string repr() const override { return "Sequential"; }

  std::size_t size() const { return named_children().size(); }
  /// The i-th module (shares state with the registered one). ValueError when out of range.
  Module& operator[](std::size_t i) const;
};

}  // namespace xg::nn
