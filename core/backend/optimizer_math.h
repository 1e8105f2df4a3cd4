// The per-element update of every optimizer rule (internal), written once for the CPU and CUDA
// kernels (thin, C++17, host+device). The formulas and their order follow keras.optimizers (Keras
// 3), so a trajectory ported from Keras matches to float rounding. Coefficients that depend only on
// the step are computed on the host (optim/*.cpp) and arrive in OptimizerUpdateArgs::coefficients:
//
//   rule              coefficients
//   sgd               -
//   sgd_momentum      [0] momentum                       slots: momentum
//   sgd_nesterov      [0] momentum                       slots: momentum
//   adagrad           [0] epsilon                        slots: accumulator
//   adadelta          [0] rho, [1] epsilon               slots: accumulated_grad,
//   accumulated_delta_var rmsprop(_centered)[0] rho, [1] epsilon, [2] momentum slots: velocity,
//   momentum, average_gradient adam(_amsgrad)    [0] beta_1, [1] beta_2, [2] epsilon, [3] alpha =
//   lr·sqrt(1−β2^t)/(1−β1^t)
//                                                        slots: momentum, velocity, velocity_hat
//   nadam             [0] beta_1, [1] beta_2, [2] epsilon, [3] u_{t+1}/(1−Πu_{t+1}),
//                     [4] (1−u_t)/(1−Πu_t), [5] 1/(1−β2^t)     slots: momentum, velocity
//   adamax            [0] beta_1, [1] beta_2, [2] epsilon, [3] 1−β1^t   slots: momentum, norm
#pragma once

#include <math.h>

#include "core/backend/kernel_types.h"
#include "core/random/philox.h"  // EMBER_HOST_DEVICE

namespace ember::math {

template <class T>
EMBER_HOST_DEVICE T sqrt_t(T x) {
  if constexpr (sizeof(T) == 4)
    return ::sqrtf(x);
  else
    return ::sqrt(x);
}

/// Updates p (and its slots s0..s2) with gradient g. `c` are the rule's coefficients as T, `lr`
/// the learning rate and `decay` the decoupled weight decay (wd·lr), both as T.
template <OptimizerRule Rule, class T>
EMBER_HOST_DEVICE void optimizer_step(T& p, T g, T* s0, T* s1, T* s2, const T* c, T lr, T decay) {
  p = p - p * decay;  // Keras applies weight decay before the update: v - v·wd·lr
  if constexpr (Rule == OptimizerRule::sgd) {
    p = p - g * lr;
  } else if constexpr (Rule == OptimizerRule::sgd_momentum || Rule == OptimizerRule::sgd_nesterov) {
    const T m = *s0 * c[0] - g * lr;
    *s0 = m;
    if constexpr (Rule == OptimizerRule::sgd_nesterov)
      p = p + (m * c[0] - g * lr);
    else
      p = p + m;
  } else if constexpr (Rule == OptimizerRule::adagrad) {
    *s0 = *s0 + g * g;
    p = p - (lr * g) / sqrt_t(*s0 + c[0]);
  } else if constexpr (Rule == OptimizerRule::adadelta) {
    const T rho = c[0], eps = c[1];
    *s0 = rho * *s0 + (T(1) - rho) * (g * g);
    const T delta = -(sqrt_t(*s1 + eps) * g) / sqrt_t(*s0 + eps);
    *s1 = rho * *s1 + (T(1) - rho) * (delta * delta);
    p = p + lr * delta;
  } else if constexpr (Rule == OptimizerRule::rmsprop || Rule == OptimizerRule::rmsprop_centered) {
    const T rho = c[0], eps = c[1], momentum = c[2];
    *s0 = rho * *s0 + (T(1) - rho) * (g * g);
    T denominator;
    if constexpr (Rule == OptimizerRule::rmsprop_centered) {
      *s2 = rho * *s2 + (T(1) - rho) * g;
      denominator = *s0 - *s2 * *s2 + eps;
    } else {
      denominator = *s0 + eps;
    }
    const T increment = (lr * g) / sqrt_t(denominator);
    if (momentum > T(0)) {
      *s1 = momentum * *s1 + increment;
      p = p - *s1;
    } else {
      p = p - increment;
    }
  } else if constexpr (Rule == OptimizerRule::adam || Rule == OptimizerRule::adam_amsgrad) {
    const T beta_1 = c[0], beta_2 = c[1], eps = c[2], alpha = c[3];
    *s0 = *s0 + (g - *s0) * (T(1) - beta_1);
    *s1 = *s1 + (g * g - *s1) * (T(1) - beta_2);
    T v = *s1;
    if constexpr (Rule == OptimizerRule::adam_amsgrad) {
      *s2 = *s2 > v ? *s2 : v;
      v = *s2;
    }
    p = p - (*s0 * alpha) / (sqrt_t(v) + eps);
  } else if constexpr (Rule == OptimizerRule::nadam) {
    const T beta_1 = c[0], beta_2 = c[1], eps = c[2];
    *s0 = *s0 + (g - *s0) * (T(1) - beta_1);
    *s1 = *s1 + (g * g - *s1) * (T(1) - beta_2);
    const T m_hat = c[3] * *s0 + c[4] * g;
    const T v_hat = *s1 * c[5];
    p = p - (m_hat * lr) / (sqrt_t(v_hat) + eps);
  } else if constexpr (Rule == OptimizerRule::adamax) {
    const T beta_1 = c[0], beta_2 = c[1], eps = c[2], one_minus_beta_1_power = c[3];
    *s0 = *s0 + (g - *s0) * (T(1) - beta_1);
    const T decayed = beta_2 * *s1;
    const T magnitude = g < T(0) ? -g : g;
    *s1 = decayed > magnitude ? decayed : magnitude;
    p = p - (lr * *s0) / (one_minus_beta_1_power * (*s1 + eps));
  }
}

/// Calls f(std::integral_constant<OptimizerRule, rule>{}).
template <class F>
void dispatch_optimizer_rule(OptimizerRule rule, F&& f) {
  switch (rule) {
    case OptimizerRule::sgd:
      f(std::integral_constant<OptimizerRule, OptimizerRule::sgd>{});
      break;
    case OptimizerRule::sgd_momentum:
      f(std::integral_constant<OptimizerRule, OptimizerRule::sgd_momentum>{});
      break;
    case OptimizerRule::sgd_nesterov:
      f(std::integral_constant<OptimizerRule, OptimizerRule::sgd_nesterov>{});
      break;
    case OptimizerRule::adagrad:
      f(std::integral_constant<OptimizerRule, OptimizerRule::adagrad>{});
      break;
    case OptimizerRule::adadelta:
      f(std::integral_constant<OptimizerRule, OptimizerRule::adadelta>{});
      break;
    case OptimizerRule::rmsprop:
      f(std::integral_constant<OptimizerRule, OptimizerRule::rmsprop>{});
      break;
    case OptimizerRule::rmsprop_centered:
      f(std::integral_constant<OptimizerRule, OptimizerRule::rmsprop_centered>{});
      break;
    case OptimizerRule::adam:
      f(std::integral_constant<OptimizerRule, OptimizerRule::adam>{});
      break;
    case OptimizerRule::adam_amsgrad:
      f(std::integral_constant<OptimizerRule, OptimizerRule::adam_amsgrad>{});
      break;
    case OptimizerRule::nadam:
      f(std::integral_constant<OptimizerRule, OptimizerRule::nadam>{});
      break;
    case OptimizerRule::adamax:
      f(std::integral_constant<OptimizerRule, OptimizerRule::adamax>{});
      break;
  }
}

}  // namespace ember::math
