#pragma once
// The one place that knows LibTorch versions differ: Debian's CPU LibTorch 1.13 here,
// the 2.x CUDA LibTorch of a PyTorch wheel on GPU machines. Everything else in
// evaluator/torch/ calls these helpers instead of branching itself.
#include <torch/torch.h>
#include <torch/version.h>
#include <ATen/autocast_mode.h>

#include <algorithm>
#include <cstdint>

// MCTSNAS_TORCH_CUDA is set by CMake when this LibTorch was built with CUDA (Debian's
// ships the c10/cuda headers without CUDA, so __has_include cannot tell).
#if defined(MCTSNAS_TORCH_CUDA) && MCTSNAS_TORCH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime_api.h>
#define MCTSNAS_TORCH_HAS_CUDA_ALLOCATOR 1
#else
#define MCTSNAS_TORCH_HAS_CUDA_ALLOCATOR 0
#endif

namespace mctsnas::torchc {

#define MCTSNAS_TORCH_AT_LEAST(maj, min) \
  (TORCH_VERSION_MAJOR > (maj) || (TORCH_VERSION_MAJOR == (maj) && TORCH_VERSION_MINOR >= (min)))

// bf16 autocast on CUDA for the guard's lifetime (no-op when not enabled). 1.13 has
// only the global GPU switches; 2.4+ takes the device type and deprecates the old names.
class AutocastGuard {
 public:
  explicit AutocastGuard(bool enabled) : enabled_(enabled) {
    if (!enabled_) return;
#if MCTSNAS_TORCH_AT_LEAST(2, 4)
    prev_ = at::autocast::is_autocast_enabled(at::kCUDA);
    prev_dtype_ = at::autocast::get_autocast_dtype(at::kCUDA);
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
    prev_ = at::autocast::is_enabled();
    prev_dtype_ = at::autocast::get_autocast_gpu_dtype();
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(true);
#endif
  }
  ~AutocastGuard() {
    if (!enabled_) return;
#if MCTSNAS_TORCH_AT_LEAST(2, 4)
    at::autocast::set_autocast_enabled(at::kCUDA, prev_);
    at::autocast::set_autocast_dtype(at::kCUDA, prev_dtype_);
#else
    at::autocast::set_enabled(prev_);
    at::autocast::set_autocast_gpu_dtype(prev_dtype_);
#endif
    at::autocast::clear_cache();
  }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool enabled_;
  bool prev_ = false;
  at::ScalarType prev_dtype_ = at::kBFloat16;
};

inline void cuda_reset_peak_memory(int device) {
#if MCTSNAS_TORCH_HAS_CUDA_ALLOCATOR
  // In a fresh process the caching allocator is not initialized until the first CUDA
  // allocation, and resetPeakStats then throws "Invalid device argument".
  (void)torch::empty({1}, torch::TensorOptions().device(torch::kCUDA, static_cast<c10::DeviceIndex>(device)));
  c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(device));
#else
  (void)device;
#endif
}

// Caps what this process's CUDA caching allocator may take from `device` (its reserved
// memory; the CUDA context comes on top) at `bytes`, through the allocator's per-process
// memory fraction; 0 lifts the cap. An allocation past the cap throws LibTorch's "CUDA
// out of memory" error. Blocks cached by earlier work in this process are released
// first, else they would count against the cap. Returns the fraction applied (of the
// device's total memory), or -1 where this LibTorch has no CUDA allocator.
inline double cuda_set_memory_cap(int device, int64_t bytes) {
#if MCTSNAS_TORCH_HAS_CUDA_ALLOCATOR
  const auto idx = static_cast<c10::DeviceIndex>(device);
  c10::cuda::CUDACachingAllocator::emptyCache();
  size_t free_bytes = 0, total_bytes = 0;
  {
    c10::cuda::CUDAGuard guard(idx);
    C10_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  }
  double fraction = 1.0;
  if (bytes > 0 && total_bytes > 0)
    fraction = std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_bytes));
  // The new fraction goes in before anything is allocated: an allocation under the
  // previous (smaller) cap could fail. Only in a process that has not used CUDA yet
  // is the allocator uninitialized (it is set up by the first CUDA allocation, which
  // then cannot hit a cap: none was set).
  try {
    c10::cuda::CUDACachingAllocator::setMemoryFraction(fraction, idx);
  } catch (const c10::Error&) {
    (void)torch::empty({1}, torch::TensorOptions().device(torch::kCUDA, idx));
    c10::cuda::CUDACachingAllocator::emptyCache();
    c10::cuda::CUDACachingAllocator::setMemoryFraction(fraction, idx);
  }
  return fraction;
#else
  (void)device;
  (void)bytes;
  return -1;
#endif
}

// Bytes; -1 where this LibTorch has no CUDA allocator.
inline int64_t cuda_peak_allocated(int device) {
#if MCTSNAS_TORCH_HAS_CUDA_ALLOCATOR
  auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device));
  return stats.allocated_bytes[0].peak;   // index 0: StatType::AGGREGATE in every version
#else
  (void)device;
  return -1;
#endif
}

// Waits for queued kernels (timing). A scalar copy to the host synchronises the
// stream on every version, without naming version-specific sync APIs.
inline void sync(const torch::Tensor& t) {
  if (t.defined() && t.is_cuda()) (void)t.flatten()[0].item<float>();
}

}  // namespace mctsnas::torchc
