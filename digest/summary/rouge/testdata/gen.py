"""Regenerates the golden files of packages rouge and stem from NLTK (Debian: python3-nltk).

../../stem/testdata/stems.txt: every distinct word of the dev articles and references with its
NLTK PorterStemmer (default mode) stem, which is what rouge-score uses.
cases.json: candidate/reference pairs with the scores of a line-for-line
transcription of rouge-score's rouge_scorer.py (rouge1, rouge2, rougeLsum).

    /usr/bin/python3 gen.py ../../../../../shared/eval/news-summaries-dev.jsonl
"""
import collections, json, re, sys
from nltk.stem import porter

stemmer = porter.PorterStemmer()

def tokenize(text):
    text = re.sub(r"[^a-z0-9]+", " ", text.lower())
    toks = re.split(r"\s+", text)
    toks = [stemmer.stem(x) if len(x) > 3 else x for x in toks]
    return [x for x in toks if re.match(r"^[a-z0-9]+$", x)]

def ngrams(toks, n):
    return collections.Counter(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1))

def f(p, r):
    return 0 if p + r == 0 else 2 * p * r / (p + r)

def score_ngrams(t, p):
    inter = sum(min(t[g], p[g]) for g in t)
    tn, pn = sum(t.values()), sum(p.values())
    pr, rc = inter / max(pn, 1), inter / max(tn, 1)
    return [pr, rc, f(pr, rc)]

def lcs_table(ref, can):
    t = [[0] * (len(can) + 1) for _ in range(len(ref) + 1)]
    for i in range(1, len(ref) + 1):
        for j in range(1, len(can) + 1):
            t[i][j] = t[i-1][j-1] + 1 if ref[i-1] == can[j-1] else max(t[i-1][j], t[i][j-1])
    return t

def lcs_ind(ref, can):
    t = lcs_table(ref, can)
    i, j, out = len(ref), len(can), []
    while i > 0 and j > 0:
        if ref[i-1] == can[j-1]:
            out.insert(0, i-1); i -= 1; j -= 1
        elif t[i][j-1] > t[i-1][j]:
            j -= 1
        else:
            i -= 1
    return out

def lsum(ref_sent, can_sent):
    if not ref_sent or not can_sent:
        return [0, 0, 0]
    m, n = sum(map(len, ref_sent)), sum(map(len, can_sent))
    if not m or not n:
        return [0, 0, 0]
    cr, cc = collections.Counter(), collections.Counter()
    for s in ref_sent: cr.update(s)
    for s in can_sent: cc.update(s)
    hits = 0
    for r in ref_sent:
        union = sorted(set().union(*[lcs_ind(r, c) for c in can_sent]))
        for t in [r[i] for i in union]:
            if cc[t] > 0 and cr[t] > 0:
                hits += 1; cc[t] -= 1; cr[t] -= 1
    p, r = hits / n, hits / m
    return [p, r, f(p, r)]

def score(target, prediction):
    tt, pt = tokenize(target), tokenize(prediction)
    sents = lambda s: [tokenize(x) for x in s.split("\n") if len(x)]
    return {"rouge1": score_ngrams(ngrams(tt, 1), ngrams(pt, 1)),
            "rouge2": score_ngrams(ngrams(tt, 2), ngrams(pt, 2)),
            "rougeLsum": lsum(sents(target), sents(prediction))}

rows = [json.loads(l) for l in open(sys.argv[1])]
words = set()
for r in rows:
    for w in re.sub(r"[^a-z0-9]+", " ", (r["article"] + " " + r["reference"]).lower()).split():
        if len(w) > 3:
            words.add(w)
with open("../../stem/testdata/stems.txt", "w") as out:
    for w in sorted(words):
        out.write(f"{w} {stemmer.stem(w)}\n")

cases = []
for r in rows[:40]:
    # Any candidate will do: the first sentences cut naively at ". ".
    cand = [s for s in re.split(r"(?<=[.!?]) +", r["article"]) if s][:3]
    ref = r["reference"].split("\n")
    cases.append({"id": r["id"], "candidate": cand, "reference": ref,
                  "scores": score("\n".join(ref), "\n".join(cand))})
with open("cases.json", "w") as out:
    json.dump(cases, out, indent=1)
