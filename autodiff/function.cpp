// Support for xg::Function: readable names for custom ops.
#include <cxxabi.h>

#include <cstdlib>
#include <memory>

#include "autodiff/function.hpp"

namespace xg::detail {

std::string demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(mangled);
}

}  // namespace xg::detail
