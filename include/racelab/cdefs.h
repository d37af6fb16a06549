/* cdefs.h — what racelab's public headers need from the language, spelled so
 * that each header compiles on its own as C11 and as C++17 (-Wall -Wextra
 * -pedantic; tests/install checks it). The macros are private (RL__): they are
 * not API and may change.
 *
 * C and C++. In C the headers show the layouts of Rc, Arc and their boxes and
 * define the fast paths (clone, drop, deref, Cell get/set/add, the mutex
 * guard's deref, the futex mutex's lock and guard drop) as static inline
 * functions, which use C11 atomics and flexible array members. C++ has
 * neither, so in C++ those types are opaque
 * and the same names are declarations of ordinary functions of the library.
 * The library defines them once, from the same bodies: sync/inline.c defines
 * RL__INLINE_EXTERN before including the headers, which turns RL__INLINE from
 * `static inline` into nothing (an external definition). One body, two
 * linkages: a C caller inlines it, a C++ caller (or another language's FFI)
 * calls it.
 */
#ifndef RACELAB_CDEFS_H
#define RACELAB_CDEFS_H

/* A function that does not return: C11's _Noreturn, C++11's [[noreturn]]. */
#ifdef __cplusplus
#define RL__NORETURN [[noreturn]]
#else
#define RL__NORETURN _Noreturn
#endif

/*
 * Thread-local storage shared with C++ callers. C11 spells it _Thread_local.
 * C++ gets GNU __thread rather than thread_local: g++ reaches an extern
 * thread_local variable through a wrapper function (C++'s dynamic
 * initialisation rules), __thread is C's model, a direct access.
 */
#ifdef __cplusplus
#define RL__THREAD_LOCAL __thread
#else
#define RL__THREAD_LOCAL _Thread_local
#endif

/* The specifier of a public fast path defined in a header (see above). */
#ifdef RL__INLINE_EXTERN
#define RL__INLINE
#else
#define RL__INLINE static inline
#endif

#endif
