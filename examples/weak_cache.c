/* weak_cache.c — a cache that does not keep its values alive: Arc and sync::Weak.
 *
 * A page is expensive to render, so callers share it while they use it; once
 * the last caller is done it should go away, cache or no cache. In Rust:
 *
 *     fn get(cache: &mut HashMap<String, Weak<Page>>, key: &str) -> Arc<Page> {
 *         if let Some(page) = cache.get(key).and_then(Weak::upgrade) {
 *             return page;                       // still alive: share it
 *         }
 *         let page = Arc::new(render(key));      // gone, or never built: rebuild
 *         cache.insert(key.to_string(), Arc::downgrade(&page));
 *         page
 *     }
 *
 * The cache holds only Weak references: they keep the allocation, not the
 * value. Weak::upgrade (rl_arc_weak_upgrade) gives a new strong reference
 * while some Arc is alive and NULL once the last one was dropped: it never
 * brings a dropped value back (it never takes the strong count from 0 to 1).
 * The program gets "home" twice while a reference is held (one build, then a
 * reuse), drops both references (the page is dropped), and gets it again (a
 * rebuild). With Rc and rc::Weak (racelab/rc.h) the code is the same, for a
 * cache used by one thread only.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <racelab/racelab.h>

struct page {
	char key[16];
	char html[64];
	unsigned build; /* which rendering this is */
};

static unsigned builds, drops; /* renderings made, pages dropped */

/* The page's drop glue: runs when the last strong reference goes. */
static void page_drop(void *value)
{
	struct page *p = value;
	printf("  drop    %-5s (build %u)\n", p->key, p->build);
	drops++;
}

/* HashMap<String, Weak<Page>>, as a small table. */
#define CACHE_SLOTS 4
static struct {
	char key[16];
	rl_arc_weak *weak; /* NULL: free slot */
} cache[CACHE_SLOTS];

/* The expensive part. Return: a new Arc<Page> (strong 1), or NULL (out of memory). */
static rl_arc *render(const char *key)
{
	rl_arc *a = rl_arc_new(sizeof(struct page), page_drop);
	if (!a)
		return NULL;
	struct page *p = rl_arc_get(a);
	snprintf(p->key, sizeof p->key, "%s", key);
	snprintf(p->html, sizeof p->html, "<h1>%s</h1>", key);
	p->build = ++builds;
	return a;
}

/* get(): share the live page, or render it again. The caller owns the result. */
static rl_arc *cache_get(const char *key)
{
	int free_slot = -1;
	for (int i = 0; i < CACHE_SLOTS; i++) {
		if (!cache[i].weak) {
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (strcmp(cache[i].key, key) != 0)
			continue;
		rl_arc *page = rl_arc_weak_upgrade(cache[i].weak);
		if (page) {
			printf("  reuse   %-5s (build %u)\n", key, ((struct page *)rl_arc_get(page))->build);
			return page;
		}
		/* The page was dropped: forget the dangling Weak, rebuild below. */
		rl_arc_weak_drop(cache[i].weak);
		cache[i].weak = NULL;
		free_slot = i;
		break;
	}
	if (free_slot < 0)
		return render(key); /* the table is full: render without caching */

	rl_arc *page = render(key);
	if (!page)
		return NULL;
	printf("  build   %-5s (build %u)\n", key, builds);
	snprintf(cache[free_slot].key, sizeof cache[free_slot].key, "%s", key);
	cache[free_slot].weak = rl_arc_downgrade(page); /* Arc::downgrade(&page) */
	return page;
}

int main(void)
{
	printf("two readers of \"home\", at the same time:\n");
	rl_arc *a = cache_get("home");
	rl_arc *b = cache_get("home");
	if (!a || !b)
		return 1;
	bool shared = rl_arc_ptr_eq(a, b); /* Arc::ptr_eq: the same page */
	printf("  same page: %s; strong %zu, weak %zu\n", shared ? "yes" : "no",
	       rl_arc_strong_count(a), rl_arc_weak_count(a));

	printf("both readers done:\n");
	rl_arc_drop(a);
	rl_arc_drop(b); /* the last strong reference: page_drop runs */

	printf("\"home\" again:\n");
	rl_arc *c = cache_get("home");
	if (!c)
		return 1;
	rl_arc_drop(c);

	/* Dropping the cache drops its Weak references; the last one frees the box. */
	for (int i = 0; i < CACHE_SLOTS; i++)
		rl_arc_weak_drop(cache[i].weak); /* NULL is a no-op */

	printf("builds %u, drops %u\n", builds, drops);
	return shared && builds == 2 && drops == 2 ? 0 : 1;
}
