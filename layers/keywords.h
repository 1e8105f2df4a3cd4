// The keywords of the Keras half's options whose values are numbers, strings and core types (core/
// keywords.h says how keywords work). Keywords whose braced lists make a Keras type are declared
// beside it: _activation (layers/activations.h), _kernel_initializer and the other initializers
// (layers/initializers.h), the regularizers (layers/regularizers.h), compile's and fit's
// (layers/trainers/training_options.h), _save_freq and _update_freq (layers/callbacks/callbacks.h),
// _custom_objects (layers/saving/saving.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/keywords.h"
#include "core/tensor.h"

namespace ember {

inline constexpr auto _baseline = keyword<double>([](auto& o) -> auto& { return o.baseline; });
inline constexpr auto _batch_size =
    keyword<std::int64_t>([](auto& o) -> auto& { return o.batch_size; });
inline constexpr auto _center = keyword<bool>([](auto& o) -> auto& { return o.center; });
inline constexpr auto _class_id =
    keyword<std::int64_t>([](auto& o) -> auto& { return o.class_id; });
inline constexpr auto _class_weight =
    keyword<std::map<std::int64_t, double>>([](auto& o) -> auto& { return o.class_weight; });
inline constexpr auto _compile = keyword<bool>([](auto& o) -> auto& { return o.compile; });
inline constexpr auto _cooldown = keyword<int>([](auto& o) -> auto& { return o.cooldown; });
inline constexpr auto _curve = keyword<std::string>([](auto& o) -> auto& { return o.curve; });
inline constexpr auto _delta = keyword<double>([](auto& o) -> auto& { return o.delta; });
inline constexpr auto _depth_multiplier =
    keyword<std::int64_t>([](auto& o) -> auto& { return o.depth_multiplier; });
inline constexpr auto _distribution =
    keyword<std::string>([](auto& o) -> auto& { return o.distribution; });
inline constexpr auto _epochs = keyword<int>([](auto& o) -> auto& { return o.epochs; });
inline constexpr auto _factor = keyword<double>([](auto& o) -> auto& { return o.factor; });
inline constexpr auto _from_logits = keyword<bool>([](auto& o) -> auto& { return o.from_logits; });
inline constexpr auto _gain = keyword<double>([](auto& o) -> auto& { return o.gain; });
inline constexpr auto _groups = keyword<std::int64_t>([](auto& o) -> auto& { return o.groups; });
inline constexpr auto _histogram_freq =
    keyword<int>([](auto& o) -> auto& { return o.histogram_freq; });
inline constexpr auto _write_graph = keyword<bool>([](auto& o) -> auto& { return o.write_graph; });
inline constexpr auto _write_images =
    keyword<bool>([](auto& o) -> auto& { return o.write_images; });
inline constexpr auto _write_steps_per_second =
    keyword<bool>([](auto& o) -> auto& { return o.write_steps_per_second; });
inline constexpr auto _include_optimizer =
    keyword<bool>([](auto& o) -> auto& { return o.include_optimizer; });
inline constexpr auto _initial_epoch =
    keyword<int>([](auto& o) -> auto& { return o.initial_epoch; });
inline constexpr auto _initial_value_threshold =
    keyword<double>([](auto& o) -> auto& { return o.initial_value_threshold; });
inline constexpr auto _interpolation =
    keyword<std::string>([](auto& o) -> auto& { return o.interpolation; });
inline constexpr auto _k = keyword<std::int64_t>([](auto& o) -> auto& { return o.k; });
inline constexpr auto _keepdims = keyword<bool>([](auto& o) -> auto& { return o.keepdims; });
inline constexpr auto _label_smoothing =
    keyword<double>([](auto& o) -> auto& { return o.label_smoothing; });
inline constexpr auto _min_delta = keyword<double>([](auto& o) -> auto& { return o.min_delta; });
inline constexpr auto _min_lr = keyword<double>([](auto& o) -> auto& { return o.min_lr; });
inline constexpr auto _mode = keyword<std::string>([](auto& o) -> auto& { return o.mode; });
inline constexpr auto _monitor = keyword<std::string>([](auto& o) -> auto& { return o.monitor; });
inline constexpr auto _num_thresholds =
    keyword<std::int64_t>([](auto& o) -> auto& { return o.num_thresholds; });
inline constexpr auto _overwrite = keyword<bool>([](auto& o) -> auto& { return o.overwrite; });
inline constexpr auto _patience = keyword<int>([](auto& o) -> auto& { return o.patience; });
inline constexpr auto _reduction =
    keyword<std::string>([](auto& o) -> auto& { return o.reduction; });
inline constexpr auto _restore_best_weights =
    keyword<bool>([](auto& o) -> auto& { return o.restore_best_weights; });
inline constexpr auto _run_eagerly = keyword<bool>([](auto& o) -> auto& { return o.run_eagerly; });
inline constexpr auto _sample_weight =
    keyword<Tensor>([](auto& o) -> auto& { return o.sample_weight; });
inline constexpr auto _save_best_only =
    keyword<bool>([](auto& o) -> auto& { return o.save_best_only; });
inline constexpr auto _save_weights_only =
    keyword<bool>([](auto& o) -> auto& { return o.save_weights_only; });
inline constexpr auto _delete_checkpoint =
    keyword<bool>([](auto& o) -> auto& { return o.delete_checkpoint; });
inline constexpr auto _scale = keyword<double>([](auto& o) -> auto& { return o.scale; });
inline constexpr auto _shuffle = keyword<bool>([](auto& o) -> auto& { return o.shuffle; });
inline constexpr auto _start_from_epoch =
    keyword<int>([](auto& o) -> auto& { return o.start_from_epoch; });
inline constexpr auto _steps = keyword<std::int64_t>([](auto& o) -> auto& { return o.steps; });
inline constexpr auto _steps_per_epoch =
    keyword<std::int64_t>([](auto& o) -> auto& { return o.steps_per_epoch; });
inline constexpr auto _steps_per_execution =
    keyword<std::int64_t>([](auto& o) -> auto& { return o.steps_per_execution; });
inline constexpr auto _summation_method =
    keyword<std::string>([](auto& o) -> auto& { return o.summation_method; });
inline constexpr auto _threshold = keyword<double>([](auto& o) -> auto& { return o.threshold; });
inline constexpr auto _thresholds =
    keyword<std::vector<double>>([](auto& o) -> auto& { return o.thresholds; });
inline constexpr auto _top_k = keyword<std::int64_t>([](auto& o) -> auto& { return o.top_k; });
inline constexpr auto _use_bias = keyword<bool>([](auto& o) -> auto& { return o.use_bias; });
inline constexpr auto _validation_batch_size =
    keyword<std::int64_t>([](auto& o) -> auto& { return o.validation_batch_size; });
inline constexpr auto _validation_freq =
    keyword<int>([](auto& o) -> auto& { return o.validation_freq; });
inline constexpr auto _validation_split =
    keyword<double>([](auto& o) -> auto& { return o.validation_split; });
inline constexpr auto _validation_steps =
    keyword<std::int64_t>([](auto& o) -> auto& { return o.validation_steps; });
inline constexpr auto _verbose = keyword<int>([](auto& o) -> auto& { return o.verbose; });

}  // namespace ember
