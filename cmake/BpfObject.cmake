# bpf_object(NAME SOURCE): clang -target bpf (CO-RE) -> NAME.bpf.o -> bpftool gen
# skeleton -> NAME.skel.h, exposed as the INTERFACE target NAME_skel.
find_program(CLANG_BPF NAMES clang clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

set(FXS_BPF_GEN ${CMAKE_BINARY_DIR}/bpf_gen)
file(MAKE_DIRECTORY ${FXS_BPF_GEN})

# vmlinux.h comes from the build machine's kernel BTF: CO-RE relocates the field
# offsets at load time, so the object still runs on other kernels.
set(FXS_VMLINUX_BTF /sys/kernel/btf/vmlinux CACHE FILEPATH "Kernel BTF used to generate vmlinux.h")
add_custom_command(
  OUTPUT ${FXS_BPF_GEN}/vmlinux.h
  COMMAND ${BPFTOOL} btf dump file ${FXS_VMLINUX_BTF} format c > ${FXS_BPF_GEN}/vmlinux.h
  COMMENT "Generating vmlinux.h from ${FXS_VMLINUX_BTF}"
  VERBATIM)
add_custom_target(fxs_vmlinux_h DEPENDS ${FXS_BPF_GEN}/vmlinux.h)

function(bpf_object name source)
  set(obj ${FXS_BPF_GEN}/${name}.bpf.o)
  set(skel ${FXS_BPF_GEN}/${name}.skel.h)
  get_filename_component(src_abs ${source} ABSOLUTE)
  file(GLOB bpf_headers ${CMAKE_SOURCE_DIR}/bpf/*.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${CLANG_BPF} -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86
            -I${FXS_BPF_GEN} -I${CMAKE_SOURCE_DIR} -I${CMAKE_SOURCE_DIR}/bpf
            -Wall -Wno-unused-function
            -c ${src_abs} -o ${obj}
    DEPENDS ${src_abs} ${bpf_headers} ${FXS_BPF_GEN}/vmlinux.h
    COMMENT "BPF ${name}.bpf.c"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name}_bpf > ${skel}
    DEPENDS ${obj}
    COMMENT "Skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  # vmlinux.h's rule lives in another directory: only a target-level
  # dependency orders it before this object in a parallel build.
  add_dependencies(${name}_skel_gen fxs_vmlinux_h)
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${FXS_BPF_GEN})
  target_link_libraries(${name}_skel INTERFACE PkgConfig::LIBBPF PkgConfig::LIBELF PkgConfig::ZLIB)
endfunction()
