#include <ember.h>

#include <iostream>

int main() {
  using namespace ember;
  DeviceScope cpu(Device::cpu());
  const Tensor a = constant({{1.f, 2.f}, {3.f, 4.f}});
  const Tensor b = matmul(a, a);
  std::cout << b << "\n";
  return b.to_vector<float>() == std::vector<float>{7, 10, 15, 22} ? 0 : 1;
}
