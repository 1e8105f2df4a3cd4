// Lesson 1: a computational graph and its derivatives. f = (x + y)^2 + 2xy at x = 2, y = -4:
// the forward pass stores the intermediate values, the backward pass multiplies the local
// derivatives along the graph; the GradientTape does both and gives df/dx = -12, df/dy = 0.
#include <iostream>

#include "ember.h"

using namespace ember;

int main() {
  std::cout << "device: " << default_device() << "\n\n";
  Variable x({{2.0f}}), y({{-4.0f}});

  GradientTape tape(_persistent = true);
  const Tensor a = x + y;         // a(x, y) = x + y
  const Tensor b = pow(a, 2.0f);  // b(a) = a^2
  const Tensor c = 2.0f * x * y;  // c(x, y) = 2xy
  const Tensor f = b + c;         // f(b, c) = b + c

  std::cout << "Forward pass (the values the tape keeps):\n";
  std::cout << "  x = " << x.item<float>() << "\n  y = " << y.item<float>() << "\n";
  std::cout << "  a(x,y) = x+y  = " << a.item<float>() << "\n";
  std::cout << "  b(a)   = a**2 = " << b.item<float>() << "\n";
  std::cout << "  c(x,y) = 2*x*y = " << c.item<float>() << "\n";
  std::cout << "  f(b,c) = b+c  = " << f.item<float>() << "\n\n";

  std::cout << "Backward pass (each derivative from the tape):\n";
  std::cout << "  df/db = " << tape.gradient(f, b)->item<float>() << "\n";
  std::cout << "  df/dc = " << tape.gradient(f, c)->item<float>() << "\n";
  std::cout << "  df/da = df/db * db/da = " << tape.gradient(f, a)->item<float>() << "\n";
  const auto dc = tape.gradient(c, {x, y});
  std::cout << "  dc/dx = 2*y = " << dc[0]->item<float>()
            << "   dc/dy = 2*x = " << dc[1]->item<float>() << "\n";
  std::cout << "  db/da = 2*a = " << tape.gradient(b, a)->item<float>() << "\n\n";

  const auto df = tape.gradient(f, {x, y});
  std::cout << "df/dx = " << *df[0] << "\n";
  std::cout << "df/dy = " << *df[1] << "\n";
  std::cout << "analytic: f'x = 2x + 4y = " << 2 * 2 + 4 * -4
            << ", f'y = 4x + 2y = " << 4 * 2 + 2 * -4 << "\n";
  return 0;
}
