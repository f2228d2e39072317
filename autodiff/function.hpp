#pragma once
// xg::Function — the extension point: a new op with its own derivative.
//
//   struct Cube : xg::Function<Cube> {
//     static xg::Tensor forward(xg::Context& ctx, const xg::Tensor& x) {
//       ctx.save_for_backward({x});
//       return x * x * x;                        // runs with grad mode off
//     }
//     static std::vector<xg::Tensor> backward(xg::Context& ctx, const xg::Tensor& g) {
//       auto x = ctx.saved(0);
//       return {g * 3.0 * x * x};                // one gradient per tensor input
//     }
//   };
//   auto y = Cube::apply(x);
//
// Gradients returned by backward are treated like any built-in rule's: summed down to the
// input's shape if broadcast, accumulated over paths, and differentiable again when backward
// runs with create_graph (write backward with xg ops). Non-tensor arguments of apply are passed
// to forward unchanged and get no gradient. Optional: `static constexpr const char* name`.
#include <string>
#include <type_traits>
#include <vector>

#include "autodiff/grad_mode.hpp"
#include "autodiff/recorder.hpp"

namespace xg {

namespace detail {
std::string demangle(const char* mangled);

template <class T>
void collect_tensor(std::vector<const Tensor*>& out, const T& arg) {
  if constexpr (std::is_same_v<std::decay_t<T>, Tensor>) out.push_back(&arg);
}

template <class D>
const char* function_name() {
  if constexpr (requires { D::name; }) {
    return D::name;
  } else {
    static const std::string name = demangle(typeid(D).name());
    return name.c_str();
  }
}
}  // namespace detail

template <class Derived>
struct Function {
  template <class... Args>
  static Tensor apply(const Args&... args) {
    std::vector<const Tensor*> inputs;
    (detail::collect_tensor(inputs, args), ...);
    const char* name = detail::function_name<Derived>();
    if (!Recorder::should_record(inputs)) {
      Context ctx;
      Tensor out;
      {
        NoGradGuard no_grad;
        out = Derived::forward(ctx, args...);
      }
      Recorder::check_forward(name, out, inputs);
      return out;
    }
    auto node = Recorder::make_node(name, &run_backward, inputs);
    Tensor out;
    {
      NoGradGuard no_grad;
      out = Derived::forward(node->context(), args...);
    }
    Recorder::check_forward(name, out, inputs);
    Recorder::attach_output(node, out);
    return out;
  }

 private:
  static GradList run_backward(Context& ctx, const Tensor& grad) {
    return Derived::backward(ctx, grad);
  }
};

}  // namespace xg
