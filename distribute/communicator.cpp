#include "distribute/communicator.h"

namespace ember::distribute {

namespace {

class LocalCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string name() const override { return "local"; }
  std::vector<Tensor> all_reduce(const std::vector<Tensor>& tensors, ReduceOp) override {
    return tensors;
  }
  std::vector<Tensor> broadcast(const std::vector<Tensor>& tensors, int) override {
    return tensors;
  }
  std::string broadcast_bytes(const std::string& bytes, int) override { return bytes; }
  void barrier() override {}
};

}  // namespace

std::shared_ptr<Communicator> local_communicator() { return std::make_shared<LocalCommunicator>(); }

}  // namespace ember::distribute
