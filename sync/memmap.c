/* memmap.c — rl_mem_where(): an address's mapping, ELF segment, section and
 * region (include/racelab/memmap.h).
 *
 * The classification, first match wins: the calling thread's stack range;
 * a PT_LOAD segment of a loaded object (X: text, W: data, else read-only);
 * the [heap] mapping; an anonymous mapping; any other mapping.
 */
#include <racelab/memmap.h>

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <racelab/status.h>

#if UINTPTR_MAX > 0xffffffffu
typedef Elf64_Ehdr Ehdr;
typedef Elf64_Shdr Shdr;
#define RL_ELFCLASS ELFCLASS64
#else
typedef Elf32_Ehdr Ehdr;
typedef Elf32_Shdr Shdr;
#define RL_ELFCLASS ELFCLASS32
#endif

static const char *const kind_names[RL_MEM_NKINDS] = {
	[RL_MEM_UNMAPPED] = "unmapped", [RL_MEM_TEXT] = "text",   [RL_MEM_RODATA] = "rodata",
	[RL_MEM_DATA] = "data",         [RL_MEM_STACK] = "stack", [RL_MEM_HEAP] = "heap",
	[RL_MEM_ANON] = "anon",         [RL_MEM_OTHER] = "other",
};

static const char *const kind_labels[RL_MEM_NKINDS] = {
	[RL_MEM_UNMAPPED] = "not mapped",
	[RL_MEM_TEXT] = "code (executable segment)",
	[RL_MEM_RODATA] = "read-only data (image segment)",
	[RL_MEM_DATA] = "static data (writable image segment)",
	[RL_MEM_STACK] = "stack (this thread's)",
	[RL_MEM_HEAP] = "heap (brk: the [heap] mapping)",
	[RL_MEM_ANON] = "heap (an anonymous mmap)",
	[RL_MEM_OTHER] = "another mapping",
};

const char *rl_mem_kind_name(enum rl_mem_kind k)
{
	return (unsigned)k < RL_MEM_NKINDS ? kind_names[k] : "unknown";
}

const char *rl_mem_kind_label(enum rl_mem_kind k)
{
	return (unsigned)k < RL_MEM_NKINDS ? kind_labels[k] : "unknown";
}

const char *rl_mem_seg_flags(unsigned flags, char buf[4])
{
	size_t n = 0;
	if (flags & PF_R)
		buf[n++] = 'R';
	if (flags & PF_W)
		buf[n++] = 'W';
	if (flags & PF_X)
		buf[n++] = 'X';
	buf[n] = '\0';
	return buf;
}

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

/* ---- /proc/self/maps ------------------------------------------------------ */

static int find_mapping(uintptr_t a, struct rl_mem_where *w)
{
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return RL_EINVAL;
	char line[512];
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		char perms[5];
		int name_at = 0;
		/* "lo-hi perms offset dev inode   name" */
		if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &lo, &hi, perms, &name_at) < 3)
			continue;
		if (a < lo || a >= hi)
			continue;
		w->map_start = lo;
		w->map_end = hi;
		memcpy(w->perms, perms, sizeof w->perms);
		char *name = name_at ? line + name_at : line + strlen(line);
		name[strcspn(name, "\n")] = '\0';
		copy(w->map_name, sizeof w->map_name, name);
		break;
	}
	fclose(f);
	return RL_OK;
}

/* ---- ELF: dl_iterate_phdr and the section headers -------------------------- */

struct phdr_search {
	uintptr_t addr;
	struct rl_mem_where *w;
	uintptr_t bias; /* the object's load bias (dlpi_addr) */
	bool found;
};

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct phdr_search *s = arg;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (s->addr < lo || s->addr >= lo + ph->p_memsz)
			continue;
		s->found = true;
		s->bias = info->dlpi_addr;
		s->w->segment = i;
		s->w->seg_flags = ph->p_flags;
		s->w->in_bss_tail = s->addr >= lo + ph->p_filesz;
		/* The program itself has an empty name; its file is /proc/self/exe. */
		if (info->dlpi_name && info->dlpi_name[0])
			copy(s->w->object, sizeof s->w->object, info->dlpi_name);
		else
			copy(s->w->object, sizeof s->w->object, "/proc/self/exe");
		return 1;
	}
	return 0;
}

static bool read_at(int fd, void *buf, size_t len, off_t off)
{
	return pread(fd, buf, len, off) == (ssize_t)len;
}

/* The SHF_ALLOC section of @path that holds virtual address @vaddr (unrelocated). */
static void find_section(const char *path, uintptr_t vaddr, char *out, size_t outlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	Ehdr eh;
	Shdr *sh = NULL;
	char *names = NULL;
	if (!read_at(fd, &eh, sizeof eh, 0) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != RL_ELFCLASS || eh.e_shentsize != sizeof(Shdr) || eh.e_shnum == 0 ||
	    eh.e_shstrndx >= eh.e_shnum || eh.e_shnum > 4096)
		goto out;
	sh = calloc(eh.e_shnum, sizeof *sh);
	if (!sh || !read_at(fd, sh, eh.e_shnum * sizeof *sh, (off_t)eh.e_shoff))
		goto out;
	const Shdr *str = &sh[eh.e_shstrndx];
	if (str->sh_size == 0 || str->sh_size > (1u << 20) || !(names = malloc(str->sh_size + 1)) ||
	    !read_at(fd, names, str->sh_size, (off_t)str->sh_offset))
		goto out;
	names[str->sh_size] = '\0';
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		if (!(sh[i].sh_flags & SHF_ALLOC) || sh[i].sh_size == 0 || sh[i].sh_name >= str->sh_size)
			continue;
		if (vaddr >= sh[i].sh_addr && vaddr < sh[i].sh_addr + sh[i].sh_size) {
			copy(out, outlen, names + sh[i].sh_name);
			break;
		}
	}
out:
	free(names);
	free(sh);
	close(fd);
}

/* ---- the stack ------------------------------------------------------------- */

static void thread_stack(uintptr_t *lo, uintptr_t *hi)
{
	pthread_attr_t attr;
	void *base;
	size_t size;
	*lo = *hi = 0;
	if (pthread_getattr_np(pthread_self(), &attr) != 0)
		return;
	if (pthread_attr_getstack(&attr, &base, &size) == 0) {
		*lo = (uintptr_t)base;
		*hi = (uintptr_t)base + size;
	}
	pthread_attr_destroy(&attr);
}

/* ---- the classification ---------------------------------------------------- */

int rl_mem_where(const void *addr, struct rl_mem_where *out)
{
	uintptr_t a = (uintptr_t)addr;
	memset(out, 0, sizeof *out);
	out->addr = a;
	out->segment = -1;
	int err = find_mapping(a, out);
	thread_stack(&out->stack_lo, &out->stack_hi);

	struct phdr_search s = {.addr = a, .w = out};
	dl_iterate_phdr(phdr_cb, &s);
	if (s.found) {
		if (!strcmp(out->object, "/proc/self/exe")) {
			char exe[sizeof out->object];
			ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
			find_section("/proc/self/exe", a - s.bias, out->section, sizeof out->section);
			if (n > 0) {
				exe[n] = '\0';
				copy(out->object, sizeof out->object, exe);
			}
		} else {
			find_section(out->object, a - s.bias, out->section, sizeof out->section);
		}
	}

	if (a >= out->stack_lo && a < out->stack_hi)
		out->kind = RL_MEM_STACK;
	else if (s.found)
		out->kind = out->seg_flags & PF_X ? RL_MEM_TEXT : out->seg_flags & PF_W ? RL_MEM_DATA : RL_MEM_RODATA;
	else if (!out->map_end)
		out->kind = RL_MEM_UNMAPPED;
	else if (!strcmp(out->map_name, "[heap]"))
		out->kind = RL_MEM_HEAP;
	else if (!out->map_name[0])
		out->kind = RL_MEM_ANON;
	else
		out->kind = RL_MEM_OTHER;
	return err;
}
