#!/usr/bin/python3
"""The directory benchmark's query mix (bench/directory/run drives it).

Runs each query class through the HTTP API (GET /api/spaces, /api/spaces/search)
while a writer thread likes, unlikes and creates Spaces through the API, then
the same queries as a plain FTS5 `ORDER BY rank` on the same index (read-only
SQLite on the data dir's database), and prints p50/p99 per class and the ratio.

Words are the loader's Zipf vocabulary (directory_bench_load.cc): rank 0 is the
most common word.
"""
import argparse
import http.client
import json
import random
import sqlite3
import statistics
import threading
import time
import urllib.parse

COMMON = ["model", "demo", "app", "gradio", "image", "text", "generation", "chat", "llm", "audio", "the", "and",
          "for", "with", "stable", "diffusion", "space", "test", "whisper", "speech", "translation", "vision",
          "detection", "video"]
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vi", "zo", "pa", "do", "fe", "gu", "hi", "jo", "be", "ci",
             "xu", "wa", "yo"]


def word(rank):
    if rank < len(COMMON):
        return COMMON[rank]
    w, n = "", rank
    while True:
        w += SYLLABLES[n % 20]
        n //= 20
        if n == 0:
            return w


def fts_expression(words, prefix=False, op="AND"):
    parts = ['"%s"' % w for w in words]
    if prefix:
        parts[-1] += "*"
    return (" %s " % op).join(parts)


def make_classes(rng, n):
    """name -> list of (api path, fts5 sql, fts5 args)"""
    base = "SELECT f.rowid FROM directory_fts f WHERE directory_fts MATCH ? ORDER BY rank LIMIT 20"
    join = ("SELECT f.rowid FROM directory_fts f JOIN spaces s ON s.id = (f.rowid & 4294967295)"
            " WHERE directory_fts MATCH ? AND s.is_private = 0 {where} ORDER BY {order} LIMIT 20")
    facets = ("SELECT s.sdk, COUNT(*) FROM directory_fts f JOIN spaces s ON s.id = (f.rowid & 4294967295)"
              " WHERE directory_fts MATCH ? AND s.is_private = 0 GROUP BY s.sdk")
    q = urllib.parse.quote
    classes = {}

    def add(name, make):
        classes[name] = [make() for _ in range(n)]

    common = lambda: word(rng.randrange(0, 10))
    mid = lambda: word(rng.randrange(100, 1000))
    rare = lambda: word(rng.randrange(10000, 40000))
    add("common word", lambda: (lambda w: ("/api/spaces?limit=20&search=" + q(w + " "), base, [fts_expression([w])]))(common()))
    add("mid word", lambda: (lambda w: ("/api/spaces?limit=20&search=" + q(w + " "), base, [fts_expression([w])]))(mid()))
    add("rare word", lambda: (lambda w: ("/api/spaces?limit=20&search=" + q(w + " "), base, [fts_expression([w])]))(rare()))
    add("two words AND", lambda: (lambda a, b: ("/api/spaces?limit=20&search=" + q(a + " " + b + " "), base,
                                                [fts_expression([a, b])]))(common(), mid()))
    add("two words OR", lambda: (lambda a, b: ("/api/spaces?limit=20&search=" + q(a + " OR " + b + " "), base,
                                               [fts_expression([a, b], op="OR")]))(mid(), rare()))

    def prefix():
        w = mid()
        p = w[:rng.randrange(2, min(len(w), 5) + 1)]
        return ("/api/spaces?limit=20&search=" + q(p), base, [fts_expression([p], prefix=True)])
    add("prefix (type-ahead)", prefix)
    add("common + filters", lambda: (lambda w: ("/api/spaces?limit=20&sdk=docker&stage=SLEEPING&search=" + q(w + " "),
                                                join.format(where="AND s.sdk = 'docker' AND s.stage = 'SLEEPING'", order="rank"),
                                                [fts_expression([w])]))(common()))
    add("mid + sort=likes", lambda: (lambda w: ("/api/spaces?limit=20&sort=likes&search=" + q(w + " "),
                                                join.format(where="", order="s.likes_count DESC"),
                                                [fts_expression([w])]))(mid()))
    add("common + count + facets", lambda: (lambda w: ("/api/spaces/search?limit=20&search=" + q(w + " "), facets,
                                                       [fts_expression([w])]))(common()))
    add("browse sort=likes sdk", lambda: ("/api/spaces?limit=20&sort=likes&sdk=" + rng.choice(["streamlit", "docker", "static"]),
                                          "SELECT id FROM spaces WHERE sdk = ? AND is_private = 0"
                                          " ORDER BY likes_count DESC LIMIT 20", [rng.choice(["streamlit", "docker", "static"])]))
    # Listing by trending walks an index of the keys; the plain query is the
    # listing before that index (a key looked up per Space, then a sort).
    by_trending = ("SELECT s.id FROM spaces s WHERE s.is_private = 0 ORDER BY COALESCE((SELECT d.trending_key"
                   " FROM directory_docs d WHERE d.space_id = s.id), 0) DESC LIMIT 20")
    add("browse sort=trendingScore", lambda: ("/api/spaces?limit=20&sort=trendingScore", by_trending, []))
    # The web UI's pages (HTML): the home page lists trending, verified and
    # new Spaces; the search page searches with the count and facets.
    add("home page (HTML)", lambda: ("/", by_trending, []))
    add("search page (HTML)", lambda: (lambda w: ("/spaces?search=" + q(w + " "), facets, [fts_expression([w])]))(mid()))
    return classes


def pct(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, int(round(p / 100.0 * len(values) + 0.5)) - 1))
    return values[k]


class Writer(threading.Thread):
    """Likes, unlikes and new Spaces through the API while queries run."""

    def __init__(self, host, port, token, ids):
        super().__init__(daemon=True)
        self.conn = http.client.HTTPConnection(host, port, timeout=30)
        self.token, self.ids = token, ids
        self.stop = threading.Event()
        self.likes = self.creates = self.errors = 0
        self.latencies = []

    def call(self, method, path, body=None):
        start = time.perf_counter()
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None,
                          headers={"Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
        r = self.conn.getresponse()
        r.read()
        self.latencies.append((time.perf_counter() - start) * 1000)
        if r.status >= 400:
            self.errors += 1
        return r.status

    def run(self):
        rng = random.Random(11)
        n = 0
        while not self.stop.is_set():
            space = rng.choice(self.ids)
            self.call("POST" if rng.random() < 0.7 else "DELETE", "/api/spaces/%s/like" % space)
            self.likes += 1
            n += 1
            if n % 10 == 0:
                self.call("POST", "/api/repos/create", {"type": "space", "name": "bench-new-%d-%d" % (int(time.time()), n),
                                                         "sdk": "gradio"})
                self.creates += 1
            time.sleep(0.05)  # about 20 likes and 2 new Spaces per second


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--per-class", type=int, default=200)
    ap.add_argument("--fts-per-class", type=int, default=10)
    ap.add_argument("--load", default="")
    ap.add_argument("--pg-url", default="", help="a second server, on PostgreSQL, for the same queries")
    args = ap.parse_args()
    rng = random.Random(5)
    classes = make_classes(rng, args.per_class)
    ours, writer = run_classes(args.url, args.token, classes)
    theirs, pg_writer = run_classes(args.pg_url, args.token, classes) if args.pg_url else (None, None)

    db = sqlite3.connect("file:%s?mode=ro" % args.db, uri=True)
    plain = {}
    for name, queries in classes.items():
        times = []
        for _, sql, params in queries[:args.fts_per_class]:
            start = time.perf_counter()
            db.execute(sql, params).fetchall()
            times.append((time.perf_counter() - start) * 1000)
        plain[name] = times

    print("%-26s %6s %9s %9s   %-22s %9s %9s   %s" % ("query class", "n", "p50 ms", "p99 ms", "| plain FTS5 ORDER BY rank",
                                                     "p50 ms", "p99 ms", "p99 ratio (FTS5 / ours)"))
    worst = 0
    for name in classes:
        o, p = ours[name], plain[name]
        worst = max(worst, pct(o, 99))
        print("%-26s %6d %9.1f %9.1f   | n=%-19d %9.1f %9.1f   %8.1fx" % (name, len(o), pct(o, 50), pct(o, 99), len(p),
                                                                       pct(p, 50), pct(p, 99), pct(p, 99) / max(pct(o, 99), 1e-3)))
    print("worst p99 through the API: %.1f ms (goal: under 20 ms for every class)" % worst)
    print("writes meanwhile: %d likes/unlikes and %d new Spaces, %d errors; write p50 %.1f ms, p99 %.1f ms" % (
        writer.likes, writer.creates, writer.errors, pct(writer.latencies, 50), pct(writer.latencies, 99)))
    if theirs is None:
        return
    print()
    print("%-26s %9s %9s   %-14s %9s %9s   %s" % ("query class", "SQLite", "", "| PostgreSQL", "", "",
                                                   "p99 ratio (PostgreSQL / SQLite)"))
    print("%-26s %9s %9s   %-14s %9s %9s" % ("", "p50 ms", "p99 ms", "|", "p50 ms", "p99 ms"))
    worst_pg = 0
    for name in classes:
        o, t = ours[name], theirs[name]
        worst_pg = max(worst_pg, pct(t, 99))
        print("%-26s %9.1f %9.1f   %-14s %9.1f %9.1f   %8.2fx" % (name, pct(o, 50), pct(o, 99), "|", pct(t, 50),
                                                                 pct(t, 99), pct(t, 99) / max(pct(o, 99), 1e-3)))
    print("worst p99 on PostgreSQL: %.1f ms; writes meanwhile: %d likes/unlikes and %d new Spaces, %d errors;"
          " write p50 %.1f ms, p99 %.1f ms" % (worst_pg, pg_writer.likes, pg_writer.creates, pg_writer.errors,
                                              pct(pg_writer.latencies, 50), pct(pg_writer.latencies, 99)))


def run_classes(url, token, classes):
    """Every class's queries through one server's API while its writer writes: class -> latencies (ms)."""
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)

    def get(path):
        start = time.perf_counter()
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        ms = (time.perf_counter() - start) * 1000
        if r.status != 200:
            raise SystemExit("GET %s: %d %s" % (path, r.status, body[:300]))
        return ms, body

    # Spaces for the writer to like: the first page of a few searches.
    ids = []
    for w in ["model", "demo", "image", word(150), word(500)]:
        ids += [s["id"] for s in json.loads(get("/api/spaces?limit=50&search=" + w + "%20")[1])]
    writer = Writer(u.hostname, u.port, token, ids)
    for paths in classes.values():  # warm the page cache the way a running server has it
        for path, _, _ in paths[:3]:
            get(path)
    writer.start()
    ours = {}
    for name, queries in classes.items():
        ours[name] = [get(path)[0] for path, _, _ in queries]
    writer.stop.set()
    writer.join()
    return ours, writer


if __name__ == "__main__":
    main()
