// Includes an internal header, which the installed package does not ship.
#include <ember.h>

#include "core/tensor_impl.h"

int main() { return 0; }
