// Process-wide settings, like tf.config.
#pragma once

namespace ember::config {

/// Whether float32 matmuls on GPUs may use TF32 tensor cores (10-bit mantissa inputs, float32
/// accumulation), as PyTorch allows for convolutions. On by default; EMBER_TF32=0 turns it off.
bool tf32_enabled();
void set_tf32_enabled(bool enabled);

/// Threads the CPU kernels use (default: the number of cores, or OMP_NUM_THREADS).
int cpu_threads();
void set_cpu_threads(int threads);

}  // namespace ember::config
