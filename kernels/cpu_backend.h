// The CPU backend: reference kernels for every dtype (OpenMP-parallel, vectorisable loops) and
// oneDNN's sgemm for float32 matrix products when ember is built with oneDNN.
#pragma once

#include <memory>

#include "core/backend/backend.h"

namespace ember::cpu {

std::unique_ptr<Backend> make_backend();

}  // namespace ember::cpu
