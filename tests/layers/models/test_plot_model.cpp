// keras::utils::model_to_dot and plot_model: the boxes and edges of Keras 3's drawing, and
// Graphviz's renderings (PNG read back, SVG text), with errors for a missing Graphviz and bad
// options.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/scoped_env.h"
#include "tests/test_support.h"

namespace ember {
namespace {

using keras::utils::model_to_dot;
using keras::utils::plot_model;
using testing::TempDir;

std::size_t count_of(const std::string& text, const std::string& piece) {
  std::size_t n = 0;
  for (auto at = text.find(piece); at != std::string::npos; at = text.find(piece, at + 1)) ++n;
  return n;
}

/// Edges as "from-name -> to-name", from the DOT source (node ids mapped to the names shown).
std::vector<std::string> edges_by_name(const std::string& dot) {
  std::map<std::string, std::string> names;
  const std::regex node(R"((n\d+) \[label=<<table[^>]*><tr><td[^>]*><font[^>]*><b>([^<]+)</b>)");
  for (std::sregex_iterator it(dot.begin(), dot.end(), node), end; it != end; ++it)
    names[(*it)[1]] = (*it)[2];
  std::vector<std::string> edges;
  const std::regex edge(R"((n\d+) -> (n\d+))");
  for (std::sregex_iterator it(dot.begin(), dot.end(), edge), end; it != end; ++it)
    edges.push_back(names[(*it)[1]] + " -> " + names[(*it)[2]]);
  std::sort(edges.begin(), edges.end());
  return edges;
}

keras::Handle<keras::Model> branching_model() {
  auto inputs = keras::Input({4}, _name = "features");
  auto a = layers::Dense(3, _activation = "tanh", _name = "left")(inputs);
  auto b = layers::Dense(3, _name = "right")(inputs);
  auto tower = keras::make<keras::Sequential>(
      std::vector<keras::SequentialItem>{layers::Dense(2, _activation = "relu", _name = "tower_in"),
                                         layers::Dense(1, _name = "tower_out")},
      "tower");
  auto out = (*tower)(layers::add({a, b}, _name = "sum"));
  return keras::make<keras::Model>(inputs, out, "branches");
}

TEST(ModelToDot, ASequentialIsAChainOfKerasBoxes) {
  keras::Sequential model({keras::Input({2}),
                           layers::Dense(3, _activation = "tanh", _name = "hidden"),
                           layers::Dense(1, _name = "out")});
  const std::string dot =
      model_to_dot(model, _show_shapes = true, _show_dtype = true, _show_layer_activations = true,
                   _show_trainable = true, _rankdir = "LR");
  EXPECT_NE(dot.find("rankdir=\"LR\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("dpi=200"), std::string::npos);
  EXPECT_NE(dot.find("<b>hidden</b> (Dense)"), std::string::npos) << dot;
  EXPECT_NE(dot.find("Input shape: <b>(None, 2)</b>"), std::string::npos) << dot;
  EXPECT_NE(dot.find("Output shape: <b>(None, 3)</b>"), std::string::npos) << dot;
  EXPECT_NE(dot.find("Output dtype: <b>float32</b>"), std::string::npos) << dot;
  EXPECT_NE(dot.find("Activation: <b>tanh</b>"), std::string::npos) << dot;
  EXPECT_EQ(count_of(dot, "<b>Trainable</b>"), 2u);
  EXPECT_EQ(edges_by_name(dot), std::vector<std::string>{"hidden -> out"});
  // Without names, the class alone heads each box.
  const std::string bare = model_to_dot(model, _show_layer_names = false);
  EXPECT_EQ(bare.find("hidden"), std::string::npos);
  EXPECT_EQ(count_of(bare, "<b>Dense</b>"), 2u);
}

TEST(ModelToDot, AFunctionalGraphHasAnEdgePerConnection) {
  auto model = branching_model();
  EXPECT_EQ(edges_by_name(model_to_dot(*model)),
            (std::vector<std::string>{"features -> left", "features -> right", "left -> sum",
                                      "right -> sum", "sum -> tower"}));
  // Expanded, the tower is a dashed cluster and the edges reach its first and last layers.
  const std::string expanded = model_to_dot(*model, _expand_nested = true);
  EXPECT_NE(expanded.find("subgraph cluster_"), std::string::npos) << expanded;
  EXPECT_NE(expanded.find("style=\"dashed\""), std::string::npos);
  EXPECT_EQ(edges_by_name(expanded),
            (std::vector<std::string>{"features -> left", "features -> right", "left -> sum",
                                      "right -> sum", "sum -> tower_in", "tower_in -> tower_out"}));
}

TEST(ModelToDot, BadOptionsAndUnbuiltModelsAreErrors) {
  keras::Sequential model({keras::Input({2}), layers::Dense(1)});
  EXPECT_THROW(model_to_dot(model, _rankdir = "XY"), Error);
  EXPECT_THROW(model_to_dot(model, _splines = "wiggly"), Error);
  EXPECT_THROW(model_to_dot(model, _dpi = 0), Error);
  keras::Sequential unbuilt({layers::Dense(1)});
  EXPECT_THROW(model_to_dot(unbuilt), Error);
  TempDir dir;
  EXPECT_THROW(plot_model(model, dir / "model.bmp2"), Error);
}

bool have_graphviz() { return std::system("dot -V >/dev/null 2>&1") == 0; }

TEST(PlotModel, GraphvizDrawsPngSvgAndTheSourceAsDot) {
  if (!have_graphviz()) GTEST_SKIP() << "Graphviz's dot is not installed";
  auto model = branching_model();
  TempDir dir;
  plot_model(*model, dir / "model.png", _show_shapes = true, _dpi = 72);
  std::ifstream png_file(dir / "model.png", std::ios::binary);
  const std::string png{std::istreambuf_iterator<char>(png_file), {}};
  if (io::png_available()) {
    const auto image = io::decode_png(png, "model.png");
    EXPECT_GT(image.width, 100);
    EXPECT_GT(image.height, 200);  // five boxes, top to bottom
  } else {
    EXPECT_EQ(png.substr(1, 3), "PNG");
  }
  plot_model(*model, dir / "model.svg");
  std::ifstream svg(dir / "model.svg");
  const std::string text{std::istreambuf_iterator<char>(svg), {}};
  EXPECT_NE(text.find("<svg"), std::string::npos);
  plot_model(*model, dir / "model.dot");
  std::ifstream dot(dir / "model.dot");
  const std::string source{std::istreambuf_iterator<char>(dot), {}};
  EXPECT_EQ(source, model_to_dot(*model, _show_layer_names = false));  // plot_model's default
  // Nothing but the three drawings is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir / ""),
                          std::filesystem::directory_iterator()),
            3);
}

TEST(PlotModel, AMissingGraphvizIsAnErrorThatSaysSo) {
  TempDir dir;
  testing::ScopedEnv path("PATH", dir / "");  // a PATH without dot
  keras::Sequential model({keras::Input({2}), layers::Dense(1)});
  try {
    plot_model(model, dir / "model.png");
    FAIL() << "plot_model without Graphviz must throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("apt-get install graphviz"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "model.png"));
}

}  // namespace
}  // namespace ember
