# Small helpers so each folder's CMakeLists stays a few lines long.

# tss_add_library(NAME SOURCES ... DEPS ...): static library `tss_NAME`; headers are included
# as "component/file.h" from src/.
function(tss_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(tss_${name} STATIC ${ARG_SOURCES})
  target_include_directories(tss_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(tss_${name} PUBLIC ${ARG_DEPS})
endfunction()

# tss_add_test(NAME SOURCES ... DEPS ... [LABELS ...] [TIMEOUT s]): one GoogleTest executable,
# registered with ctest as one test.
function(tss_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}"
                       ENVIRONMENT "TSS_BUILD_DIR=${PROJECT_BINARY_DIR};TSS_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# tss_add_bench(NAME SOURCES ... DEPS ...): a Google Benchmark program in build/bench/.
function(tss_add_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
endfunction()

# tss_add_fuzzer(NAME SOURCES ... DEPS ...): a libFuzzer target in build/fuzzers/ (TSS_FUZZ=ON).
function(tss_add_fuzzer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/fuzzers)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
endfunction()

# Adds every immediate subfolder of the current folder that has a CMakeLists.txt.
function(tss_add_subfolders)
  file(GLOB children LIST_DIRECTORIES true ${CMAKE_CURRENT_SOURCE_DIR}/*)
  foreach(child IN LISTS children)
    if(IS_DIRECTORY ${child} AND EXISTS ${child}/CMakeLists.txt)
      add_subdirectory(${child})
    endif()
  endforeach()
endfunction()
