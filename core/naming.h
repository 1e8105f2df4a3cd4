// Names made from C++ class names, as Keras and tf.Module make theirs from Python's.
#pragma once

#include <string>
#include <typeinfo>

namespace ember::detail {

/// Keras' to_snake_case (keras.src.utils.naming): "DenseNN" -> "dense_nn",
/// "GlobalAveragePooling2D" -> "global_average_pooling2d".
std::string to_snake_case(const std::string& class_name);

/// The unqualified name of a C++ class, demangled: "DenseNN" for `struct ember::DenseNN`.
std::string class_name_of(const std::type_info& type);

}  // namespace ember::detail
