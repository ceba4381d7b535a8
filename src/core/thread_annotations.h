// Clang's thread safety annotations (-Wthread-safety), as macros that vanish
// for other compilers. The clang builds (make test-asan, test-tsan, fuzz)
// compile with -Wthread-safety -Werror=thread-safety, so a member marked
// SP_GUARDED_BY(mu_) read without mu_ held, or a *Locked method
// (SP_REQUIRES(mu_)) called without it, fails the build there.
// Use with core/mutex.h: std::mutex itself carries no annotations.
#pragma once

#if defined(__clang__)
#define SP_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define SP_THREAD_ANNOTATION(x)
#endif

#define SP_CAPABILITY(name) SP_THREAD_ANNOTATION(capability(name))
#define SP_SCOPED_CAPABILITY SP_THREAD_ANNOTATION(scoped_lockable)
#define SP_GUARDED_BY(mu) SP_THREAD_ANNOTATION(guarded_by(mu))
#define SP_PT_GUARDED_BY(mu) SP_THREAD_ANNOTATION(pt_guarded_by(mu))
#define SP_REQUIRES(...) SP_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define SP_EXCLUDES(...) SP_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define SP_ACQUIRE(...) SP_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define SP_RELEASE(...) SP_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define SP_RETURN_CAPABILITY(x) SP_THREAD_ANNOTATION(lock_returned(x))
#define SP_NO_THREAD_SAFETY_ANALYSIS SP_THREAD_ANNOTATION(no_thread_safety_analysis)
