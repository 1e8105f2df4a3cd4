// compile()'s arguments as JSON (Keras' compile_config), so a saved model is compiled again as it
// was: optimizer (with its hyperparameters), losses, loss weights and metrics. Names are written
// as names; loss and metric classes (ember's and the user's) as {"class_name", "config":
// get_config()}; C++ functions as {"class_name": "function", "config": their name}. Reading a
// user's class or function back needs it in custom_objects or register_object, as in Keras.
#pragma once

#include "layers/engine/config.h"
#include "layers/trainers/training_options.h"

namespace ember::keras::detail {

/// {"optimizer", "loss", "loss_weights", "metrics", "weighted_metrics", "run_eagerly",
/// "steps_per_execution", "jit_compile"}.
Config compile_config(const CompileOptions& options, const optim::Optimizer& optimizer);
/// The inverse: what compile() takes. ember::Error naming a user's class or function that no
/// custom object or registration makes.
CompileOptions compile_options_from_config(const Config& config);

}  // namespace ember::keras::detail
