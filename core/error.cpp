#include "core/error.h"

#include <iostream>

namespace ember {

void internal_error(const char* file, int line, const std::string& what) {
  throw Error(cat("ember internal error at ", file, ":", line, ": ", what,
                  " (please report this as a bug)"));
}

void warn(const std::string& message) { std::cerr << "ember: WARNING: " << message << std::endl; }

}  // namespace ember
