#include "core/autocast.h"

namespace ember {
namespace {

thread_local std::optional<DType> current;

}  // namespace

AutocastScope::AutocastScope(std::optional<DType> dtype) : previous_(current) { current = dtype; }

AutocastScope::~AutocastScope() { current = previous_; }

std::optional<DType> autocast_dtype() { return current; }

}  // namespace ember
