// cxx_smoke.cpp — racelab from C++17, against the installed library.
//
// In C++ the fast paths that C inlines (rl_rc_clone, rl_arc_drop, rl_cell_add,
// rl_mutex_guard_get, rl_vec_get, ...) are calls into libracelab
// (racelab/cdefs.h). This program calls each of them, so it links only if the
// library defines them, and checks that they behave as in C: an
// Arc<Mutex<i64>> counter over rl threads, Rc and Weak counts, a Cell, a Vec.
#include <racelab/racelab.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

namespace {

int failures = 0;

void check(bool ok, const char *what, int line)
{
	if (!ok) {
		std::fprintf(stderr, "cxx_smoke.cpp:%d: check failed: %s\n", line, what);
		failures++;
	}
}
#define CHECK(cond) check((cond), #cond, __LINE__)

constexpr int kThreads = 4;
constexpr int kIters = 2000;

void *worker(void *arg)
{
	rl_arc *counter = static_cast<rl_arc *>(arg);
	for (int i = 0; i < kIters; i++) {
		rl_mutex_guard guard;
		if (rl_mutex_lock(static_cast<rl_mutex *>(rl_arc_get(counter)), &guard) != RL_OK)
			rl_panic("poisoned");
		*static_cast<std::int64_t *>(rl_mutex_guard_get(&guard)) += 1;
		rl_mutex_guard_drop(&guard);
	}
	rl_arc_drop(counter);
	return nullptr;
}

} // namespace

int main()
{
	CHECK(std::strcmp(rl_version(), RACELAB_VERSION_STRING) == 0);

	rl_arc *counter = rl_arc_mutex_new(sizeof(std::int64_t), nullptr);
	CHECK(counter != nullptr);
	rl_thread *threads[kThreads];
	for (auto &t : threads)
		CHECK(rl_thread_spawn(&t, worker, rl_arc_clone(counter), nullptr) == RL_OK);
	for (auto *t : threads)
		CHECK(rl_thread_join(t, nullptr) == RL_OK);
	rl_mutex_guard guard;
	CHECK(rl_mutex_lock(static_cast<rl_mutex *>(rl_arc_get(counter)), &guard) == RL_OK);
	std::int64_t total = *static_cast<std::int64_t *>(rl_mutex_guard_get(&guard));
	rl_mutex_guard_drop(&guard);
	CHECK(total == std::int64_t{kThreads} * kIters);
	CHECK(rl_arc_strong_count(counter) == 1);
	rl_arc_drop(counter);

	rl_rc *rc = rl_rc_new(sizeof(int), nullptr);
	*static_cast<int *>(rl_rc_get(rc)) = 5;
	rl_rc *rc2 = rl_rc_clone(rc);
	rl_rc_weak *weak = rl_rc_downgrade(rc);
	CHECK(rl_rc_strong_count(rc) == 2 && rl_rc_weak_count(rc) == 1);
	rl_rc_drop(rc2);
	rl_rc_drop(rc);
	CHECK(rl_rc_weak_upgrade(weak) == nullptr);
	rl_rc_weak_drop(weak);

	rl_cell cell;
	rl_cell_init(&cell, 40);
	rl_cell_add(&cell, 1);
	rl_cell_set(&cell, rl_cell_get(&cell) + 1);
	CHECK(rl_cell_get(&cell) == 42);

	rl_vec v = RL_VEC_NEW;
	int x = 7;
	CHECK(rl_vec_push(&v, sizeof x, &x) == RL_OK);
	CHECK(*static_cast<int *>(rl_vec_get(&v, sizeof x, 0)) == 7);
	rl_vec_drop(&v, sizeof x, nullptr);
	rl_string s = RL_STRING_NEW;
	CHECK(rl_string_from(&s, "C++", 3) == RL_OK);
	CHECK(rl_string_as_str(&s).len == 3);
	rl_string_drop(&s);

	if (failures)
		return 1;
	std::printf("C++17: ok (racelab %s)\n", rl_version());
	return 0;
}
