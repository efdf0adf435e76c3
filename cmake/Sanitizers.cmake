# FXS_SANITIZE: everything this build compiles gets AddressSanitizer and
# UndefinedBehaviorSanitizer. UBSan only prints and carries on by default;
# -fno-sanitize-recover makes its findings fail the test like ASan's.
# FXS_FUZZ: the libFuzzer harness (tests/fuzz); clang only, sanitizers
# included, and every file instrumented for coverage so the fuzzer sees
# which branches of the reader and the models an input reached.
option(FXS_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(FXS_FUZZ "Build the libFuzzer harness tests/fuzz (clang; implies FXS_SANITIZE)" OFF)

if(FXS_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "FXS_FUZZ needs clang (libFuzzer): configure with CC=clang CXX=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(FXS_SANITIZE OR FXS_FUZZ)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
