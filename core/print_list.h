// A list printed as Python prints one, `[a, b]` (internal: the operator<< of the lists of
// variables, gradients and layers).
#pragma once

#include <cstddef>
#include <ostream>
#include <vector>

namespace ember::detail {

template <class T>
std::ostream& print_list(std::ostream& out, const std::vector<T>& items) {
  out << "[";
  for (std::size_t i = 0; i < items.size(); ++i) out << (i ? ", " : "") << items[i];
  return out << "]";
}

}  // namespace ember::detail
