// Process-wide settings, like tf.config.
#pragma once

namespace ember::config {

/// Whether float32 matmuls on GPUs may use TF32 tensor cores (10-bit mantissa inputs, float32
/// accumulation), as PyTorch allows for convolutions. On by default; EMBER_TF32=0 turns it off.
bool tf32_enabled();
void set_tf32_enabled(bool enabled);

/// tf.config.experimental.enable_op_determinism: from now on, the same ops on the same inputs
/// give bitwise the same results, run after run. On the GPU, cuDNN's convolution algorithms are
/// chosen by its heuristics among the deterministic ones (not by timing, which can pick a
/// different one each run), and scatter_add (the gradient of gather) sums in index order without
/// atomics, slower. CPU kernels are deterministic already for a given thread count. Also set by
/// EMBER_DETERMINISTIC_OPS=1 (TensorFlow's TF_DETERMINISTIC_OPS). Random ops stay seeded by
/// random::set_seed, as in TensorFlow.
void enable_op_determinism();
bool op_determinism_enabled();
/// For tests: turns it on or off.
void set_op_determinism(bool enabled);

/// Threads one op's CPU kernel may use, as tf.config.threading's: 0 (the default) lets ember
/// choose (the cores it may run on, or OMP_NUM_THREADS). Process-wide: ops run by any thread use
/// it. Takes effect with the next op.
int get_intra_op_parallelism_threads();
void set_intra_op_parallelism_threads(int threads);

/// Threads that may run independent work beside the caller's ops, as tf.config.threading's. In
/// ember that work is the input pipelines' prefetch(), whose producer runs on a thread of its
/// own: 0 (the default) gives every prefetching pass its thread; 1 runs them all inline, on the
/// consumer's thread (no work beside the step: the choice for a machine whose other cores are
/// busy); n allows n - 1 producer threads at once, and passes started beyond them run inline.
/// Takes effect for passes started after the call.
int get_inter_op_parallelism_threads();
void set_inter_op_parallelism_threads(int threads);

/// The threads one op's CPU kernel uses now: the intra-op setting, or ember's choice for 0.
int cpu_threads();

}  // namespace ember::config
