// libFuzzer target: the csv loader (see fuzz/loader_harness.hpp and fuzz/README.md).
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <typeinfo>

#include "fuzz/loader_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    (void)xg::fuzz_loaders::run_csv(data, size);
  } catch (const std::exception& e) {  // not one of xgrad's typed errors: a finding
    std::fprintf(stderr, "FINDING (csv): %s: %s\n", typeid(e).name(), e.what());
    std::abort();
  }
  return 0;
}
