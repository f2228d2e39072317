# Packaging checks, registered as ctest tests. From tests/CMakeLists.txt:
#
#   include(${CMAKE_CURRENT_SOURCE_DIR}/packaging/packaging.cmake)
#
#   packaging.add_subdirectory  configure + build + run tests/packaging (a user's project) with
#                               add_subdirectory(<xgrad>); it also checks that xgrad, not being
#                               top-level there, builds no tests, examples or benchmarks.
#   packaging.find_package      `cmake --install` this build tree into a temporary prefix, then
#                               configure + build + run the same project with find_package(xgrad).
#
# Both work in ${CMAKE_CURRENT_BINARY_DIR}/packaging/, use this build's generator, compiler and
# build type, and carry the label `packaging` (skip them with `ctest -LE packaging`).
set(_xgrad_pkg_dir "${CMAKE_CURRENT_LIST_DIR}")
get_filename_component(_xgrad_pkg_root "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)
set(_xgrad_pkg_common
  -DXGRAD_PKG_CONSUMER=${_xgrad_pkg_dir}
  -DXGRAD_PKG_ROOT=${_xgrad_pkg_root}
  -DXGRAD_PKG_BINARY_DIR=${PROJECT_BINARY_DIR}
  -DXGRAD_PKG_GENERATOR=${CMAKE_GENERATOR}
  -DXGRAD_PKG_MAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}
  -DXGRAD_PKG_CXX_COMPILER=${CMAKE_CXX_COMPILER}
  -DXGRAD_PKG_CONFIG=$<CONFIG>)

foreach(_xgrad_pkg_mode IN ITEMS add_subdirectory find_package)
  add_test(NAME packaging.${_xgrad_pkg_mode}
    COMMAND ${CMAKE_COMMAND} ${_xgrad_pkg_common}
      -DXGRAD_PKG_MODE=${_xgrad_pkg_mode}
      -DXGRAD_PKG_WORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/packaging/${_xgrad_pkg_mode}
      -P ${_xgrad_pkg_dir}/run_consumer.cmake)
  # Each compiles with two jobs: take two of ctest's slots, and never run both at once.
  set_tests_properties(packaging.${_xgrad_pkg_mode} PROPERTIES
    LABELS packaging PROCESSORS 2 RESOURCE_LOCK xgrad_packaging TIMEOUT 600)
endforeach()
unset(_xgrad_pkg_mode)
unset(_xgrad_pkg_common)
