#include <typeinfo>
#include <vector>

#include <fmt/format.h>

#include "nn/sequential.hpp"

namespace xg::nn {

// NOTE [ Iterative nested forward ]
// A Sequential inside a Sequential (exactly a Sequential: a subclass may override forward) is
// entered through an explicit stack instead of a call of its operator(), so 100,000 nested
// Sequentials do not overflow the stack. It behaves as that call would: its layers run in order
// on its input, then its forward hooks run with its input and output; the anomaly-mode site is
// this file's, as it was for the call (an enclosing call's site, the user's, takes precedence).
Tensor Sequential::forward(const Tensor& x) {
  struct Frame {
    Sequential* seq;
    std::size_t next;
    Tensor input;
  };
  std::vector<Frame> stack{{this, 0, x}};
  Tensor y = x;
  while (true) {
    Frame& f = stack.back();
    const auto& children = f.seq->named_children();
    if (f.next == children.size()) {
      if (stack.size() == 1) return y;
      Frame done = std::move(f);
      stack.pop_back();
      SiteScope site_scope(SourceSite::current());
      done.seq->run_forward_hooks(done.input, y);
      continue;
    }
    Module& layer = *children[f.next++].second;
    if (typeid(layer) == typeid(Sequential)) {
      stack.push_back({static_cast<Sequential*>(&layer), 0, y});  // invalidates f
      continue;
    }
    y = layer(y);
  }
}

Module& Sequential::operator[](std::size_t i) const {
  if (i >= size()) throw ValueError(fmt::format("Sequential: index {} out of range for {} modules", i, size()));
  return *named_children()[i].second;
}

}  // namespace xg::nn
