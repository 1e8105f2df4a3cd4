// compile()'s arguments as JSON (Keras' compile_config), so a saved model is compiled again as it
// was: optimizer (with its hyperparameters), losses, loss weights and metrics. Names, ember's
// built-in loss and metric classes and optimizers are written; a C++ function or a user's class
// has no config, and saying which one is the error.
#pragma once

#include "layers/config.h"
#include "layers/training_options.h"

namespace ember::keras::detail {

/// {"optimizer", "loss", "loss_weights", "metrics", "weighted_metrics"}; ember::Error naming the
/// first argument that cannot be written.
Config compile_config(const CompileOptions& options, const optim::Optimizer& optimizer);
/// The inverse: what compile() takes.
CompileOptions compile_options_from_config(const Config& config);

}  // namespace ember::keras::detail
