// The public op set. Every op checks its arguments first (shapes, dtypes, devices) and throws
// ember::Error naming the op and the offending values; then it runs on its inputs' device.
#pragma once

#include "core/constant.h"
#include "core/ops/conv.h"
#include "core/ops/creation.h"
#include "core/ops/elementwise.h"
#include "core/ops/index.h"
#include "core/ops/linalg.h"
#include "core/ops/norm.h"
#include "core/ops/pool.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"
#include "core/ops/softmax.h"
#include "core/random/random.h"
