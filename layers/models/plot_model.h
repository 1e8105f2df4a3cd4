// keras.utils.model_to_dot and plot_model: a model's layers and connections drawn by Graphviz.
//
//   keras::utils::plot_model(model, "model.png", {.show_shapes = true});
//
// model_to_dot returns the Graphviz source (the DOT language) with Keras 3's boxes: the layer's
// name and class in a black header, then its input and output shapes, dtype, activation and
// whether it trains. plot_model hands that to Graphviz's `dot` program (Debian's `graphviz`),
// and the file's extension chooses the format: .png, .svg, .pdf, .jpg, .gif, or .dot for the
// source itself. Without Graphviz it throws an ember::Error that says so.
#pragma once

#include <optional>
#include <string>

#include "core/keywords.h"

namespace ember::keras {
class Model;
}

namespace ember::keras::utils {

struct PlotModelOptions {
  bool show_shapes = false;
  bool show_dtype = false;
  /// Keras' defaults differ: model_to_dot shows the names, plot_model does not.
  std::optional<bool> show_layer_names = std::nullopt;
  /// "TB" (top to bottom) or "LR" (left to right), and Graphviz's BT and RL.
  std::string rankdir = "TB";
  /// Nested Sequential and functional models drawn as dashed clusters of their own layers.
  bool expand_nested = false;
  int dpi = 200;
  bool show_layer_activations = false;
  bool show_trainable = false;
  /// How edges are drawn: "ortho", "curved", "polyline", "spline" or "line".
  std::string splines = "ortho";
};

/// The DOT source of the model's graph.
std::string model_to_dot(const Model& model, PlotModelOptions options = {});
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, PlotModelOptions> && ...)) std::string
    model_to_dot(const Model& model, const K&... keywords) {
  return model_to_dot(model, with_keywords<PlotModelOptions>(keywords...));
}

/// Draws the model into `to_file` (written whole or not at all).
void plot_model(const Model& model, const std::string& to_file = "model.png",
                PlotModelOptions options = {});
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, PlotModelOptions> &&
                              ...)) void plot_model(const Model& model, const std::string& to_file,
                                                    const K&... keywords) {
  plot_model(model, to_file, with_keywords<PlotModelOptions>(keywords...));
}

}  // namespace ember::keras::utils

namespace ember {
inline constexpr auto _show_shapes = keyword<bool>([](auto& o) -> auto& { return o.show_shapes; });
inline constexpr auto _show_dtype = keyword<bool>([](auto& o) -> auto& { return o.show_dtype; });
inline constexpr auto _show_layer_names =
    keyword<bool>([](auto& o) -> auto& { return o.show_layer_names; });
inline constexpr auto _rankdir = keyword<std::string>([](auto& o) -> auto& { return o.rankdir; });
inline constexpr auto _expand_nested =
    keyword<bool>([](auto& o) -> auto& { return o.expand_nested; });
inline constexpr auto _dpi = keyword<int>([](auto& o) -> auto& { return o.dpi; });
inline constexpr auto _show_layer_activations =
    keyword<bool>([](auto& o) -> auto& { return o.show_layer_activations; });
inline constexpr auto _show_trainable =
    keyword<bool>([](auto& o) -> auto& { return o.show_trainable; });
inline constexpr auto _splines = keyword<std::string>([](auto& o) -> auto& { return o.splines; });
}  // namespace ember
