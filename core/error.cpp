#include "core/error.h"

namespace ember {

void internal_error(const char* file, int line, const std::string& what) {
  throw Error(cat("ember internal error at ", file, ":", line, ": ", what,
                  " (please report this as a bug)"));
}

}  // namespace ember
