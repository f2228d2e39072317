# Runs one packaging check (cmake -P; see packaging.cmake for the variables it receives):
# [install xgrad into a prefix,] configure, build and run the consumer project in this folder.
foreach(var IN ITEMS MODE CONSUMER ROOT BINARY_DIR GENERATOR CONFIG WORK_DIR)
  if(NOT DEFINED XGRAD_PKG_${var})
    message(FATAL_ERROR "run_consumer.cmake: XGRAD_PKG_${var} is not set")
  endif()
endforeach()
if(XGRAD_PKG_CONFIG STREQUAL "")
  set(XGRAD_PKG_CONFIG Release)
endif()
set(jobs 2)
if("$ENV{XGRAD_JOBS}" MATCHES "^[1-9][0-9]*$")   # the scripts' parallelism setting
  set(jobs "$ENV{XGRAD_JOBS}")
endif()

function(step what)
  string(TIMESTAMP t0 "%s")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc COMMAND_ECHO STDOUT)
  string(TIMESTAMP t1 "%s")
  math(EXPR secs "${t1} - ${t0}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "packaging.${XGRAD_PKG_MODE}: ${what} failed (${rc}) after ${secs} s")
  endif()
  message(STATUS "packaging.${XGRAD_PKG_MODE}: ${what} ok (${secs} s)")
endfunction()

set(build "${XGRAD_PKG_WORK_DIR}/build")
set(prefix "${XGRAD_PKG_WORK_DIR}/prefix")
file(REMOVE_RECURSE "${XGRAD_PKG_WORK_DIR}")
file(MAKE_DIRECTORY "${XGRAD_PKG_WORK_DIR}")

# find_package links the installed library of this build's configuration; add_subdirectory
# compiles xgrad afresh, which this check (of the CMake plumbing, not of speed) does without
# optimisation or debug info: an empty build type, the quickest compile.
if(XGRAD_PKG_MODE STREQUAL "add_subdirectory")
  set(build_type "")
else()
  set(build_type "${XGRAD_PKG_CONFIG}")
endif()
set(args -S "${XGRAD_PKG_CONSUMER}" -B "${build}" -G "${XGRAD_PKG_GENERATOR}"
  "-DCMAKE_BUILD_TYPE=${build_type}" "-DXGRAD_CONSUME=${XGRAD_PKG_MODE}")
if(XGRAD_PKG_MAKE_PROGRAM)
  list(APPEND args "-DCMAKE_MAKE_PROGRAM=${XGRAD_PKG_MAKE_PROGRAM}")
endif()
if(XGRAD_PKG_CXX_COMPILER)
  list(APPEND args "-DCMAKE_CXX_COMPILER=${XGRAD_PKG_CXX_COMPILER}")
endif()

if(XGRAD_PKG_MODE STREQUAL "add_subdirectory")
  list(APPEND args "-DXGRAD_ROOT=${XGRAD_PKG_ROOT}")
elseif(XGRAD_PKG_MODE STREQUAL "find_package")
  step("cmake --install into ${prefix}"
    "${CMAKE_COMMAND}" --install "${XGRAD_PKG_BINARY_DIR}" --prefix "${prefix}" --config "${XGRAD_PKG_CONFIG}")
  list(APPEND args "-DCMAKE_PREFIX_PATH=${prefix}" "-DXGRAD_EXPECTED_PREFIX=${prefix}"
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
else()
  message(FATAL_ERROR "XGRAD_PKG_MODE must be add_subdirectory or find_package")
endif()

step("configure" "${CMAKE_COMMAND}" ${args})
step("build" "${CMAKE_COMMAND}" --build "${build}" --parallel ${jobs})
step("run" "${build}/consumer")
