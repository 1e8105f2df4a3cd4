// The Keras half of ember: layers, models, initializers, activations, regularizers.
#pragma once

#include "layers/activations.h"
#include "layers/core_layers.h"
#include "layers/embedding_normalization.h"
#include "layers/initializers.h"
#include "layers/input_layer.h"
#include "layers/layer.h"
#include "layers/model.h"
#include "layers/module.h"
#include "layers/regularizers.h"
#include "layers/sequential.h"
#include "layers/registry.h"
