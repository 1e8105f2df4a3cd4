// ember: a C++20 deep-learning framework with the programming model of TensorFlow 2 / Keras.
// This umbrella header includes the public API.
#pragma once

#include "core/config.h"
#include "core/constant.h"
#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/gradient_tape.h"
#include "core/ops.h"
#include "core/shape.h"
#include "core/tensor.h"
#include "core/variable.h"
#include "io/npy.h"
#include "layers/keras.h"
#include "optim/optimizers.h"
#include "io/dataset.h"
#include "io/datasets.h"
#include "io/idx.h"
#include "io/image.h"
#include "io/safetensors.h"
#include "io/sequence.h"
#include "io/utils.h"
