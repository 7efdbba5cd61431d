# tests/fuzz/libfuzz.cmake: the libFuzzer harness of syscalls/ over the
# unit tests' fake platform (libfuzz_emu.c). Included from
# tests/fuzz/CMakeLists.txt; does nothing unless the C compiler is clang
# and cmocka (used by fake_platform.c) is found. Runs it: scripts/libfuzz.
if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  find_library(LIBFUZZ_CMOCKA_LIB cmocka)
  if(LIBFUZZ_CMOCKA_LIB)
    file(GLOB LIBFUZZ_EMU_SRC CONFIGURE_DEPENDS
         ${CMAKE_SOURCE_DIR}/syscalls/*.c)
    add_executable(libfuzz_emu ${CMAKE_CURRENT_LIST_DIR}/libfuzz_emu.c
                   ${CMAKE_SOURCE_DIR}/tests/unit/fake_platform.c
                   ${LIBFUZZ_EMU_SRC})
    target_include_directories(libfuzz_emu PRIVATE
                               ${CMAKE_SOURCE_DIR}/syscalls
                               ${CMAKE_SOURCE_DIR}/platform
                               ${CMAKE_SOURCE_DIR}/tests/unit)
    target_compile_definitions(libfuzz_emu PRIVATE _GNU_SOURCE)
    target_compile_options(libfuzz_emu PRIVATE -g -O1
                           -fno-omit-frame-pointer
                           -fsanitize=fuzzer,address,undefined
                           -fno-sanitize-recover=all)
    target_link_options(libfuzz_emu PRIVATE
                        -fsanitize=fuzzer,address,undefined)
    target_link_libraries(libfuzz_emu PRIVATE ${LIBFUZZ_CMOCKA_LIB})
    set_target_properties(libfuzz_emu PROPERTIES
                          RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/fuzz)
  endif()
endif()
