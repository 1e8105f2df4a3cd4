// Lesson 4: GradientTape, snippet by snippet; each prints what TensorFlow prints.
#include <iostream>

#include "ember.h"

using namespace ember;

int main() {
  std::cout << "device: " << default_device() << "\n";

  std::cout << "\n# y = x**2 at x = -2\n";
  {
    Variable x(-2.0);
    GradientTape tape;
    const Tensor y = pow(x, 2);
    std::cout << tape.gradient(y, x) << "\n";  // -4
  }

  std::cout << "\n# y = x @ w + b, loss = mean(y**2): gradients for w (3x2) and b (2)\n";
  {
    random::set_seed(1);
    Variable w(random::normal({3, 2}));
    Variable b(zeros({2}));
    Variable x({-2.0f, 1.0f, 3.0f});  // a vector times a matrix, as in the lesson
    GradientTape tape;
    const Tensor y = matmul(x, w) + b;
    const Tensor loss = reduce_mean(square(y));
    const auto df = tape.gradient(loss, {w, b});
    std::cout << df[0] << "\n" << df[1] << "\n";
  }

  std::cout << "\n# gradients exist only for variables: (x + b)**2 + 2b with b a constant\n";
  {
    Variable x(0.0);
    const Tensor b = constant(1.5);
    GradientTape tape;
    const Tensor f = pow(x + b, 2) + 2 * b;
    const auto df = tape.gradient(f, {x, b});
    std::cout << df[0] << "\n" << df[1] << "\n";  // 3, None
  }

  std::cout << "\n# trainable=false, and Variable(1) + 5 is a constant\n";
  {
    Variable x(0.0, _trainable = false);
    const Tensor y = Variable(1) + 5;
    GradientTape tape;
    const Tensor f = x * 2;
    std::cout << tape.gradient(f, x) << "   y = " << y << "\n";  // None
  }

  std::cout << "\n# watch_accessed_variables=false, then watch(x); f = y*y with y = 2x\n";
  {
    Variable x(1.0);
    GradientTape tape(_watch_accessed_variables = false);
    tape.watch(x);
    const Tensor y = 2 * x;
    const Tensor f = y * y;
    const auto df = tape.gradient(f, {x, y});
    std::cout << df[0] << "\n" << df[1] << "\n";  // 8, 4
    try {
      (void)tape.gradient(f, y);
    } catch (const Error& e) {
      std::cout << "a second gradient() -> ember::Error: " << e.what() << "\n";
    }
  }

  std::cout << "\n# persistent=True: several gradient() calls\n";
  {
    Variable a(3.0);
    GradientTape tape(_persistent = true);
    const Tensor y = 2 * a;
    const Tensor f = y * y;
    std::cout << tape.gradient(f, a) << "\n" << tape.gradient(f, y) << "\n";  // 24, 12
  }  // the tape is freed here (Python: del tape)

  std::cout << "\n# the gradient has the shape of the variable: y = [2, 3] * x**2\n";
  {
    Variable x(1.0);
    GradientTape tape;
    const Tensor y = constant({2.0f, 3.0f}) * pow(x, 2);
    std::cout << tape.gradient(y, x) << "\n";  // 10
    Variable v({1.0f, 2.0f});
    GradientTape tape2;
    const Tensor s = reduce_sum(constant({2.0f, 3.0f}) * pow(v, 2));
    std::cout << tape2.gradient(s, v) << "\n";  // [4, 12]
  }

  std::cout << "\n# conditions are fine: the derivative is taken at a point\n";
  {
    Variable x(1.0);
    GradientTape tape;
    Tensor y;
    if (x < 2.0f) {
      y = reduce_sum(constant({2.0f, 3.0f}) * pow(x, 2));
    } else {
      y = pow(x, 2);
    }
    std::cout << tape.gradient(y, x) << "\n";  // 10
  }

  std::cout << "\n# everything must happen on the tape: y computed before it -> None\n";
  {
    Variable x(1.0);
    const Tensor y = 2 * x;
    GradientTape tape;
    const Tensor z = pow(y, 2);
    std::cout << tape.gradient(z, x) << "\n";  // None
    GradientTape tape2;
    const Tensor y2 = 2 * x;
    const Tensor z2 = pow(y2, 2);
    std::cout << tape2.gradient(z2, x) << "\n";  // 8
  }

  std::cout
      << "\n# the loop: x = x + 1 makes x a constant (None); x.assign_add(1) keeps it a variable\n";
  {
    Variable x(1.0);
    {
      GradientTape tape;
      const Tensor y = 2 * x;
      std::cout << "pass 1:          " << tape.gradient(y, x) << "\n";  // 2
    }
    Tensor rebound = x + 1;  // `x = x + 1`: from here on a constant tensor, not the variable
    for (int i = 0; i < 2; ++i) {
      GradientTape tape;
      const Tensor y = 2 * rebound;
      std::cout << "x = x + 1:       " << tape.gradient(y, x) << "\n";  // None
      rebound = rebound + 1;
    }
    for (int i = 0; i < 3; ++i) {
      GradientTape tape;
      const Tensor y = 2 * x;
      std::cout << "x.assign_add(1): " << tape.gradient(y, x) << "\n";  // 2
      x.assign_add(1.0f);
    }
  }

  std::cout << "\n# work outside ember (like np.square) is invisible to the tape\n";
  {
    Variable x(1.0);
    GradientTape tape;
    const float host = x.item<float>();
    const Tensor z = constant(host * host);
    std::cout << tape.gradient(z, x) << "\n";  // None
  }

  std::cout << "\n# integers: no gradient, and a warning\n";
  {
    Variable x(3);
    GradientTape tape;
    const Tensor y = x * 2;
    std::cout << tape.gradient(y, x) << "\n";  // None
  }

  std::cout << "\n# second derivative with nested tapes: d2(x**3)/dx2 = 6x at x = 2\n";
  {
    Variable x(2.0);
    GradientTape outer;
    std::optional<Tensor> dy;
    {
      GradientTape inner;
      dy = inner.gradient(pow(x, 3), x);
    }
    std::cout << dy << "\n" << outer.gradient(*dy, x) << "\n";  // 12, 12
  }
  return 0;
}
