// Model::summary: Keras 3's table, drawn the way its rich console draws it when the terminal is
// wide (88 columns for sequential models, 108 with a "Connected to" column for branching graphs).
#include <iostream>
#include <sstream>
#include <unordered_map>

#include "core/error.h"
#include "layers/engine/input_layer.h"
#include "layers/models/model.h"
#include "layers/trainers/compiled_state.h"

namespace ember::keras {
namespace {

std::string with_commas(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

// Keras' readable_memory_size: 1024-based units with two decimals.
std::string memory_size(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(2);
  out << bytes << " " << units[unit];
  return out.str();
}

std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;  // count UTF-8 code points
  return n;
}

// Words that fit `width`, greedily; a word longer than the width is cut with an ellipsis.
std::vector<std::string> wrap(const std::string& text, std::size_t width) {
  std::vector<std::string> lines;
  std::istringstream words(text);
  std::string word, line;
  while (words >> word) {
    if (display_width(word) > width) word = word.substr(0, width - 1) + "\u2026";
    if (line.empty()) {
      line = word;
    } else if (display_width(line) + 1 + display_width(word) <= width) {
      line += " " + word;
    } else {
      lines.push_back(line);
      line = word;
    }
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

std::string repeat(const std::string& piece, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += piece;
  return out;
}

// rich's ratio_reduce with equal ratios and Python's round-half-even.
std::vector<std::size_t> fit_columns(std::vector<std::size_t> widths, std::size_t line_length) {
  const std::size_t used = [&] {
    std::size_t s = widths.size() + 1;        // borders
    for (std::size_t w : widths) s += w + 2;  // padding
    return s;
  }();
  if (used <= line_length) return widths;
  double remaining = static_cast<double>(used - line_length);
  double ratio_left = static_cast<double>(widths.size());
  for (std::size_t& w : widths) {
    const double share = remaining / ratio_left;
    double r = std::nearbyint(share);  // ties to even under the default rounding mode
    w -= static_cast<std::size_t>(r);
    remaining -= r;
    ratio_left -= 1;
  }
  return widths;
}

}  // namespace

void Model::summary(std::ostream& out) const {
  const bool chain = sequential_like();
  std::vector<LayerHandle> rows = layers();
  const std::size_t line_length = chain ? 88 : 108;
  const std::vector<double> positions =
      chain ? std::vector<double>{0.45, 0.80, 1.0} : std::vector<double>{0.3, 0.56, 0.74, 1.0};
  std::vector<std::string> header = {"Layer (type)", "Output Shape", "Param #"};
  if (!chain) header.push_back("Connected to");
  std::vector<std::size_t> widths;
  std::size_t current = 0;
  for (double p : positions) {
    const auto edge = static_cast<std::size_t>(p * static_cast<double>(line_length));
    widths.push_back(edge - current);
    current = edge;
  }
  widths = fit_columns(widths, line_length);

  std::unordered_map<const Node*, bool> in_model;
  for (const auto& node : graph_nodes()) in_model[node.get()] = true;
  auto cells_of = [&](const LayerHandle& layer) {
    std::vector<std::string> cells;
    cells.push_back(layer->name() + " (" + layer->class_name() + ")");
    std::vector<std::shared_ptr<const Node>> nodes;
    for (const auto& node : layer->inbound_nodes()) {
      if (!is_functional() || in_model.count(node.get())) nodes.push_back(node);
    }
    if (nodes.empty()) {
      cells.push_back("?");
    } else if (nodes.size() > 1 && !is_functional()) {
      cells.push_back("multiple");
    } else {
      std::string shapes;
      for (const Shape& s : nodes[0]->output_shapes)
        shapes += (shapes.empty() ? "" : ", ") + shape_string(s);
      cells.push_back(nodes[0]->output_shapes.size() > 1 ? "[" + shapes + "]" : shapes);
    }
    cells.push_back(layer->built() ? with_commas(layer->count_params()) : "0 (unbuilt)");
    if (!chain) {
      std::string connections;
      for (const auto& node : nodes) {
        for (const KerasTensor& in : node->inputs) {
          connections += (connections.empty() ? "" : ", ") + in.history();
        }
      }
      cells.push_back(connections.empty() ? "-" : connections);
    }
    return cells;
  };
  const std::vector<bool> right_aligned = {false, false, true, false};
  auto draw_row = [&](const std::vector<std::string>& cells, const char* bar) {
    std::vector<std::vector<std::string>> wrapped;
    std::size_t height = 1;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      wrapped.push_back(wrap(cells[c], widths[c]));
      height = std::max(height, wrapped.back().size());
    }
    for (std::size_t line = 0; line < height; ++line) {
      out << bar;
      for (std::size_t c = 0; c < cells.size(); ++c) {
        const std::string text = line < wrapped[c].size() ? wrapped[c][line] : "";
        const std::string pad(widths[c] - display_width(text), ' ');
        out << " " << (right_aligned[c] ? pad + text : text + pad) << " " << bar;
      }
      out << "\n";
    }
  };
  auto rule = [&](const char* left, const char* fill, const char* middle, const char* right) {
    out << left;
    for (std::size_t c = 0; c < widths.size(); ++c) {
      out << repeat(fill, widths[c] + 2) << (c + 1 < widths.size() ? middle : right);
    }
    out << "\n";
  };

  out << "Model: \"" << name() << "\"\n";
  rule("\u250f", "\u2501", "\u2533", "\u2513");
  draw_row(header, "\u2503");
  rule("\u2521", "\u2501", "\u2547", "\u2529");
  for (std::size_t r = 0; r < rows.size(); ++r) {
    draw_row(cells_of(rows[r]), "\u2502");
    if (r + 1 < rows.size()) rule("\u251c", "\u2500", "\u253c", "\u2524");
  }
  rule("\u2514", "\u2500", "\u2534", "\u2518");

  std::int64_t trainable = 0, non_trainable = 0;
  for (const Variable& v : trainable_weights()) trainable += v.size();
  for (const Variable& v : non_trainable_weights()) non_trainable += v.size();
  // After compile and a first step, Keras counts the optimizer's variables too.
  const optim::Optimizer::VariableSize optimizer =
      compiled_ ? compiled_->optimizer().variable_size() : optim::Optimizer::VariableSize{};
  out << " Total params: " << with_commas(trainable + non_trainable + optimizer.count) << " ("
      << memory_size(4.0 * static_cast<double>(trainable + non_trainable) +
                     static_cast<double>(optimizer.bytes))
      << ")\n";
  out << " Trainable params: " << with_commas(trainable) << " ("
      << memory_size(4.0 * static_cast<double>(trainable)) << ")\n";
  out << " Non-trainable params: " << with_commas(non_trainable) << " ("
      << memory_size(4.0 * static_cast<double>(non_trainable)) << ")\n";
  if (optimizer.count > 0) {
    out << " Optimizer params: " << with_commas(optimizer.count) << " ("
        << memory_size(static_cast<double>(optimizer.bytes)) << ")\n";
  }
}

void Model::summary() const { summary(std::cout); }

std::string Model::summary_string() const {
  std::ostringstream out;
  summary(out);
  return out.str();
}

}  // namespace ember::keras
