// The public op set. Every op checks its arguments first (shapes, dtypes, devices) and throws
// ember::Error naming the op and the offending values; then it runs on its inputs' device.
#pragma once

#include "core/constant.h"
#include "core/ops_conv.h"
#include "core/ops_creation.h"
#include "core/ops_elementwise.h"
#include "core/ops_linalg.h"
#include "core/ops_nn.h"
#include "core/ops_reduce.h"
#include "core/ops_shape.h"
#include "core/random.h"
