#!/usr/bin/env bash
# Times bench/onednn/onednn_versions.cpp against Debian's oneDNN and against the oneDNN of PyPI's
# onednn / onednn-devel wheels (issue 19, item 5), in one run, with the machine printed first.
#   bench/onednn/compare.sh [WHEEL_DIR]   WHEEL_DIR: where the wheels are, or are downloaded to
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
wheels="${1:-${TMPDIR:-/tmp}/onednn-wheels}"
mkdir -p "$wheels"
# The onednn wheel is oneDNN's SYCL + TBB build: it needs Intel's SYCL, OpenCL, TBB and compiler
# runtimes (dpcpp-cpp-rt, intel-opencl-rt: about 500 MB of wheels, 1.7 GB unpacked).
if ! ls "$wheels"/onednn_devel-*.whl >/dev/null 2>&1; then
  python3 -m pip download onednn onednn-devel dpcpp-cpp-rt intel-opencl-rt -d "$wheels" -q
fi
unpacked="$wheels/unpacked"
if [ ! -d "$unpacked" ]; then
  mkdir -p "$unpacked"
  for w in "$wheels"/*.whl; do python3 -m zipfile -e "$w" "$unpacked"; done
fi
include="$(dirname "$(dirname "$(find "$unpacked" -path '*include/oneapi/dnnl/dnnl.hpp' | head -1)")")"
lib="$(dirname "$(find "$unpacked" -name 'libdnnl.so.3' | head -1)")"
runtime="$(find "$unpacked" -name '*.so*' -path '*/lib/*' -printf '%h\n' | sort -u | paste -sd:)"
grep -m1 "model name" /proc/cpuinfo
grep -m1 "^flags" /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512_bf16|avx512_fp16|amx_bf16|amx_tile)$' | tr '\n' ' '
echo
out="$(mktemp -d)"
g++ -O2 -std=c++17 "$here/onednn_versions.cpp" -o "$out/debian" -ldnnl
g++ -O2 -std=c++17 -I"$(dirname "$include")" "$here/onednn_versions.cpp" -o "$out/wheel" \
  -L"$lib" -ldnnl -Wl,--allow-shlib-undefined
echo "Debian's libdnnl-dev:"; "$out/debian"
# Its CPU engine is a SYCL CPU device: Intel's OpenCL CPU runtime, found through its ICD file.
ocl="$(find "$unpacked" -name libintelocl.so | head -1)"
echo "PyPI's onednn wheel:"
LD_LIBRARY_PATH="$runtime" OCL_ICD_FILENAMES="$ocl" "$out/wheel"
rm -rf "$out"
