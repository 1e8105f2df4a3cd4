// model_to_dot and plot_model (keras/src/utils/model_visualization.py): the graph as Keras 3
// draws it, rendered by Graphviz's dot program in a child process.
#include "layers/models/plot_model.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "core/error.h"
#include "io/atomic_file.h"
#include "layers/engine/config.h"
#include "layers/engine/input_layer.h"
#include "layers/models/model.h"

extern char** environ;

namespace ember::keras::utils {

namespace {

namespace fs = std::filesystem;

/// Text safe inside Graphviz's HTML-like labels.
std::string escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

const Model* as_model(const Layer* layer) { return dynamic_cast<const Model*>(layer); }

/// A Sequential is drawn as a chain of its layers (which leave out its InputLayer), even when it
/// is built as a functional graph underneath.
bool is_sequential(const Layer* layer) { return layer->class_name() == "Sequential"; }

/// Whether Keras draws the layer as a graph of its own (Sequential or functional).
bool expandable(const Layer* layer) {
  const Model* model = as_model(layer);
  return model && (model->is_functional() || is_sequential(model));
}

std::string shapes_text(const std::vector<Shape>& shapes) {
  if (shapes.empty()) return "?";
  if (shapes.size() == 1) return shape_string(shapes[0]);
  std::string out = "[";
  for (std::size_t i = 0; i < shapes.size(); ++i) out += (i ? ", " : "") + shape_string(shapes[i]);
  return out + "]";
}

class DotWriter {
 public:
  explicit DotWriter(const PlotModelOptions& options) : options_(options) {}

  std::string node_id(const Layer* layer) {
    const auto [it, added] = ids_.emplace(layer, ids_.size());
    (void)added;
    return "n" + std::to_string(it->second);
  }

  /// Keras' make_layer_label: an HTML table.
  std::string label(const Layer& layer) const {
    const bool names = options_.show_layer_names.value_or(true);
    int colspan = (options_.show_dtype ? 1 : 0) + (options_.show_trainable ? 1 : 0) +
                  (options_.show_shapes ? 2 : 0);
    colspan = std::max(1, colspan);
    std::string table = R"(<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">)";
    table += "<tr><td colspan=\"" + std::to_string(colspan) +
             "\" bgcolor=\"black\"><font point-size=\"16\" color=\"white\">";
    table += names ? "<b>" + escape(layer.name()) + "</b> (" + escape(layer.class_name()) + ")"
                   : "<b>" + escape(layer.class_name()) + "</b>";
    table += "</font></td></tr>";
    if (options_.show_layer_activations) {
      const Config config = layer.get_config();
      if (config.contains("activation") && config["activation"].is_string())
        table += "<tr><td bgcolor=\"white\" colspan=\"" + std::to_string(colspan) +
                 "\"><font point-size=\"14\">Activation: <b>" +
                 escape(config["activation"].get<std::string>()) + "</b></font></td></tr>";
    }
    std::vector<std::string> cells;
    const auto nodes = layer.inbound_nodes();
    const auto white = [](const std::string& text) {
      return "<td bgcolor=\"white\"><font point-size=\"14\">" + text + "</font></td>";
    };
    if (options_.show_shapes) {
      std::vector<Shape> in, out;
      if (!nodes.empty()) {
        for (const auto& t : nodes[0]->inputs) in.push_back(t.shape());
        out = nodes[0]->output_shapes;
      }
      if (layer.class_name() != "InputLayer")
        cells.push_back(white("Input shape: <b>" + escape(shapes_text(in)) + "</b>"));
      cells.push_back(white("Output shape: <b>" + escape(shapes_text(out)) + "</b>"));
    }
    if (options_.show_dtype) {
      std::string dtype = "?";
      if (!nodes.empty() && !nodes[0]->output_dtypes.empty())
        dtype = dtype_name(nodes[0]->output_dtypes[0]);
      cells.push_back(white("Output dtype: <b>" + escape(dtype) + "</b>"));
    }
    if (options_.show_trainable && !layer.weights().empty()) {
      cells.push_back(
          layer.trainable()
              ? R"(<td bgcolor="forestgreen"><font point-size="14" color="white"><b>Trainable</b></font></td>)"
              : R"(<td bgcolor="firebrick"><font point-size="14" color="white"><b>Non-trainable</b></font></td>)");
    }
    if (!cells.empty()) {
      table += "<tr>";
      for (const auto& cell : cells) table += cell;
      table += "</tr>";
    }
    return table + "</table>>";
  }

  void add_node(std::ostringstream& out, const Layer& layer, const std::string& indent) {
    out << indent << node_id(&layer) << " [label=" << label(layer)
        << ", fontname=\"Helvetica\", border=\"0\", margin=\"0\"];\n";
  }

  void add_edge(const Layer* from, const Layer* to) {
    const auto edge = std::pair{node_id(from), node_id(to)};
    if (edges_seen_.insert(edge.first + ">" + edge.second).second) edges_.push_back(edge);
  }

  /// The layer an edge leaving `layer` starts at: inside nested models, their output's layer.
  const Layer* source_of(const Layer* layer) {
    while (options_.expand_nested && expandable(layer)) {
      const Model* model = as_model(layer);
      if (is_sequential(model)) {
        const auto layers = model->layers();
        if (layers.empty()) break;
        layer = layers.back().get();
      } else {
        layer = model->outputs().at(0).node()->layer.get();
      }
    }
    return layer;
  }

  /// The layer an edge into `layer` ends at: inside nested models, their input or first layer.
  const Layer* destination_of(const Layer* layer, std::size_t input_index) {
    while (options_.expand_nested && expandable(layer)) {
      const Model* model = as_model(layer);
      if (is_sequential(model)) {
        const auto layers = model->layers();
        if (layers.empty()) break;
        layer = layers.front().get();
      } else {
        const auto& inputs = model->inputs();
        layer = inputs.at(std::min(input_index, inputs.size() - 1)).node()->layer.get();
      }
    }
    return layer;
  }

  /// The model's boxes (and those of nested models, as clusters) and its edges.
  void add_model(std::ostringstream& out, const Model& model, const std::string& indent) {
    const std::vector<LayerHandle> layers = model.layers();
    for (const auto& layer : layers) {
      if (options_.expand_nested && expandable(layer.get())) {
        out << indent << "subgraph cluster_" << node_id(layer.get()) << " {\n"
            << indent << "  label=\"" << escape(layer->name()) << "\";\n"
            << indent << "  labeljust=\"l\";\n"
            << indent << "  style=\"dashed\";\n";
        add_model(out, *as_model(layer.get()), indent + "  ");
        out << indent << "}\n";
      } else {
        add_node(out, *layer, indent);
      }
    }
    if (is_sequential(&model)) {  // a chain
      for (std::size_t i = 0; i + 1 < layers.size(); ++i)
        add_edge(source_of(layers[i].get()), destination_of(layers[i + 1].get(), 0));
      return;
    }
    std::unordered_set<const Node*> in_model;
    for (const auto& node : model.graph_nodes()) in_model.insert(node.get());
    for (const auto& layer : layers) {
      for (const auto& node : layer->inbound_nodes()) {
        if (!in_model.count(node.get())) continue;
        for (std::size_t i = 0; i < node->inputs.size(); ++i) {
          const auto& producer = node->inputs[i].node();
          if (!producer || !producer->layer) continue;
          add_edge(source_of(producer->layer.get()), destination_of(layer.get(), i));
        }
      }
    }
  }

  void write_edges(std::ostringstream& out) const {
    for (const auto& [from, to] : edges_)
      out << "  " << from << " -> " << to << " [penwidth=\"2\"];\n";
  }

 private:
  const PlotModelOptions& options_;
  std::map<const Layer*, std::size_t> ids_;
  std::vector<std::pair<std::string, std::string>> edges_;
  std::set<std::string> edges_seen_;
};

void check_options(const PlotModelOptions& options, const char* op) {
  static const std::set<std::string> rankdirs = {"TB", "LR", "BT", "RL"};
  static const std::set<std::string> splines = {"ortho", "curved", "polyline", "spline",
                                                "line",  "true",   "false",    "none"};
  if (!rankdirs.count(options.rankdir))
    throw Error(cat(op, ": rankdir must be \"TB\", \"LR\", \"BT\" or \"RL\", got \"",
                    options.rankdir, "\""));
  if (!splines.count(options.splines))
    throw Error(cat(op,
                    ": splines must be \"ortho\", \"curved\", \"polyline\", \"spline\" or "
                    "\"line\", got \"",
                    options.splines, "\""));
  if (options.dpi <= 0 || options.dpi > 2400)
    throw Error(cat(op, ": dpi must be within 1 and 2400, got ", options.dpi));
}

/// Runs `dot -T<format> -o <output> <input>`, killed after `timeout`.
void run_dot(const std::string& format, const std::string& input, const std::string& output) {
  // dot's messages go to a file: warnings are dropped, errors end up in the exception.
  const std::string messages = output + ".log";
  std::vector<std::string> args = {"dot", "-T" + format, "-o", output, input};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, messages.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, "dot", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0)
    throw Error(cat("plot_model: Graphviz's dot program could not be started (",
                    std::strerror(spawned),
                    "); install Graphviz (apt-get install graphviz) or write a .dot file"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  int status = 0;
  while (true) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR)
      throw Error(cat("plot_model: waiting for dot: ", std::strerror(errno)));
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      throw Error("plot_model: Graphviz's dot took longer than 120 s and was stopped");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::string said;
  {
    std::ifstream log(messages);
    std::getline(log, said, '\0');
  }
  std::error_code ignored;
  fs::remove(messages, ignored);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    throw Error(
        "plot_model: Graphviz's dot program was not found on PATH (apt-get install graphviz)");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error(cat("plot_model: Graphviz's dot failed (",
                    WIFEXITED(status) ? cat("exit status ", WEXITSTATUS(status))
                                      : cat("signal ", WTERMSIG(status)),
                    ") drawing ", output, ": ", said));
}

}  // namespace

std::string model_to_dot(const Model& model, PlotModelOptions options) {
  check_options(options, "model_to_dot");
  if (!model.built())
    throw Error(cat("model_to_dot: the model '", model.name(),
                    "' has not been built yet: build it, or call it on a batch of data"));
  DotWriter writer(options);
  std::ostringstream body;
  if (expandable(&model)) {
    writer.add_model(body, model, "  ");
  } else {
    writer.add_node(body, model, "  ");  // a subclassed model is one box, as in Keras
  }
  std::ostringstream out;
  out << "digraph G {\n"
      << "  rankdir=\"" << options.rankdir << "\";\n"
      << "  concentrate=true;\n"
      << "  dpi=" << options.dpi << ";\n"
      << "  splines=\"" << options.splines << "\";\n"
      << "  node [shape=\"record\"];\n"
      << body.str();
  writer.write_edges(out);
  out << "}\n";
  return out.str();
}

void plot_model(const Model& model, const std::string& to_file, PlotModelOptions options) {
  if (!options.show_layer_names) options.show_layer_names = false;  // plot_model's default
  const std::string dot = model_to_dot(model, options);
  std::string format = fs::path(to_file).extension().string();
  if (!format.empty()) format = format.substr(1);
  static const std::set<std::string> formats = {"png",  "svg", "pdf", "jpg",
                                                "jpeg", "gif", "ps",  "dot"};
  if (!formats.count(format))
    throw Error(cat("plot_model: cannot tell the format of '", to_file,
                    "': name it .png, .svg, .pdf, .jpg, .gif, .ps or .dot"));
  if (format == "dot") {
    io::write_atomically(to_file, [&](std::ostream& out) { out << dot; });
    return;
  }
  // dot writes a temporary next to the target, renamed into place once it is whole.
  const fs::path target = fs::absolute(to_file);
  const std::string source = target.string() + ".plot-source.dot";
  const std::string drawn = target.string() + ".plot-" + std::to_string(getpid()) + "." + format;
  io::write_atomically(source, [&](std::ostream& out) { out << dot; });
  try {
    run_dot(format, source, drawn);
  } catch (...) {
    std::error_code ignored;
    fs::remove(source, ignored);
    fs::remove(drawn, ignored);
    throw;
  }
  std::error_code error;
  fs::remove(source, error);
  if (const int fd = ::open(drawn.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    ::fsync(fd);  // on disk before it takes the name
    ::close(fd);
  }
  fs::rename(drawn, target, error);
  if (error) throw IoError(cat(to_file, ": cannot move the drawing into place: ", error.message()));
}

}  // namespace ember::keras::utils
