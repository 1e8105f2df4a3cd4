// The keywords of the optimizers' and schedules' options (core/keywords.h says how keywords work):
// optim::Adam(_learning_rate = 0.01, _beta_1 = 0.8, _clipnorm = 1.0).
#pragma once

#include "core/keywords.h"
#include "optim/learning_rate.h"

namespace ember {

inline constexpr auto _alpha = keyword<double>([](auto& o) -> auto& { return o.alpha; });
inline constexpr auto _amsgrad = keyword<bool>([](auto& o) -> auto& { return o.amsgrad; });
inline constexpr auto _beta_1 = keyword<double>([](auto& o) -> auto& { return o.beta_1; });
inline constexpr auto _beta_2 = keyword<double>([](auto& o) -> auto& { return o.beta_2; });
inline constexpr auto _centered = keyword<bool>([](auto& o) -> auto& { return o.centered; });
inline constexpr auto _clipnorm = keyword<double>([](auto& o) -> auto& { return o.clipnorm; });
inline constexpr auto _clipvalue = keyword<double>([](auto& o) -> auto& { return o.clipvalue; });
inline constexpr auto _decay_rate = keyword<double>([](auto& o) -> auto& { return o.decay_rate; });
inline constexpr auto _decay_steps =
    keyword<std::int64_t>([](auto& o) -> auto& { return o.decay_steps; });
inline constexpr auto _global_clipnorm =
    keyword<double>([](auto& o) -> auto& { return o.global_clipnorm; });
inline constexpr auto _initial_accumulator_value =
    keyword<double>([](auto& o) -> auto& { return o.initial_accumulator_value; });
inline constexpr auto _initial_learning_rate =
    keyword<double>([](auto& o) -> auto& { return o.initial_learning_rate; });
inline constexpr auto _learning_rate =
    keyword<optim::LearningRate>([](auto& o) -> auto& { return o.learning_rate; });
inline constexpr auto _nesterov = keyword<bool>([](auto& o) -> auto& { return o.nesterov; });
inline constexpr auto _rho = keyword<double>([](auto& o) -> auto& { return o.rho; });
inline constexpr auto _skip_nonfinite_gradients =
    keyword<bool>([](auto& o) -> auto& { return o.skip_nonfinite_gradients; });
inline constexpr auto _staircase = keyword<bool>([](auto& o) -> auto& { return o.staircase; });
inline constexpr auto _warmup_steps =
    keyword<std::int64_t>([](auto& o) -> auto& { return o.warmup_steps; });
inline constexpr auto _warmup_target =
    keyword<double>([](auto& o) -> auto& { return o.warmup_target; });
inline constexpr auto _weight_decay =
    keyword<double>([](auto& o) -> auto& { return o.weight_decay; });

}  // namespace ember
