// A known AddressSanitizer false alarm, and its one suppression.
//
// SystemC 2.3.4 runs processes on QuickThreads coroutine stacks and does not
// announce its stack switches to ASan (__sanitizer_start_switch_fiber). Once
// they have run, ASan no longer knows the main thread's stack bounds: a C++
// exception thrown there prints "ASan is ignoring requested
// __asan_handle_no_return" and leaves the redzones of the frames it unwound
// poisoned. The next call that reuses that stack then reports a
// stack-buffer-overflow or unknown-crash in code that is correct.
//
// forget_unwound_frames() does what __asan_handle_no_return would have done:
// after an expected exception has been caught on the main thread, it clears
// the shadow of the dead stack below the caller. A test calls it right after
// such a catch; without ASan it does nothing.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace sdla::test {

#if defined(__SANITIZE_ADDRESS__)
__attribute__((noinline)) inline void forget_unwound_frames() {
  constexpr std::size_t kDead = 256 * 1024;  // far deeper than any frames a test unwinds
  // Everything below the caller's stack pointer: this frame, its saved frame
  // pointer and return address lie just under it.
  const auto caller_sp = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0)) + 2 * sizeof(void*);
  __asan_unpoison_memory_region(reinterpret_cast<void*>(caller_sp - kDead), kDead);
}
#else
inline void forget_unwound_frames() {}
#endif

}  // namespace sdla::test
