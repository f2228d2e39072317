#pragma once
// NOTE [ Iterative module walks ]
// walk_modules visits `root` and every descendant in pre-order — a module first, then each
// child's subtree in registration order, the order a recursive walk has — with an explicit
// stack, so the depth of the tree costs heap, not call stack (a 100,000-deep chain works).
// visit(module, path) gets the dotted path of the module ("" for root, "0", "0.fc1", ...),
// kept in one buffer that is cut back on the way up (a fresh string per level would be
// quadratic in the depth). A shared submodule is visited once per path.
#include <string>
#include <type_traits>
#include <vector>

#include "nn/module.hpp"

namespace xg::nn::detail {

/// M is Module or const Module; visit(M&, const std::string& path).
template <class M, class Visit>
void walk_modules(M& root, Visit&& visit) {
  static_assert(std::is_same_v<std::remove_const_t<M>, Module>, "walk_modules walks a Module");
  struct Frame {
    M* module;
    std::size_t next;
    std::size_t path_len;
  };
  std::string path;
  visit(root, path);
  std::vector<Frame> stack{{&root, 0, 0}};
  while (!stack.empty()) {
    Frame& f = stack.back();
    const auto& children = f.module->named_children();
    if (f.next == children.size()) {
      stack.pop_back();
      continue;
    }
    const auto& [name, child] = children[f.next++];
    path.resize(f.path_len);
    if (!path.empty()) path += '.';
    path += name;
    visit(*child, path);
    stack.push_back({child.get(), 0, path.size()});  // invalidates f
  }
}

}  // namespace xg::nn::detail
