// layout_check.rs — measure with rustc what `racelab layout` claims about Rust,
// and compare: `layout_check LAYOUT.jsonl` where LAYOUT.jsonl is the output of
// `racelab layout --json`.
//
// Every row of the table that states a Rust size must be measured here under
// the same name (a row nobody checks fails the test), and every vtable entry's
// offset must be where rustc put it. Sizes and alignments come from
// size_of/align_of; box layouts from a counting global allocator (RcInner and
// ArcInner are private to std); field offsets and enum niches from the words
// of a value; the vtable from the words behind a `&mut dyn Write`.
//
// Built with RUSTC_BOOTSTRAP=1: is_write_vectored and write_all_vectored are
// still unstable, and naming them is the only way to find their vtable slots.
#![feature(can_vector, write_all_vectored)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::{IoSlice, Write};
use std::mem::{align_of, size_of, transmute_copy};
use std::rc::Rc;
use std::sync::{Arc, Barrier, Condvar, Mutex, Once, RwLock};

// ---- a global allocator that remembers the last allocation's layout ---------

struct Recording;
thread_local! {
    static LAST: Cell<(usize, usize, usize)> = const { Cell::new((0, 0, 0)) };
}
unsafe impl GlobalAlloc for Recording {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        let _ = LAST.try_with(|c| c.set((p as usize, l.size(), l.align())));
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
}
#[global_allocator]
static GLOBAL: Recording = Recording;

/// (address, size, align) of the allocation made by @f.
fn allocation_of<T>(f: impl FnOnce() -> T) -> (T, usize, usize, usize) {
    LAST.with(|c| c.set((0, 0, 0)));
    let v = f();
    let (p, s, a) = LAST.with(|c| c.get());
    (v, p, s, a)
}

// ---- the seed's types ------------------------------------------------------------

#[allow(dead_code)]
enum HttpStatuses {
    Ok,
    NoFound,
}
#[allow(dead_code)]
enum HttpStatusCodes {
    Ok = 200,
    NoFound = 404,
}
#[allow(dead_code)]
enum Data {
    Empty,
    Number(i32),
    Array(Vec<i32>),
}
#[allow(dead_code)]
enum DataBoxed {
    Empty,
    Number(i32),
    Array(Box<Vec<i32>>),
}

type Measured = BTreeMap<String, (i64, i64)>;

fn put(m: &mut Measured, name: &str, size: usize, align: usize) {
    m.insert(name.to_string(), (size as i64, align as i64));
}

/// The word of @words that equals @v, as a byte offset.
fn offset_of_word(words: &[usize], v: usize) -> usize {
    let i = words.iter().position(|&w| w == v).expect("value not found among the words");
    assert_eq!(words.iter().filter(|&&w| w == v).count(), 1, "ambiguous word");
    i * size_of::<usize>()
}

fn measure(errors: &mut Vec<String>) -> Measured {
    let mut m = Measured::new();
    // Handles.
    put(&mut m, "Rc<T>", size_of::<Rc<i32>>(), align_of::<Rc<i32>>());
    put(&mut m, "Arc<T>", size_of::<Arc<i32>>(), align_of::<Arc<i32>>());
    put(&mut m, "sync::Weak<T>", size_of::<std::sync::Weak<i32>>(), align_of::<std::sync::Weak<i32>>());
    put(&mut m, "rc::Weak<T>", size_of::<std::rc::Weak<i32>>(), align_of::<std::rc::Weak<i32>>());
    put(&mut m, "Option<Arc<T>>", size_of::<Option<Arc<i32>>>(), align_of::<Option<Arc<i32>>>());
    put(&mut m, "Option<Box<T>>", size_of::<Option<Box<i32>>>(), align_of::<Option<Box<i32>>>());

    // Boxes, from the allocation Rc::new / Arc::new make.
    let (rc, p, s, a) = allocation_of(|| Rc::new(5i32));
    put(&mut m, "RcInner<T> header", Rc::as_ptr(&rc) as usize - p, align_of::<usize>());
    put(&mut m, "RcInner<i32>", s, a);
    let (arc, p, s, a) = allocation_of(|| Arc::new(5i32));
    put(&mut m, "ArcInner<T> header", Arc::as_ptr(&arc) as usize - p, align_of::<usize>());
    put(&mut m, "ArcInner<i32>", s, a);
    let (am, _, s, a) = allocation_of(|| Arc::new(Mutex::new(0i32)));
    put(&mut m, "ArcInner<Mutex<i32>>", s, a);
    drop((rc, arc, am));

    // Mutex.
    put(&mut m, "Mutex<i32>", size_of::<Mutex<i32>>(), align_of::<Mutex<i32>>());
    let mx = Mutex::new(7i32);
    let off = {
        let g = mx.lock().unwrap();
        &*g as *const i32 as usize - &mx as *const Mutex<i32> as usize
    };
    put(&mut m, "Mutex<i32> value offset", off, align_of::<i32>());
    put(&mut m, "Mutex<()>", size_of::<Mutex<()>>(), align_of::<Mutex<()>>());
    put(&mut m, "Mutex<u8>", size_of::<Mutex<u8>>(), align_of::<Mutex<u8>>());
    put(&mut m, "Mutex<u64>", size_of::<Mutex<u64>>(), align_of::<Mutex<u64>>());

    // The rest of std::sync.
    put(&mut m, "Condvar", size_of::<Condvar>(), align_of::<Condvar>());
    put(&mut m, "RwLock<i32>", size_of::<RwLock<i32>>(), align_of::<RwLock<i32>>());
    let rw = RwLock::new(7i32);
    let off = {
        let g = rw.read().unwrap();
        &*g as *const i32 as usize - &rw as *const RwLock<i32> as usize
    };
    put(&mut m, "RwLock<i32> value offset", off, align_of::<i32>());
    put(&mut m, "RwLock<()>", size_of::<RwLock<()>>(), align_of::<RwLock<()>>());
    put(&mut m, "RwLock<u8>", size_of::<RwLock<u8>>(), align_of::<RwLock<u8>>());
    put(&mut m, "RwLock<u64>", size_of::<RwLock<u64>>(), align_of::<RwLock<u64>>());
    let (arw, _, s, a) = allocation_of(|| Arc::new(RwLock::new(0i32)));
    put(&mut m, "ArcInner<RwLock<i32>>", s, a);
    drop(arw);
    put(&mut m, "Barrier", size_of::<Barrier>(), align_of::<Barrier>());
    put(&mut m, "Once", size_of::<Once>(), align_of::<Once>());
    put(&mut m, "Sender<i64>", size_of::<std::sync::mpsc::Sender<i64>>(),
        align_of::<std::sync::mpsc::Sender<i64>>());
    put(&mut m, "Receiver<i64>", size_of::<std::sync::mpsc::Receiver<i64>>(),
        align_of::<std::sync::mpsc::Receiver<i64>>());

    // Values.
    put(&mut m, "(char, u8, i32)", size_of::<(char, u8, i32)>(), align_of::<(char, u8, i32)>());
    put(&mut m, "char", size_of::<char>(), align_of::<char>());
    put(&mut m, "[i32; 3]", size_of::<[i32; 3]>(), align_of::<[i32; 3]>());
    put(&mut m, "Box<i32>", size_of::<Box<i32>>(), align_of::<Box<i32>>());
    put(&mut m, "Box<Vec<i32>>", size_of::<Box<Vec<i32>>>(), align_of::<Box<Vec<i32>>>());
    put(&mut m, "Vec<i32>", size_of::<Vec<i32>>(), align_of::<Vec<i32>>());
    put(&mut m, "String", size_of::<String>(), align_of::<String>());
    put(&mut m, "&[i32]", size_of::<&[i32]>(), align_of::<&[i32]>());
    put(&mut m, "&str", size_of::<&str>(), align_of::<&str>());
    put(&mut m, "&dyn Write", size_of::<&mut dyn Write>(), align_of::<&mut dyn Write>());
    put(&mut m, "Box<dyn Write>", size_of::<Box<dyn Write>>(), align_of::<Box<dyn Write>>());

    // Vec's three words: which is which (capacity 10, length 3: all distinct).
    let mut v: Vec<i32> = Vec::with_capacity(10);
    v.extend([55, 66, 77]);
    let words: [usize; 3] = unsafe { transmute_copy(&v) };
    put(&mut m, "Vec<i32>.ptr offset", offset_of_word(&words, v.as_ptr() as usize), align_of::<*const i32>());
    put(&mut m, "Vec<i32>.cap offset", offset_of_word(&words, v.capacity()), align_of::<usize>());
    put(&mut m, "Vec<i32>.len offset", offset_of_word(&words, v.len()), align_of::<usize>());

    // Enums.
    let h = (size_of::<HttpStatuses>(), align_of::<HttpStatuses>());
    put(&mut m, "enum HTTPStatuses {OK, NoFound}", h.0, h.1);
    put(&mut m, "enum HTTPStatuses {OK, NoFound} (packed C)", h.0, h.1);
    let c = (size_of::<HttpStatusCodes>(), align_of::<HttpStatusCodes>());
    put(&mut m, "enum HTTPStatuses {OK=200, NoFound=404}", c.0, c.1);
    put(&mut m, "enum HTTPStatuses {200, 404} (packed C)", c.0, c.1);
    let d = (size_of::<Data>(), align_of::<Data>());
    put(&mut m, "enum Data {.., Array(Vec<i32>)}", d.0, d.1);
    put(&mut m, "enum Data {.., Array(Vec<i32>)} (C niche)", d.0, d.1);
    put(&mut m, "enum Data {.., Array(Box<Vec<i32>>)}", size_of::<DataBoxed>(), align_of::<DataBoxed>());

    // The niche layout.c copies by hand: Empty and Number in Vec's capacity word.
    let cap_at = offset_of_word(&words, v.capacity()) / size_of::<usize>();
    let high = 1usize << (usize::BITS - 1);
    let empty: [usize; 3] = unsafe { transmute_copy(&Data::Empty) };
    let number: [usize; 3] = unsafe { transmute_copy(&Data::Number(7)) };
    if empty[cap_at] != high || number[cap_at] != high + 1 || number[(cap_at + 1) % 3] as u32 != 7 {
        errors.push(format!(
            "enum Data niche: Empty {:#x?}, Number(7) {:#x?}; layout.c expects 2^63 and 2^63+1 in the cap word",
            empty, number
        ));
    }
    m
}

// ---- the vtable of dyn Write for Vec<u8> -------------------------------------

type WriteFn = fn(&mut Vec<u8>, &[u8]) -> std::io::Result<usize>;
type WriteVectoredFn = fn(&mut Vec<u8>, &[IoSlice<'_>]) -> std::io::Result<usize>;
type IsVectoredFn = fn(&Vec<u8>) -> bool;
type FlushFn = fn(&mut Vec<u8>) -> std::io::Result<()>;
type WriteAllFn = fn(&mut Vec<u8>, &[u8]) -> std::io::Result<()>;
type WriteAllVectoredFn = fn(&mut Vec<u8>, &mut [IoSlice<'_>]) -> std::io::Result<()>;
type WriteFmtFn = fn(&mut Vec<u8>, std::fmt::Arguments<'_>) -> std::io::Result<()>;

fn vtable(errors: &mut Vec<String>) -> BTreeMap<String, i64> {
    let mut buffer: Vec<u8> = vec![];
    let w: &mut dyn Write = &mut buffer;
    let (_data, vt): (usize, *const usize) = unsafe { transmute_copy(&w) };
    let expect: [(&str, usize); 10] = [
        ("drop_in_place", std::ptr::drop_in_place::<Vec<u8>> as unsafe fn(*mut Vec<u8>) as usize),
        ("size", size_of::<Vec<u8>>()),
        ("align", align_of::<Vec<u8>>()),
        ("write", <Vec<u8> as Write>::write as WriteFn as usize),
        ("write_vectored", <Vec<u8> as Write>::write_vectored as WriteVectoredFn as usize),
        ("is_write_vectored", <Vec<u8> as Write>::is_write_vectored as IsVectoredFn as usize),
        ("flush", <Vec<u8> as Write>::flush as FlushFn as usize),
        ("write_all", <Vec<u8> as Write>::write_all as WriteAllFn as usize),
        ("write_all_vectored", <Vec<u8> as Write>::write_all_vectored as WriteAllVectoredFn as usize),
        ("write_fmt", <Vec<u8> as Write>::write_fmt as WriteFmtFn as usize),
    ];
    let mut out = BTreeMap::new();
    for (name, value) in expect {
        // Where the vtable holds this entry (the table has at most 3 + 7 words).
        let at = (0..expect.len()).find(|&i| unsafe { *vt.add(i) } == value);
        match at {
            Some(i) => {
                out.insert(name.to_string(), (i * size_of::<usize>()) as i64);
            }
            None => errors.push(format!("vtable: {} not found in the first {} words", name, expect.len())),
        }
    }
    let n = out.len() as i64;
    if n == expect.len() as i64 {
        out.insert("(table size)".to_string(), n * size_of::<usize>() as i64);
    }
    out
}

// ---- Vec's growth policy (vec.h) ----------------------------------------------

fn caps<T: Clone>(x: T, pushes: usize) -> Vec<usize> {
    let mut v: Vec<T> = Vec::new();
    let mut seen = vec![v.capacity()];
    for _ in 0..pushes {
        v.push(x.clone());
        if v.capacity() != *seen.last().unwrap() {
            seen.push(v.capacity());
        }
    }
    seen
}

fn growth(errors: &mut Vec<String>) {
    // The sequences vec.h states and tests/workloads/test_memory.c asserts for rl_vec.
    let checks: [(&str, Vec<usize>, Vec<usize>); 3] = [
        ("Vec<i32>", caps(0i32, 100), vec![0, 4, 8, 16, 32, 64, 128]),
        ("Vec<u8>", caps(0u8, 100), vec![0, 8, 16, 32, 64, 128]),
        ("Vec<[u8; 2000]>", caps([0u8; 2000], 10), vec![0, 1, 2, 4, 8, 16]),
    ];
    for (name, got, want) in checks {
        println!("growth {:<16} capacities {:?}", name, got);
        if got != want {
            errors.push(format!("{} grows {:?}, vec.h says {:?}", name, got, want));
        }
    }
    let s = String::from("hello");
    let t = "hello world!".to_string();
    let u = t.clone();
    println!("String::from(\"hello\") capacity {}, clone of a 12-byte String capacity {}", s.capacity(), u.capacity());
    if s.capacity() != 5 || u.capacity() != 12 {
        errors.push("String::from / clone do not allocate exactly len bytes".to_string());
    }
}

// ---- racelab's claims -------------------------------------------------------------

/// The value of "key": in a one-line JSON object: a string or a number (None for null).
fn field(line: &str, key: &str) -> Option<String> {
    let pat = format!("\"{}\":", key);
    let at = line.find(&pat)? + pat.len();
    let rest = &line[at..];
    if let Some(r) = rest.strip_prefix('"') {
        let mut s = String::new();
        let mut chars = r.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => s.push(chars.next()?),
                '"' => return Some(s),
                _ => s.push(c),
            }
        }
        None
    } else {
        let end = rest.find(|c: char| c == ',' || c == '}').unwrap_or(rest.len());
        let v = &rest[..end];
        if v == "null" { None } else { Some(v.to_string()) }
    }
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: layout_check LAYOUT.jsonl");
    let text = std::fs::read_to_string(&path).expect("cannot read the layout output");
    let mut errors = Vec::new();
    let mut measured = measure(&mut errors);
    let vt = vtable(&mut errors);
    // The table's size: all ten entries found, one word each.
    if let Some(&size) = vt.get("(table size)") {
        measured.insert("dyn Write vtable".to_string(), (size, align_of::<usize>() as i64));
    }
    growth(&mut errors);

    let (mut rows, mut entries) = (0, 0);
    let mut claimed = std::collections::BTreeSet::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("{\"layout\":").and_then(|_| field(line, "layout")) {
            claimed.insert(name.clone());
            let (Some(size), Some(align)) = (field(line, "rust_size"), field(line, "rust_align")) else {
                continue; // no Rust counterpart (the pthread backend)
            };
            let claim: (i64, i64) = (size.parse().unwrap(), align.parse().unwrap());
            match measured.get(&name) {
                None => errors.push(format!("row {:?}: no Rust measurement checks it (add one)", name)),
                Some(&got) if got != claim => errors.push(format!(
                    "row {:?}: racelab says Rust has {}/{}, rustc measures {}/{}",
                    name, claim.0, claim.1, got.0, got.1
                )),
                Some(_) => rows += 1,
            }
        } else if line.starts_with("{\"vtable\":") {
            let name = field(line, "entry").unwrap();
            let claim: i64 = field(line, "rust_offset").unwrap().parse().unwrap();
            match vt.get(&name) {
                Some(&got) if got == claim => entries += 1,
                got => errors.push(format!("vtable entry {}: racelab says +{}, rustc has {:?}", name, claim, got)),
            }
        }
    }
    for name in measured.keys() {
        if !claimed.contains(name) {
            errors.push(format!("rustc measured {:?} but racelab layout has no such row", name));
        }
    }
    if entries == 0 {
        errors.push("no vtable entries in the layout output".to_string());
    }
    for e in &errors {
        println!("MISMATCH: {}", e);
    }
    println!("checked {} rows and {} vtable entries against rustc: {}", rows, entries,
             if errors.is_empty() { "all agree" } else { "see the mismatches above" });
    std::process::exit(if errors.is_empty() { 0 } else { 1 });
}
