// All optimizers, and the lookup by Keras name ("sgd", "adam", ...).
#pragma once

#include <memory>
#include <string>

#include "optim/adagrad.h"
#include "optim/adam.h"
#include "optim/learning_rate.h"
#include "optim/loss_scale_optimizer.h"
#include "optim/optimizer.h"
#include "optim/rmsprop.h"
#include "optim/sgd.h"

namespace ember::optim {

/// A new optimizer with Keras' defaults from its name (case-insensitive): "sgd", "adam",
/// "adamw", "adagrad", "adadelta", "rmsprop", "nadam", "adamax". Unknown names are an error that
/// lists the known ones.
std::shared_ptr<Optimizer> get(const std::string& name);

/// A new optimizer from Keras' serialization {"class_name": "Adam", "config": {...}} (what
/// Model::save writes and keras.optimizers.serialize gives); a plain name is taken as get(name).
/// Missing arguments take their defaults; an unknown class or a malformed config is an error.
std::shared_ptr<Optimizer> from_config(const nlohmann::json& serialized);
/// {"class_name": ..., "config": optimizer.get_config()}.
nlohmann::json serialize(const Optimizer& optimizer);

}  // namespace ember::optim
